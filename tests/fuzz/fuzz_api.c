/* fuzz_api.c: fuzzes the daemon's control API (hv/daemon/api.c
 * api_handle, and api_wait_reply for deferred replies) over a domain table
 * (hv/daemon/domains.c) that holds four made-up domains: running, paused,
 * shut down and crashed.
 *
 * The input is what a client sends: each line (split at '\n', as
 * server.c splits its buffer) is one request, all against the same table,
 * so a "destroy" changes what a later "list" sees. Every reply must be a
 * JSON object carrying "pvisor": 1 and a result or an error.
 *
 * Nothing is started or killed. The table's state directory is /dev/null,
 * so every file under it (records, configurations, control sockets) fails
 * with ENOTDIR: a "create" fails in dom_create() when it writes the
 * configuration, before it would fork `pvisor run --check`, and a call to
 * a domain fails at connect(). No record has a pid or is "creating", so
 * dom_destroy() kills nothing; cgroups are off (version 0). The harness
 * aborts if a record ever gains a pid or a watched pidfd. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon/api.h"
#include "daemon/domains.h"

#define MAX_REQUESTS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dom_table table;

static void hook_changed(void *ctx, struct dom_record *r, const char *event)
{
	if (!r || !event)
		abort();
}

static void hook_watch(void *ctx, struct dom_record *r, bool add)
{
	abort();        /* only a started process is watched */
}

static void add_record(uint16_t id, const char *name, enum dom_state state)
{
	struct dom_record *r = calloc(1, sizeof(*r));

	if (!r)
		abort();
	r->id = id;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->state = state;
	r->pidfd = -1;
	r->check_out = r->check_err = -1;
	r->weight = CG_WEIGHT_DEFAULT;
	r->vcpus = 1;
	r->mem_bytes = r->mem_max_bytes = r->mem_target_bytes = 64ull << 20;
	snprintf(r->mode, sizeof(r->mode), "pv");
	if (state == DOM_SHUTDOWN)
		r->exit_status = 3;
	if (state == DOM_CRASHED)
		snprintf(r->reason, sizeof(r->reason), "the guest crashed (see its log)");
	table.recs[table.count++] = r;
}

static void table_setup(void)
{
	memset(&table, 0, sizeof(table));
	snprintf(table.state_dir, sizeof(table.state_dir), "/dev/null");
	snprintf(table.self_exe, sizeof(table.self_exe), "/nonexistent/pvisor");
	snprintf(table.cg.why, sizeof(table.cg.why), "no cgroups while fuzzing");
	table.hooks = (struct dom_table_hooks){ hook_changed, hook_watch, NULL };
	add_record(1, "web", DOM_RUNNING);
	add_record(2, "db", DOM_PAUSED);
	add_record(7, "old", DOM_SHUTDOWN);
	add_record(42, "bad", DOM_CRASHED);
}

/* Nothing may have started a process. */
static void check_table(void)
{
	for (unsigned i = 0; i < table.count; i++) {
		const struct dom_record *r = table.recs[i];

		if (r->pid != 0 || r->pidfd != -1 || r->check_pid != 0 || r->state == DOM_CREATING)
			abort();
	}
}

static void check_reply(const char *text, bool settled)
{
	struct json_object *reply, *v;

	if (!text)
		abort();
	reply = json_tokener_parse(text);
	if (!reply || !json_object_object_get_ex(reply, "pvisor", &v) ||
	    json_object_get_int(v) != PVISOR_API_VERSION)
		abort();
	if (!json_object_object_get_ex(reply, "result", &v) &&
	    !json_object_object_get_ex(reply, "error", &v) && settled)
		abort();
	json_object_put(reply);
}

static struct dom_record *record_by_id(int id)
{
	for (unsigned i = 0; i < table.count; i++)
		if (table.recs[i]->id == id)
			return table.recs[i];
	return NULL;
}

/* A deferred reply ("wait", or a "create" that got as far as its check):
 * as server.c settles it when events come. */
static void settle(const struct api_effects *fx)
{
	static const char *const events[] = { "created", "shutdown", "crashed", "destroyed" };
	struct dom_record *r = record_by_id(fx->wait_id);
	char *text;

	if (!r)
		abort();
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		text = api_wait_reply(fx->wait_request_id, r, events[i], fx->wait_create);
		if (text)
			check_reply(text, true);
		free(text);
	}
	text = api_event(r, "paused");
	check_reply(text, false);
	free(text);
}

/* One request, in a heap copy of exactly len bytes so that ASan sees a
 * read past its end. */
static void request(const char *line, size_t len)
{
	struct api_effects fx = { .pass_fd = -1 };
	char *copy = malloc(len ? len : 1), *reply;

	if (!copy)
		abort();
	memcpy(copy, line, len);
	reply = api_handle(&table, copy, len, &fx);
	free(copy);

	if (fx.pass_fd >= 0 || fx.wait_create)
		abort();        /* no domain can be reached, none created */
	if (fx.wait_id > 0) {
		if (reply)
			abort();
		settle(&fx);
	} else {
		check_reply(reply, true);
	}
	free(reply);
	free(fx.wait_request_id);
	check_table();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data, *end = line + size;
	unsigned n = 0;

	table_setup();
	while (line < end && n++ < MAX_REQUESTS) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);

		request(line, len);
		line += len + 1;
	}
	dom_table_destroy(&table);
	return 0;
}

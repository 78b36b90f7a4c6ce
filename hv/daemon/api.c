/* api.c: the control API's methods over the domain table (see api.h and
 * docs/api.md). Every malformed request gets an error reply. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/domlink.h"
#include "lib/json_line.h"

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static struct json_object *describe(const struct dom_record *r)
{
	struct json_object *o = json_object_new_object();
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	json_object_object_add(o, "id", json_object_new_int(r->id));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "state", json_object_new_string(dom_state_name(r->state)));
	json_object_object_add(o, "pid", r->pid > 0 ? json_object_new_int(r->pid) : NULL);
	json_object_object_add(o, "mode", json_object_new_string(r->mode));
	json_object_object_add(o, "vcpus", json_object_new_int((int)r->vcpus));
	json_object_object_add(o, "mem_max_bytes", json_object_new_int64((int64_t)r->mem_max_bytes));
	json_object_object_add(o, "mem_target_bytes", json_object_new_int64((int64_t)r->mem_target_bytes));
	json_object_object_add(o, "cpu_s", json_object_new_double(dom_cpu_seconds(r)));
	json_object_object_add(o, "weight", json_object_new_int((int)r->weight));
	json_object_object_add(o, "cap", json_object_new_int((int)r->cap));
	json_object_object_add(o, "uptime_s", json_object_new_double(
		seconds_between(&r->started, dom_alive(r) ? &now : &r->ended)));
	if (r->state == DOM_SHUTDOWN)
		json_object_object_add(o, "exit_status", json_object_new_int(r->exit_status));
	if (r->state == DOM_CRASHED)
		json_object_object_add(o, "reason", json_object_new_string(r->reason));
	return o;
}

static int by_id(const void *a, const void *b)
{
	const struct dom_record *x = *(struct dom_record *const *)a, *y = *(struct dom_record *const *)b;

	return (int)x->id - (int)y->id;
}

static struct json_object *method_list(struct dom_table *t, struct json_object *params,
				       struct json_object **error, struct api_effects *fx)
{
	static struct dom_record *sorted[DOMAINS_MAX];
	struct json_object *list = json_object_new_array();

	memcpy(sorted, t->recs, t->count * sizeof(sorted[0]));
	qsort(sorted, t->count, sizeof(sorted[0]), by_id);
	for (unsigned i = 0; i < t->count; i++)
		json_object_array_add(list, describe(sorted[i]));
	return list;
}

static struct json_object *method_create(struct dom_table *t, struct json_object *params,
					 struct json_object **error, struct api_effects *fx)
{
	struct json_object *config, *name = NULL, *cwd;
	struct dom_record *r;
	char err[512];

	if (!params || !json_object_object_get_ex(params, "config", &config) ||
	    !json_object_is_type(config, json_type_object)) {
		*error = json_line_error("bad-request", "create needs params.config, an object (docs/config.md)");
		return NULL;
	}
	if (json_object_object_get_ex(params, "name", &name) && !json_object_is_type(name, json_type_string)) {
		*error = json_line_error("bad-request", "params.name must be a string");
		return NULL;
	}
	if (!json_object_object_get_ex(params, "cwd", &cwd) || !json_object_is_type(cwd, json_type_string) ||
	    json_object_get_string(cwd)[0] != '/') {
		*error = json_line_error("bad-request", "create needs params.cwd, an absolute directory");
		return NULL;
	}
	r = dom_create(t, name ? json_object_get_string(name) : NULL,
		       json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN), json_object_get_string(cwd),
		       err, sizeof(err));
	if (!r) {
		*error = json_line_error("create-failed", err);
		return NULL;
	}
	fx->wait_id = r->id;    /* the reply comes when the check has ended */
	fx->wait_create = true;
	return NULL;
}

static struct dom_record *named_domain(struct dom_table *t, struct json_object *params,
				       struct json_object **error)
{
	struct json_object *dom;
	struct dom_record *r;

	if (!params || !json_object_object_get_ex(params, "domain", &dom) ||
	    !(json_object_is_type(dom, json_type_string) || json_object_is_type(dom, json_type_int))) {
		*error = json_line_error("bad-request", "params.domain must be a name or an id");
		return NULL;
	}
	if (!(r = dom_find(t, json_object_get_string(dom)))) {
		char msg[160];

		snprintf(msg, sizeof(msg), "no domain is named or numbered '%.100s'", json_object_get_string(dom));
		*error = json_line_error("no-such-domain", msg);
	}
	return r;
}

static struct json_object *method_destroy(struct dom_table *t, struct json_object *params,
					  struct json_object **error, struct api_effects *fx)
{
	struct dom_record *r = named_domain(t, params, error);
	struct json_object *result;

	if (!r)
		return NULL;
	result = json_object_new_object();
	json_object_object_add(result, "id", json_object_new_int(r->id));
	dom_destroy(t, r);
	return result;
}

/* A call to the domain's own control socket (domlink.h). */
static struct json_object *call_domain(struct dom_table *t, struct dom_record *r, const char *method,
				       struct json_object **error)
{
	char err[256];
	struct json_object *result = domlink_call(t, r, method, NULL, err, sizeof(err));

	if (!result)
		*error = json_line_error("domain-failed", err);
	return result;
}

static struct json_object *method_pause(struct dom_table *t, struct json_object *params,
					struct json_object **error, struct api_effects *fx)
{
	struct dom_record *r = named_domain(t, params, error);
	struct json_object *result = r ? call_domain(t, r, "pause", error) : NULL;

	if (result)
		dom_set_paused(t, r, true);
	return result;
}

static struct json_object *method_unpause(struct dom_table *t, struct json_object *params,
					  struct json_object **error, struct api_effects *fx)
{
	struct dom_record *r = named_domain(t, params, error);
	struct json_object *result = r ? call_domain(t, r, "unpause", error) : NULL;

	if (result)
		dom_set_paused(t, r, false);
	return result;
}

/* params.grace_s: whole seconds, 0 to 3600. */
static int grace_seconds(struct json_object *params, struct json_object **error)
{
	struct json_object *g;
	int64_t s;

	if (!json_object_object_get_ex(params, "grace_s", &g))
		return DOM_GRACE_DEFAULT_S;
	s = json_object_get_int64(g);
	if (!json_object_is_type(g, json_type_int) || s < 0 || s > 3600) {
		*error = json_line_error("bad-request", "params.grace_s must be whole seconds, 0 to 3600");
		return -1;
	}
	return (int)s;
}

static struct json_object *method_shutdown(struct dom_table *t, struct json_object *params,
					   struct json_object **error, struct api_effects *fx)
{
	struct dom_record *r = named_domain(t, params, error);
	int grace = r ? grace_seconds(params, error) : -1;
	struct json_object *result = grace >= 0 ? call_domain(t, r, "shutdown", error) : NULL;

	if (result)
		dom_start_grace(r, (unsigned)grace);
	return result;
}

static struct json_object *method_reboot(struct dom_table *t, struct json_object *params,
					 struct json_object **error, struct api_effects *fx)
{
	struct dom_record *r = named_domain(t, params, error);

	return r ? call_domain(t, r, "reboot", error) : NULL;
}

/* The table's view, and the domain's own figures when it runs. */
static struct json_object *method_info(struct dom_table *t, struct json_object *params,
				       struct json_object **error, struct api_effects *fx)
{
	struct dom_record *r = named_domain(t, params, error);
	struct json_object *o, *live;

	if (!r)
		return NULL;
	o = describe(r);
	if (dom_alive(r)) {
		char err[256];

		live = domlink_call(t, r, "info", NULL, err, sizeof(err));
		json_object_object_add(o, "domain", live);
		if (!live)
			json_object_object_add(o, "domain_error", json_object_new_string(err));
	}
	return o;
}

/* mem-set / mem-max: params.bytes to the domain; the record follows. */
static struct json_object *set_memory(struct dom_table *t, struct json_object *params, const char *method,
				      struct json_object **error)
{
	struct dom_record *r = named_domain(t, params, error);
	struct json_object *bytes, *forward, *result, *v;
	char err[256];

	if (!r)
		return NULL;
	if (!json_object_object_get_ex(params, "bytes", &bytes) || !json_object_is_type(bytes, json_type_int)) {
		*error = json_line_error("bad-request", "params.bytes must be an integer");
		return NULL;
	}
	forward = json_object_new_object();
	json_object_object_add(forward, "bytes", json_object_get(bytes));
	if (!(result = domlink_call(t, r, method, forward, err, sizeof(err)))) {
		*error = json_line_error("domain-failed", err);
		return NULL;
	}
	if (json_object_object_get_ex(result, "mem_target_bytes", &v))
		r->mem_target_bytes = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(result, "mem_max_bytes", &v))
		r->mem_max_bytes = (uint64_t)json_object_get_int64(v);
	dom_save(t, r);
	return result;
}

static struct json_object *method_mem_set(struct dom_table *t, struct json_object *params,
					  struct json_object **error, struct api_effects *fx)
{
	return set_memory(t, params, "mem-set", error);
}

static struct json_object *method_mem_max(struct dom_table *t, struct json_object *params,
					  struct json_object **error, struct api_effects *fx)
{
	return set_memory(t, params, "mem-max", error);
}

/* params.KEY: absent (keep *value), or an integer in [lo, hi]. */
static int optional_uint(struct json_object *params, const char *key, unsigned lo, unsigned hi, unsigned *value,
			 struct json_object **error)
{
	struct json_object *v;
	int64_t n;
	char msg[96];

	if (!json_object_object_get_ex(params, key, &v))
		return 0;
	n = json_object_get_int64(v);
	if (json_object_is_type(v, json_type_int) && n >= lo && n <= hi) {
		*value = (unsigned)n;
		return 0;
	}
	snprintf(msg, sizeof(msg), "params.%s must be an integer from %u to %u", key, lo, hi);
	*error = json_line_error("bad-request", msg);
	return -1;
}

static struct json_object *method_sched_credit(struct dom_table *t, struct json_object *params,
					       struct json_object **error, struct api_effects *fx)
{
	struct dom_record *r = named_domain(t, params, error);
	struct json_object *o;
	unsigned weight, cap;
	char err[300], path[320];

	if (!r)
		return NULL;
	weight = r->weight;
	cap = r->cap;
	if (optional_uint(params, "weight", 1, CG_WEIGHT_MAX, &weight, error) < 0 ||
	    optional_uint(params, "cap", 0, CG_CAP_MAX, &cap, error) < 0)
		return NULL;
	if ((weight != r->weight || cap != r->cap || !t->cg.version) &&
	    dom_set_credit(t, r, weight, cap, err, sizeof(err)) < 0) {
		*error = json_line_error("no-cgroups", err);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "weight", json_object_new_int((int)r->weight));
	json_object_object_add(o, "cap", json_object_new_int((int)r->cap));
	cg_domain_path(&t->cg, r->id, path, sizeof(path));
	json_object_object_add(o, "cgroup", json_object_new_string(path));
	json_object_object_add(o, "cgroup_version", json_object_new_int(t->cg.version));
	return o;
}

static struct json_object *method_console(struct dom_table *t, struct json_object *params,
					  struct json_object **error, struct api_effects *fx)
{
	struct dom_record *r = named_domain(t, params, error);
	char err[256];

	if (!r)
		return NULL;
	fx->pass_fd = domlink_console(t, r, err, sizeof(err));
	if (fx->pass_fd < 0) {
		*error = json_line_error("domain-failed", err);
		return NULL;
	}
	return json_object_new_object();
}

static struct json_object *method_subscribe(struct dom_table *t, struct json_object *params,
					    struct json_object **error, struct api_effects *fx)
{
	fx->subscribe = true;
	return json_object_new_object();
}

static struct json_object *method_wait(struct dom_table *t, struct json_object *params,
				       struct json_object **error, struct api_effects *fx)
{
	struct dom_record *r = named_domain(t, params, error);

	if (!r)
		return NULL;
	if (!dom_alive(r) && r->state != DOM_CREATING)
		return describe(r);
	fx->wait_id = r->id;
	return NULL;
}

static const struct {
	const char *name;
	struct json_object *(*run)(struct dom_table *, struct json_object *, struct json_object **,
				   struct api_effects *);
} methods[] = {
	{ "list", method_list },
	{ "create", method_create },
	{ "destroy", method_destroy },
	{ "pause", method_pause },
	{ "unpause", method_unpause },
	{ "shutdown", method_shutdown },
	{ "reboot", method_reboot },
	{ "info", method_info },
	{ "mem-set", method_mem_set },
	{ "mem-max", method_mem_max },
	{ "sched-credit", method_sched_credit },
	{ "console", method_console },
	{ "subscribe", method_subscribe },
	{ "wait", method_wait },
};

static struct json_object *dispatch(struct dom_table *t, struct json_object *req, struct json_object **error,
				    struct api_effects *fx)
{
	struct json_object *version, *method, *params = NULL;
	const char *name;

	if (!json_object_object_get_ex(req, "pvisor", &version) || !json_object_is_type(version, json_type_int) ||
	    json_object_get_int(version) != PVISOR_API_VERSION) {
		*error = json_line_error("bad-version", "requests carry \"pvisor\": 1");
		return NULL;
	}
	if (!json_object_object_get_ex(req, "method", &method) || !json_object_is_type(method, json_type_string)) {
		*error = json_line_error("bad-request", "no \"method\" string");
		return NULL;
	}
	if (json_object_object_get_ex(req, "params", &params) && !json_object_is_type(params, json_type_object)) {
		*error = json_line_error("bad-request", "\"params\" must be an object");
		return NULL;
	}
	name = json_object_get_string(method);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(methods[i].name, name))
			return methods[i].run(t, params, error, fx);
	*error = json_line_error("unknown-method", name);
	return NULL;
}

char *api_handle(struct dom_table *t, const char *request, size_t len, struct api_effects *fx)
{
	struct json_object *req = json_line_parse(request, len), *reply = json_object_new_object();
	struct json_object *result = NULL, *error = NULL, *id;
	char *text;

	json_object_object_add(reply, "pvisor", json_object_new_int(PVISOR_API_VERSION));
	if (!req) {
		error = json_line_error("bad-json", "a request is one JSON object on one line");
	} else {
		if (json_object_object_get_ex(req, "id", &id))
			json_object_object_add(reply, "id", json_object_get(id));
		result = dispatch(t, req, &error, fx);
		if (fx->wait_id > 0) {
			fx->wait_request_id = id ? strdup(json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN))
						 : NULL;
			json_object_put(reply);
			json_object_put(req);
			return NULL;
		}
	}
	if (error)
		json_object_object_add(reply, "error", error);
	else
		json_object_object_add(reply, "result", result);
	text = strdup(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	json_object_put(reply);
	json_object_put(req);
	return text;
}

char *api_wait_reply(const char *request_id, const struct dom_record *r, const char *event, bool for_create)
{
	bool gone = !strcmp(event, "destroyed") || !strcmp(event, "create-failed");
	bool ended = gone || (!dom_alive(r) && r->state != DOM_CREATING);
	struct json_object *reply;
	char *text;

	if (for_create ? !(gone || !strcmp(event, "created")) : !ended)
		return NULL;
	reply = json_object_new_object();
	json_object_object_add(reply, "pvisor", json_object_new_int(PVISOR_API_VERSION));
	if (request_id)
		json_object_object_add(reply, "id", json_tokener_parse(request_id));
	if (!strcmp(event, "create-failed"))
		json_object_object_add(reply, "error", json_line_error(for_create ? "create-failed" : "destroyed",
								   r->reason));
	else if (gone)
		json_object_object_add(reply, "error", json_line_error("destroyed", "the domain was destroyed"));
	else
		json_object_object_add(reply, "result", describe(r));
	text = strdup(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	json_object_put(reply);
	return text;
}

char *api_event(const struct dom_record *r, const char *event)
{
	struct json_object *reply = json_object_new_object(), *e = describe(r);
	char *text;

	json_object_object_add(e, "event", json_object_new_string(event));
	json_object_object_add(reply, "pvisor", json_object_new_int(PVISOR_API_VERSION));
	json_object_object_add(reply, "event", e);
	text = strdup(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	json_object_put(reply);
	return text;
}

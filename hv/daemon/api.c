/* api.c: the control API's methods over the domain table (see api.h and
 * docs/api.md). Every malformed request gets an error reply. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"

static struct json_object *error_reply(const char *code, const char *message)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	return e;
}

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
	json_object_object_add(o, "uptime_s", json_object_new_double(
		seconds_between(&r->started, r->state == DOM_RUNNING ? &now : &r->ended)));
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
				       struct json_object **error)
{
	static struct dom_record *sorted[DOMAINS_MAX];
	struct json_object *list = json_object_new_array();

	dom_reap(t);
	memcpy(sorted, t->recs, t->count * sizeof(sorted[0]));
	qsort(sorted, t->count, sizeof(sorted[0]), by_id);
	for (unsigned i = 0; i < t->count; i++)
		json_object_array_add(list, describe(sorted[i]));
	return list;
}

static struct json_object *method_create(struct dom_table *t, struct json_object *params,
					 struct json_object **error)
{
	struct json_object *config, *name = NULL, *cwd;
	struct dom_record *r;
	char err[512];

	if (!params || !json_object_object_get_ex(params, "config", &config) ||
	    !json_object_is_type(config, json_type_object)) {
		*error = error_reply("bad-request", "create needs params.config, an object (docs/config.md)");
		return NULL;
	}
	if (json_object_object_get_ex(params, "name", &name) && !json_object_is_type(name, json_type_string)) {
		*error = error_reply("bad-request", "params.name must be a string");
		return NULL;
	}
	if (!json_object_object_get_ex(params, "cwd", &cwd) || !json_object_is_type(cwd, json_type_string) ||
	    json_object_get_string(cwd)[0] != '/') {
		*error = error_reply("bad-request", "create needs params.cwd, an absolute directory");
		return NULL;
	}
	r = dom_create(t, name ? json_object_get_string(name) : NULL,
		       json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN), json_object_get_string(cwd),
		       err, sizeof(err));
	if (!r) {
		*error = error_reply("create-failed", err);
		return NULL;
	}
	return describe(r);
}

static struct dom_record *named_domain(struct dom_table *t, struct json_object *params,
				       struct json_object **error)
{
	struct json_object *dom;
	struct dom_record *r;

	if (!params || !json_object_object_get_ex(params, "domain", &dom) ||
	    !(json_object_is_type(dom, json_type_string) || json_object_is_type(dom, json_type_int))) {
		*error = error_reply("bad-request", "params.domain must be a name or an id");
		return NULL;
	}
	if (!(r = dom_find(t, json_object_get_string(dom)))) {
		char msg[160];

		snprintf(msg, sizeof(msg), "no domain is named or numbered '%.100s'", json_object_get_string(dom));
		*error = error_reply("no-such-domain", msg);
	}
	return r;
}

static struct json_object *method_destroy(struct dom_table *t, struct json_object *params,
					  struct json_object **error)
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

static const struct {
	const char *name;
	struct json_object *(*run)(struct dom_table *, struct json_object *, struct json_object **);
} methods[] = {
	{ "list", method_list },
	{ "create", method_create },
	{ "destroy", method_destroy },
};

static struct json_object *dispatch(struct dom_table *t, struct json_object *req, struct json_object **error)
{
	struct json_object *version, *method, *params = NULL;
	const char *name;

	if (!json_object_object_get_ex(req, "pvisor", &version) || !json_object_is_type(version, json_type_int) ||
	    json_object_get_int(version) != PVISOR_API_VERSION) {
		*error = error_reply("bad-version", "requests carry \"pvisor\": 1");
		return NULL;
	}
	if (!json_object_object_get_ex(req, "method", &method) || !json_object_is_type(method, json_type_string)) {
		*error = error_reply("bad-request", "no \"method\" string");
		return NULL;
	}
	if (json_object_object_get_ex(req, "params", &params) && !json_object_is_type(params, json_type_object)) {
		*error = error_reply("bad-request", "\"params\" must be an object");
		return NULL;
	}
	name = json_object_get_string(method);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(methods[i].name, name))
			return methods[i].run(t, params, error);
	*error = error_reply("unknown-method", name);
	return NULL;
}

char *api_handle(struct dom_table *t, const char *request, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req = NULL, *reply = json_object_new_object(), *result = NULL, *error = NULL, *id;
	char *text;

	if (tok) {
		req = json_tokener_parse_ex(tok, request, (int)len);
		if (json_tokener_get_error(tok) != json_tokener_success ||
		    json_tokener_get_parse_end(tok) != len) {
			json_object_put(req);
			req = NULL;
		}
		json_tokener_free(tok);
	}
	json_object_object_add(reply, "pvisor", json_object_new_int(PVISOR_API_VERSION));
	if (!req || !json_object_is_type(req, json_type_object)) {
		error = error_reply("bad-json", "a request is one JSON object on one line");
	} else {
		if (json_object_object_get_ex(req, "id", &id))
			json_object_object_add(reply, "id", json_object_get(id));
		result = dispatch(t, req, &error);
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

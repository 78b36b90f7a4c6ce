/* domlink.c: calls to a domain's control socket (see domlink.h). */
#include <errno.h>
#include <stdbool.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/domlink.h"

#define REPLY_MAX 65536

static int connect_domain(const struct dom_table *t, const struct dom_record *r, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { DOMLINK_TIMEOUT_MS / 1000, (DOMLINK_TIMEOUT_MS % 1000) * 1000 };
	int fd;

	if (!dom_alive(r)) {
		snprintf(err, errlen, "domain %u is not running (%s)", r->id, dom_state_name(r->state));
		return -1;
	}
	dom_path(t, r->id, "sock", addr.sun_path, sizeof(addr.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		snprintf(err, errlen, "cannot reach domain %u's control socket (still booting?): %s", r->id,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Reads one line, byte by byte so that nothing after it is taken. */
static int read_line(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len - 1) {
		ssize_t n = read(fd, buf + got, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (buf[got] == '\n') {
			buf[got] = '\0';
			return 0;
		}
		got++;
	}
	return -1;
}

static bool send_request(int fd, const char *method, struct json_object *params)
{
	struct json_object *req = json_object_new_object();
	const char *text;
	bool ok;

	json_object_object_add(req, "pvisor", json_object_new_int(1));
	json_object_object_add(req, "method", json_object_new_string(method));
	if (params)
		json_object_object_add(req, "params", params);
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	ok = send(fd, text, strlen(text), MSG_NOSIGNAL) == (ssize_t)strlen(text) &&
	     send(fd, "\n", 1, MSG_NOSIGNAL) == 1;
	json_object_put(req);
	return ok;
}

/* One request (PARAMS consumed), one reply: the reply's result, or NULL
 * with err. */
static struct json_object *exchange(int fd, const char *method, struct json_object *params, char *err,
				    size_t errlen)
{
	static char line[REPLY_MAX];
	struct json_object *reply, *result = NULL, *error, *msg;

	if (!send_request(fd, method, params) || read_line(fd, line, sizeof(line)) < 0) {
		snprintf(err, errlen, "the domain did not answer '%s' in time", method);
		return NULL;
	}
	if (!(reply = json_tokener_parse(line))) {
		snprintf(err, errlen, "the domain's reply to '%s' is not JSON", method);
		return NULL;
	}
	if (json_object_object_get_ex(reply, "error", &error)) {
		snprintf(err, errlen, "%s", json_object_object_get_ex(error, "message", &msg) ?
			 json_object_get_string(msg) : json_object_get_string(error));
	} else if (json_object_object_get_ex(reply, "result", &result)) {
		json_object_get(result);
	} else {
		snprintf(err, errlen, "the domain's reply to '%s' has no result", method);
	}
	json_object_put(reply);
	return result;
}

struct json_object *domlink_call(const struct dom_table *t, const struct dom_record *r, const char *method,
				 struct json_object *params, char *err, size_t errlen)
{
	int fd = connect_domain(t, r, err, errlen);
	struct json_object *result;

	if (fd < 0) {
		json_object_put(params);
		return NULL;
	}
	result = exchange(fd, method, params, err, errlen);
	close(fd);
	return result;
}

int domlink_console(const struct dom_table *t, const struct dom_record *r, char *err, size_t errlen)
{
	int fd = connect_domain(t, r, err, errlen);
	struct json_object *result;
	struct timeval none = { 0, 0 };

	if (fd < 0)
		return -1;
	if (!(result = exchange(fd, "console", NULL, err, errlen))) {
		close(fd);
		return -1;
	}
	json_object_put(result);
	/* The client keeps the connection as long as it likes. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
	return fd;
}

unsigned domlink_refresh(struct dom_table *t)
{
	unsigned reached = 0;

	for (unsigned i = 0; i < t->count; i++) {
		struct dom_record *r = t->recs[i];
		struct json_object *info, *state;
		char err[256];

		if (!dom_alive(r) || !(info = domlink_call(t, r, "info", NULL, err, sizeof(err))))
			continue;
		reached++;
		if (json_object_object_get_ex(info, "state", &state))
			dom_set_paused(t, r, !strcmp(json_object_get_string(state), "paused"));
		json_object_put(info);
	}
	return reached;
}

/* api_client.c: the CLI's side of the control API (docs/api.md): finding
 * the daemon's socket, one request and its reply (with a descriptor the
 * daemon may pass along), and reading fields of the result. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/api_client.h"
#include "daemon/api.h"
#include "daemon/daemon.h"
#include "lib/log.h"

#define REPLY_MAX (16u << 20)

/* --socket, else $PVISOR_SOCKET, else the default. */
const char *api_socket_path(const char *option)
{
	const char *env = getenv("PVISOR_SOCKET");

	return option ? option : (env && *env) ? env : PVISOR_DEFAULT_SOCKET;
}

static int connect_daemon(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(addr.sun_path)) {
		log_error("bad socket path %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	strcpy(addr.sun_path, path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		log_errno("cannot reach the daemon at %s (is `pvisor daemon` running?)", path);
		close(fd);
		return -1;
	}
	return fd;
}

const char *api_field(struct json_object *o, const char *key, const char *none)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : none;
}

/* Reads until a newline; a descriptor passed along (SCM_RIGHTS) goes to
 * *fd. Returns the NUL-terminated text (malloc'ed) or NULL. */
static char *read_reply(int sock, int *fd)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1);

	while (buf && !memchr(buf, '\n', len)) {
		char control[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { buf + len, cap - len };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
				      .msg_controllen = sizeof(control) };
		ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		struct cmsghdr *cm;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS && fd)
				memcpy(fd, CMSG_DATA(cm), sizeof(int));
		len += (size_t)n;
		if (len == cap) {
			char *more = cap < REPLY_MAX ? realloc(buf, (cap *= 2) + 1) : NULL;

			if (!more)
				break;
			buf = more;
		}
	}
	if (buf && memchr(buf, '\n', len)) {
		buf[len] = '\0';
		return buf;
	}
	free(buf);
	return NULL;
}

/* Sends {"pvisor":1,"method":METHOD,"params":PARAMS} (PARAMS is consumed)
 * and returns the reply's "result" (the caller puts the returned reply
 * object), or NULL after printing the daemon's error. A descriptor that
 * comes with the reply goes to *fd (if fd is not NULL; else it is closed). */
struct json_object *api_call_fd(const char *path, const char *method, struct json_object *params,
				   struct json_object **reply, int *fd_out)
{
	struct json_object *req = json_object_new_object(), *result = NULL, *error, *m;
	const char *text;
	int fd = connect_daemon(path), passed = -1;
	char *line = NULL;

	*reply = NULL;
	json_object_object_add(req, "pvisor", json_object_new_int(PVISOR_API_VERSION));
	json_object_object_add(req, "method", json_object_new_string(method));
	if (params)
		json_object_object_add(req, "params", params);
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (fd < 0)
		goto out;
	if (send(fd, text, strlen(text), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		log_errno("cannot send to the daemon");
		goto out;
	}
	if (!(line = read_reply(fd, &passed)) || !(*reply = json_tokener_parse(line))) {
		log_error("the daemon gave no reply");
		goto out;
	}
	if (json_object_object_get_ex(*reply, "error", &error)) {
		json_object_object_get_ex(error, "message", &m);
		log_error("%s", m ? json_object_get_string(m) : json_object_get_string(error));
	} else if (!json_object_object_get_ex(*reply, "result", &result)) {
		log_error("the daemon's reply has no result");
	}
out:
	if (!result) {
		json_object_put(*reply);
		*reply = NULL;
	}
	if (result && fd_out)
		*fd_out = passed;
	else if (passed >= 0)
		close(passed);
	if (fd >= 0)
		close(fd);
	free(line);
	json_object_put(req);
	return result;
}

struct json_object *api_call(const char *path, const char *method, struct json_object *params,
				struct json_object **reply)
{
	return api_call_fd(path, method, params, reply, NULL);
}


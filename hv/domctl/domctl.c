/* domctl.c: a domain's control socket (see domctl.h): one thread, epoll
 * over the listening socket and at most MAX_CLIENTS connections. Requests
 * act on the domain through core/control.c; a client that asks for the
 * console turns into a raw byte stream both ways (its keys into the
 * console's input pipe, the guest's output mirrored to it). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "console/console.h"
#include "core/domain.h"
#include "domctl/domctl.h"
#include "lib/json_line.h"
#include "lib/log.h"
#include "lib/seccomp_policy.h"

#define MAX_CLIENTS     16
#define MAX_LINE        4096    /* bytes in one request */
#define API_VERSION     1       /* the daemon's (docs/api.md) */
#define SEND_TIMEOUT_S  1

struct ctl_client {
	int fd;
	bool console;
	size_t len;
	char buf[MAX_LINE];
};

struct domctl {
	int listen_fd, epoll_fd, stop_fd;
	pthread_t thread;
	pthread_mutex_t lock;           /* dom, and requests acting on it */
	struct domain *dom;
	struct console *console;
	int console_in;
	struct ctl_client *console_client;
	struct ctl_client *clients[MAX_CLIENTS];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* ---- Requests ------------------------------------------------------------ */

static struct json_object *method_info(struct domctl *ctl, struct json_object *params,
				       struct json_object **error)
{
	struct json_object *o = json_object_new_object();
	struct domain_info info;
	struct timespec cpu;

	(void)params;
	(void)error;
	domain_snapshot(ctl->dom, &info);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	json_object_object_add(o, "id", json_object_new_int(info.domid));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "state", json_object_new_string(info.paused ? "paused" : "running"));
	json_object_object_add(o, "mode", json_object_new_string(domain_mode_name(info.mode)));
	json_object_object_add(o, "vcpus", json_object_new_int((int)info.vcpus));
	json_object_object_add(o, "boots", json_object_new_int64((int64_t)info.boot_count + 1));
	json_object_object_add(o, "mem_bytes", json_object_new_int64((int64_t)info.mem_bytes));
	json_object_object_add(o, "mem_target_bytes", json_object_new_int64((int64_t)info.mem_target_bytes));
	json_object_object_add(o, "mem_max_bytes", json_object_new_int64((int64_t)info.mem_max_bytes));
	json_object_object_add(o, "mem_boot_bytes", json_object_new_int64((int64_t)info.mem_boot_bytes));
	json_object_object_add(o, "cpu_s", json_object_new_double((double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9));
	json_object_object_add(o, "boot_uptime_s", json_object_new_double((double)info.uptime_ns / 1e9));
	json_object_object_add(o, "exits", json_object_new_int64((int64_t)info.exits));
	json_object_object_add(o, "hypercalls", json_object_new_int64((int64_t)info.hypercalls));
	json_object_object_add(o, "upcalls", json_object_new_int64((int64_t)info.upcalls));
	json_object_object_add(o, "console_bytes", json_object_new_int64((int64_t)info.console_bytes));
	json_object_object_add(o, "blk_requests", json_object_new_int64((int64_t)info.io.blk_requests));
	json_object_object_add(o, "net_packets", json_object_new_int64((int64_t)info.io.net_packets));
	return o;
}

static struct json_object *method_pause(struct domctl *ctl, struct json_object *params,
					struct json_object **error)
{
	(void)params;
	(void)error;
	domain_pause(ctl->dom);
	return json_object_new_object();
}

static struct json_object *method_unpause(struct domctl *ctl, struct json_object *params,
					  struct json_object **error)
{
	(void)params;
	(void)error;
	domain_unpause(ctl->dom);
	return json_object_new_object();
}

static struct json_object *request(struct domctl *ctl, uint32_t what, struct json_object **error)
{
	int rc = domain_request(ctl->dom, what);

	if (rc == -ENOTSUP)
		*error = json_line_error("not-supported", "a full-mode guest has no control event (no ACPI); "
				     "use destroy");
	else if (rc == -ENOENT)
		*error = json_line_error("not-listening", "the guest has not bound VIRQ_CONTROL (not booted "
				     "yet, or its kernel does not handle it)");
	return rc < 0 ? NULL : json_object_new_object();
}

static struct json_object *method_shutdown(struct domctl *ctl, struct json_object *params,
					   struct json_object **error)
{
	(void)params;
	return request(ctl, PVISOR_CONTROL_POWEROFF, error);
}

static struct json_object *method_reboot(struct domctl *ctl, struct json_object *params,
					 struct json_object **error)
{
	(void)params;
	return request(ctl, PVISOR_CONTROL_REBOOT, error);
}

/* params.bytes: a whole number of pages, at least one. */
static int64_t param_pages(struct json_object *params, struct json_object **error)
{
	struct json_object *b;
	int64_t bytes;

	if (!params || !json_object_object_get_ex(params, "bytes", &b) || !json_object_is_type(b, json_type_int) ||
	    (bytes = json_object_get_int64(b)) < 4096 || bytes % 4096) {
		*error = json_line_error("bad-request", "params.bytes must be a whole number of 4 KiB pages");
		return -1;
	}
	return bytes / 4096;
}

static struct json_object *memory_result(struct domctl *ctl, int rc, struct json_object **error)
{
	if (rc == -ENOTSUP)
		*error = json_line_error("not-supported", "only PV guests have a balloon");
	else if (rc == -EINVAL)
		*error = json_line_error("out-of-range", "a target must be at most the max, and a max at most "
				     "the RAM the domain booted with");
	return rc < 0 ? NULL : method_info(ctl, NULL, error);
}

static struct json_object *method_mem_set(struct domctl *ctl, struct json_object *params,
					  struct json_object **error)
{
	int64_t pages = param_pages(params, error);

	return pages < 0 ? NULL : memory_result(ctl, domain_set_mem_target(ctl->dom, (uint64_t)pages), error);
}

static struct json_object *method_mem_max(struct domctl *ctl, struct json_object *params,
					  struct json_object **error)
{
	int64_t pages = param_pages(params, error);

	return pages < 0 ? NULL : memory_result(ctl, domain_set_mem_max(ctl->dom, (uint64_t)pages), error);
}

static const struct {
	const char *name;
	struct json_object *(*run)(struct domctl *, struct json_object *, struct json_object **);
} methods[] = {
	{ "info", method_info },
	{ "pause", method_pause },
	{ "unpause", method_unpause },
	{ "shutdown", method_shutdown },
	{ "reboot", method_reboot },
	{ "mem-set", method_mem_set },
	{ "mem-max", method_mem_max },
	/* "console" is the connection's, see serve_request */
};

static struct json_object *dispatch(struct domctl *ctl, const char *name, struct json_object *params,
				    struct json_object **error)
{
	struct json_object *result = NULL;
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(methods[i].name, name))
			break;
	if (i == sizeof(methods) / sizeof(methods[0])) {
		*error = json_line_error("unknown-method", name);
		return NULL;
	}
	pthread_mutex_lock(&ctl->lock);
	if (!ctl->dom)
		*error = json_line_error("rebooting", "the domain is between two boots; try again");
	else
		result = methods[i].run(ctl, params, error);
	pthread_mutex_unlock(&ctl->lock);
	return result;
}

/* ---- Connections --------------------------------------------------------- */

static void send_text(int fd, const char *text)
{
	size_t len = strlen(text);

	while (len) {
		ssize_t n = send(fd, text, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;         /* the client goes when it reads EOF or we drop it */
		text += n;
		len -= (size_t)n;
	}
}

static void send_reply(int fd, struct json_object *id, struct json_object *result, struct json_object *error)
{
	struct json_object *reply = json_object_new_object();
	char *text;

	json_object_object_add(reply, "pvisor", json_object_new_int(API_VERSION));
	if (id)
		json_object_object_add(reply, "id", json_object_get(id));
	if (error)
		json_object_object_add(reply, "error", error);
	else
		json_object_object_add(reply, "result", result);
	if (asprintf(&text, "%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN)) >= 0) {
		send_text(fd, text);
		free(text);
	}
	json_object_put(reply);
}

/* The client becomes the console: the reply goes out first, then output. */
static struct json_object *attach_console(struct domctl *ctl, struct ctl_client *c, struct json_object *id,
					  struct json_object **error)
{
	if (ctl->console_client) {
		*error = json_line_error("busy", "another client has the console");
		return NULL;
	}
	send_reply(c->fd, id, json_object_new_object(), NULL);
	c->console = true;
	ctl->console_client = c;
	console_set_mirror(ctl->console, c->fd);
	return NULL;
}

static void serve_request(struct domctl *ctl, struct ctl_client *c, const char *line, size_t len)
{
	struct json_object *req = json_line_parse(line, len), *id = NULL, *version, *method, *params = NULL;
	struct json_object *result = NULL, *error = NULL;

	if (!req) {
		error = json_line_error("bad-json", "a request is one JSON object on one line");
	} else {
		json_object_object_get_ex(req, "id", &id);
		json_object_object_get_ex(req, "params", &params);
		if (!json_object_object_get_ex(req, "pvisor", &version) ||
		    !json_object_is_type(version, json_type_int) || json_object_get_int(version) != API_VERSION)
			error = json_line_error("bad-version", "requests carry \"pvisor\": 1");
		else if (!json_object_object_get_ex(req, "method", &method) ||
			 !json_object_is_type(method, json_type_string))
			error = json_line_error("bad-request", "no \"method\" string");
		else if (params && !json_object_is_type(params, json_type_object))
			error = json_line_error("bad-request", "\"params\" must be an object");
		else if (!strcmp(json_object_get_string(method), "console")) {
			result = attach_console(ctl, c, id, &error);
			if (!error) {
				json_object_put(req);
				return;
			}
		} else
			result = dispatch(ctl, json_object_get_string(method), params, &error);
	}
	send_reply(c->fd, id, result, error);
	json_object_put(req);
}

static void drop_client(struct domctl *ctl, struct ctl_client *c)
{
	if (c == ctl->console_client) {
		console_set_mirror(ctl->console, -1);
		ctl->console_client = NULL;
	}
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (ctl->clients[i] == c)
			ctl->clients[i] = NULL;
	close(c->fd);
	free(c);
}

/* A console client's keys go to the guest; what the pipe cannot take
 * (the guest reads none of it) is dropped. */
static void forward_keys(struct domctl *ctl, const char *buf, size_t len)
{
	if (write(ctl->console_in, buf, len) < 0 && errno != EAGAIN)
		log_errno("console input");
}

static void read_client(struct domctl *ctl, struct ctl_client *c)
{
	char *nl;
	ssize_t n;

	if (c->console) {
		char keys[512];

		n = read(c->fd, keys, sizeof(keys));
		if (n <= 0)
			drop_client(ctl, c);
		else
			forward_keys(ctl, keys, (size_t)n);
		return;
	}
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n <= 0) {
		drop_client(ctl, c);
		return;
	}
	c->len += (size_t)n;
	while (!c->console && (nl = memchr(c->buf, '\n', c->len))) {
		size_t line = (size_t)(nl - c->buf);

		serve_request(ctl, c, c->buf, line);
		memmove(c->buf, nl + 1, c->len - line - 1);
		c->len -= line + 1;
	}
	if (c->len == sizeof(c->buf)) {
		send_reply(c->fd, NULL, NULL, json_line_error("too-long", "a request is at most 4 KiB"));
		drop_client(ctl, c);
	}
}

static void accept_client(struct domctl *ctl)
{
	struct timeval tv = { .tv_sec = SEND_TIMEOUT_S };
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	struct ctl_client *c;
	unsigned i;

	if (fd < 0)
		return;
	for (i = 0; i < MAX_CLIENTS && ctl->clients[i]; i++)
		;
	if (i == MAX_CLIENTS || !(c = calloc(1, sizeof(*c)))) {
		send_text(fd, "{\"pvisor\":1,\"error\":{\"code\":\"busy\",\"message\":\"too many clients\"}}\n");
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->fd = fd;
	ctl->clients[i] = c;
	ev.data.ptr = c;
	if (epoll_ctl(ctl->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		drop_client(ctl, c);
}

static void *domctl_thread(void *arg)
{
	struct domctl *ctl = arg;
	struct epoll_event evs[8];

	seccomp_name_thread("control");
	for (;;) {
		int n = epoll_wait(ctl->epoll_fd, evs, 8, -1);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &ctl->stop_fd)
				return NULL;
			if (evs[i].data.ptr == &ctl->listen_fd)
				accept_client(ctl);
			else
				read_client(ctl, evs[i].data.ptr);
		}
	}
}

/* ---- Life ---------------------------------------------------------------- */

static int listen_on(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		log_error("--control-socket %s: path too long", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		log_error("--control-socket %s: another process serves it", path);
		close(fd);
		return -1;
	}
	close(fd);
	unlink(path);           /* a stale socket of a process that died */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		log_errno("--control-socket %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int watch(struct domctl *ctl, int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(ctl->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

struct domctl *domctl_start(const char *path, struct console *console, int console_in)
{
	struct domctl *ctl = calloc(1, sizeof(*ctl));

	if (!ctl) {
		log_error("out of memory");
		return NULL;
	}
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	ctl->console = console;
	ctl->console_in = console_in;
	pthread_mutex_init(&ctl->lock, NULL);
	ctl->stop_fd = eventfd(0, EFD_CLOEXEC);
	ctl->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	ctl->listen_fd = listen_on(path);
	if (ctl->listen_fd < 0 || ctl->stop_fd < 0 || ctl->epoll_fd < 0 ||
	    watch(ctl, ctl->listen_fd, &ctl->listen_fd) < 0 || watch(ctl, ctl->stop_fd, &ctl->stop_fd) < 0 ||
	    pthread_create(&ctl->thread, NULL, domctl_thread, ctl) != 0) {
		if (ctl->listen_fd >= 0) {
			log_error("cannot serve the control socket %s", path);
			close(ctl->listen_fd);
			unlink(path);
		}
		if (ctl->stop_fd >= 0)
			close(ctl->stop_fd);
		if (ctl->epoll_fd >= 0)
			close(ctl->epoll_fd);
		free(ctl);
		return NULL;
	}
	return ctl;
}

void domctl_set_domain(struct domctl *ctl, struct domain *d)
{
	pthread_mutex_lock(&ctl->lock);
	ctl->dom = d;
	pthread_mutex_unlock(&ctl->lock);
}

void domctl_stop(struct domctl *ctl)
{
	uint64_t one = 1;

	if (!ctl)
		return;
	if (write(ctl->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(ctl->thread, NULL);
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (ctl->clients[i])
			drop_client(ctl, ctl->clients[i]);
	close(ctl->listen_fd);
	unlink(ctl->path);
	close(ctl->epoll_fd);
	close(ctl->stop_fd);
	pthread_mutex_destroy(&ctl->lock);
	free(ctl);
}

/* server.c: the daemon's event loop: the listening socket, the clients'
 * connections (one JSON request per line, replies in order) and signals
 * (a domain process ended; stop). See daemon.h. */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/api.h"
#include "daemon/daemon.h"
#include "daemon/domlink.h"
#include "daemon/launcher.h"
#include "lib/log.h"
#include "lib/seccomp_policy.h"

#define MAX_CLIENTS      256            /* the longest idle one goes for a new one */
#define MAX_FDS          65536          /* clients and domains are found by their fd */
#define MAX_REQUEST      (1u << 20)     /* bytes in one line */
#define SEND_TIMEOUT_S   1              /* a client that does not read loses its reply */

struct client {
	int fd;
	char *buf;
	size_t len, cap;
	time_t last_active;
	bool subscribed;        /* gets every event */
	int wait_id;            /* > 0: owes a "wait" (or "create") reply about that domain */
	bool wait_create;
	char *wait_request_id;
	bool doomed;            /* dropped at the next sweep (not mid-request) */
};

struct server {
	int listen_fd, signal_fd, epoll_fd;
	struct client *clients[MAX_FDS];        /* by fd: events carry the fd */
	struct dom_record *domains[MAX_FDS];    /* by pidfd */
	unsigned nr_clients;
	bool sweep;             /* some client is doomed or has requests to resume */
	struct dom_table table;
	bool stop;
};

/* The socket's directory exists; a live daemon already there is an error,
 * a stale socket file is replaced. Mode 0660, group "pvisor" if it exists. */
static int open_socket(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char dir[sizeof(addr.sun_path)];
	struct group *g;
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		log_error("socket path %s is too long", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	strcpy(dir, path);
	if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST) {
		log_errno("cannot create %s", dir);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		if (fd >= 0)
			log_error("a daemon already serves %s", path);
		else
			log_errno("socket");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		log_error("%s exists and is not a socket", path);
		close(fd);
		return -1;
	}
	unlink(path);           /* a stale socket: no daemon answered on it */
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 64) < 0) {
		log_errno("cannot listen on %s", path);
		close(fd);
		return -1;
	}
	chmod(path, 0660);
	if ((g = getgrnam("pvisor")))
		if (chown(path, 0, g->gr_gid) < 0)
			log_errno("cannot give %s to group pvisor", path);
	return fd;
}

static void drop_client(struct server *s, struct client *c)
{
	epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	s->clients[c->fd] = NULL;
	s->nr_clients--;
	close(c->fd);
	free(c->buf);
	free(c->wait_request_id);
	free(c);
}

static void drop_longest_idle(struct server *s)
{
	struct client *oldest = NULL;

	for (unsigned fd = 0; fd < MAX_FDS; fd++)
		if (s->clients[fd] && (!oldest || s->clients[fd]->last_active < oldest->last_active))
			oldest = s->clients[fd];
	if (oldest)
		drop_client(s, oldest);
}

static void accept_client(struct server *s)
{
	struct timeval tv = { .tv_sec = SEND_TIMEOUT_S };
	struct epoll_event ev = { .events = EPOLLIN };
	struct client *c;
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (fd >= MAX_FDS || !(c = calloc(1, sizeof(*c)))) {
		close(fd);
		return;
	}
	if (s->nr_clients == MAX_CLIENTS)
		drop_longest_idle(s);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->fd = fd;
	c->last_active = time(NULL);
	s->clients[fd] = c;
	s->nr_clients++;
	ev.data.fd = fd;
	epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static bool send_line(int fd, const char *text)
{
	size_t len = strlen(text);

	return send(fd, text, len, MSG_NOSIGNAL) == (ssize_t)len && send(fd, "\n", 1, MSG_NOSIGNAL) == 1;
}

/* The reply line with a file descriptor (the console connection). */
static bool send_line_with_fd(int fd, const char *text, int pass_fd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov[2] = { { (void *)text, strlen(text) }, { "\n", 1 } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	return sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)(iov[0].iov_len + 1);
}

/* An event never blocks the daemon: a subscriber too slow to take it is
 * dropped. False: drop the client. */
static bool send_event(int fd, const char *text)
{
	struct iovec iov[2] = { { (void *)text, strlen(text) }, { "\n", 1 } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	return sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)(iov[0].iov_len + 1);
}

/* What a request's effects ask of the connection. False: drop it. */
static bool apply_effects(struct client *c, const char *reply, struct api_effects *fx)
{
	bool ok = true;

	if (fx->wait_id > 0) {
		c->wait_id = fx->wait_id;
		c->wait_create = fx->wait_create;
		free(c->wait_request_id);
		c->wait_request_id = fx->wait_request_id;
		return true;
	}
	if (!reply)
		ok = false;
	else if (fx->pass_fd >= 0)
		ok = send_line_with_fd(c->fd, reply, fx->pass_fd);
	else
		ok = send_line(c->fd, reply);
	if (fx->pass_fd >= 0)
		close(fx->pass_fd);
	if (fx->subscribe)
		c->subscribed = true;
	return ok;
}

/* Answers every complete line in the buffer. False: drop the client. */
static bool serve_lines(struct server *s, struct client *c)
{
	char *nl;

	while (!c->wait_id && (nl = memchr(c->buf, '\n', c->len))) {
		size_t line = (size_t)(nl - c->buf);
		struct api_effects fx = { .pass_fd = -1 };
		char *reply = api_handle(&s->table, c->buf, line, &fx);
		bool ok = apply_effects(c, reply, &fx);

		free(reply);
		memmove(c->buf, nl + 1, c->len - line - 1);
		c->len -= line + 1;
		if (!ok)
			return false;
	}
	if (c->len > MAX_REQUEST) {
		send_line(c->fd, "{\"pvisor\":1,\"error\":{\"code\":\"too-large\",\"message\":\"a request is at most 1 MiB\"}}");
		return false;
	}
	return true;
}

static void read_client(struct server *s, struct client *c)
{
	ssize_t n;

	if (c->cap - c->len < 65536) {
		size_t cap = c->cap ? c->cap * 2 : 65536;
		char *buf = realloc(c->buf, cap);

		if (!buf) {
			drop_client(s, c);
			return;
		}
		c->buf = buf;
		c->cap = cap;
	}
	n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			drop_client(s, c);
		return;
	}
	c->len += (size_t)n;
	c->last_active = time(NULL);
	if (!serve_lines(s, c))
		c->doomed = s->sweep = true;
}

static void read_signals(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->signal_fd, &si, sizeof(si)) == sizeof(si))
		s->stop = true;
}

/* ---- The domain table's hooks ---------------------------------------------- */

static void domain_changed(void *ctx, struct dom_record *r, const char *event)
{
	struct server *s = ctx;
	/* Subscribers never heard of a domain whose creation failed. */
	char *line = strcmp(event, "create-failed") ? api_event(r, event) : NULL;

	for (unsigned fd = 0; fd < MAX_FDS && s->nr_clients; fd++) {
		struct client *c = s->clients[fd];
		bool ok = true;
		char *reply;

		if (!c)
			continue;
		if (c->subscribed && line)
			ok = send_event(c->fd, line);
		if (ok && c->wait_id == r->id &&
		    (reply = api_wait_reply(c->wait_request_id, r, event, c->wait_create))) {
			ok = send_line(c->fd, reply);
			free(reply);
			c->wait_id = 0;
			s->sweep = true;        /* requests that came behind the wait */
		}
		if (!ok) {
			c->doomed = true;
			s->sweep = true;
		}
	}
	free(line);
}

/* Between events: drop doomed clients, serve the ones a wait held up. */
static void sweep_clients(struct server *s)
{
	if (!s->sweep)
		return;
	s->sweep = false;
	for (unsigned fd = 0; fd < MAX_FDS; fd++) {
		struct client *c = s->clients[fd];

		if (c && !c->doomed && !c->wait_id && c->len && !serve_lines(s, c))
			c->doomed = true;
		if (c && c->doomed)
			drop_client(s, c);
	}
}

static void domain_watch(void *ctx, struct dom_record *r, bool add)
{
	struct server *s = ctx;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = r->pidfd };

	if (r->pidfd < 0 || r->pidfd >= MAX_FDS) {
		if (add)
			log_error("domain %u: no pidfd slot; its end will not be seen", r->id);
		return;
	}
	if (add && epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, r->pidfd, &ev) == 0) {
		s->domains[r->pidfd] = r;
	} else if (!add) {
		epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, r->pidfd, NULL);
		s->domains[r->pidfd] = NULL;
	}
}

/* Domains need a descriptor each (their pidfd): take every one allowed. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > MAX_FDS ? MAX_FDS : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int setup(struct server *s, const char *socket_path, const char *state_dir, const char *self_exe,
		 const char *cgroup, bool jail)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	struct dom_table_hooks hooks = { domain_changed, domain_watch, s };
	unsigned adopted;

	raise_fd_limit();
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->signal_fd < 0 || s->epoll_fd < 0) {
		log_errno("cannot set up the event loop");
		return -1;
	}
	/* The socket first: a daemon that is refused makes nothing else. */
	if ((s->listen_fd = open_socket(socket_path)) < 0)
		return -1;
	if (dom_table_init(&s->table, state_dir, self_exe, cgroup, &hooks) < 0) {
		close(s->listen_fd);
		unlink(socket_path);
		return -1;
	}
	s->table.jail = jail;
	if (launcher_start(self_exe, &s->table.cg) < 0) {
		close(s->listen_fd);
		unlink(socket_path);
		return -1;
	}
	adopted = dom_table_adopt(&s->table);
	if (s->table.count)
		fprintf(stderr, "pvisor: re-adopted %u domains (%u running, %u answered)\n", s->table.count,
			adopted, domlink_refresh(&s->table));
	ev.data.fd = s->listen_fd;
	epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &ev);
	ev.data.fd = s->signal_fd;
	epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->signal_fd, &ev);
	/* Set up: from now on the daemon keeps to its list (no exec, no fork). */
	if (seccomp_confine_daemon() < 0) {
		close(s->listen_fd);
		unlink(socket_path);
		return -1;
	}
	return 0;
}

int daemon_main(const char *socket_path, const char *state_dir, const char *self_exe, const char *cgroup,
		bool jail)
{
	static struct server s = { .listen_fd = -1, .signal_fd = -1, .epoll_fd = -1 };
	struct epoll_event events[32];

	if (setup(&s, socket_path, state_dir, self_exe, cgroup, jail) < 0)
		return PVISOR_EXIT_ERROR;
	fprintf(stderr, "pvisor: daemon serving %s (state in %s; domains %s)\n", socket_path, state_dir,
		jail ? "jailed" : "not jailed");
	while (!s.stop) {
		int n = epoll_wait(s.epoll_fd, events, 32, dom_next_deadline_ms(&s.table));

		for (int i = 0; i < n && !s.stop; i++) {
			int fd = events[i].data.fd;

			if (fd == s.listen_fd)
				accept_client(&s);
			else if (fd == s.signal_fd)
				read_signals(&s);
			else if (fd >= 0 && fd < MAX_FDS && s.domains[fd])
				dom_ended(&s.table, s.domains[fd]);
			else if (fd >= 0 && fd < MAX_FDS && s.clients[fd] && !s.clients[fd]->doomed)
				read_client(&s, s.clients[fd]);
		}
		dom_expire_graces(&s.table);
		sweep_clients(&s);
	}
	for (unsigned fd = 0; fd < MAX_FDS; fd++)
		if (s.clients[fd])
			drop_client(&s, s.clients[fd]);
	unlink(socket_path);
	dom_table_destroy(&s.table);
	fprintf(stderr, "pvisor: daemon stopped; domains go on running\n");
	return 0;
}

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
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/api.h"
#include "daemon/daemon.h"
#include "lib/log.h"

#define MAX_CLIENTS      256            /* the longest idle one goes for a new one */
#define MAX_FDS          4096           /* clients are found by their fd */
#define MAX_REQUEST      (1u << 20)     /* bytes in one line */
#define SEND_TIMEOUT_S   1              /* a client that does not read loses its reply */

struct client {
	int fd;
	char *buf;
	size_t len, cap;
	time_t last_active;
};

struct server {
	int listen_fd, signal_fd, epoll_fd;
	struct client *clients[MAX_FDS];        /* by fd: events carry the fd */
	unsigned nr_clients;
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

/* Answers every complete line in the buffer. False: drop the client. */
static bool serve_lines(struct server *s, struct client *c)
{
	char *nl;

	while ((nl = memchr(c->buf, '\n', c->len))) {
		size_t line = (size_t)(nl - c->buf);
		char *reply = api_handle(&s->table, c->buf, line);
		bool ok = reply && send_line(c->fd, reply);

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
		drop_client(s, c);
}

static void read_signals(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			dom_reap(&s->table);
		else
			s->stop = true;
	}
}

static int setup(struct server *s, const char *socket_path, const char *state_dir, const char *self_exe)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
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
	if (dom_table_init(&s->table, state_dir, self_exe) < 0 ||
	    (s->listen_fd = open_socket(socket_path)) < 0)
		return -1;
	ev.data.fd = s->listen_fd;
	epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &ev);
	ev.data.fd = s->signal_fd;
	epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->signal_fd, &ev);
	return 0;
}

int daemon_main(const char *socket_path, const char *state_dir, const char *self_exe)
{
	static struct server s = { .listen_fd = -1, .signal_fd = -1, .epoll_fd = -1 };
	struct epoll_event events[32];

	if (setup(&s, socket_path, state_dir, self_exe) < 0)
		return PVISOR_EXIT_ERROR;
	fprintf(stderr, "pvisor: daemon serving %s (state in %s)\n", socket_path, state_dir);
	while (!s.stop) {
		int n = epoll_wait(s.epoll_fd, events, 32, -1);

		for (int i = 0; i < n && !s.stop; i++) {
			int fd = events[i].data.fd;

			if (fd == s.listen_fd)
				accept_client(&s);
			else if (fd == s.signal_fd)
				read_signals(&s);
			else if (fd >= 0 && fd < MAX_FDS && s.clients[fd])
				read_client(&s, s.clients[fd]);
		}
	}
	for (unsigned fd = 0; fd < MAX_FDS; fd++)
		if (s.clients[fd])
			drop_client(&s, s.clients[fd]);
	unlink(socket_path);
	dom_table_destroy(&s.table);
	fprintf(stderr, "pvisor: daemon stopped; domains go on running\n");
	return 0;
}

/* launcher.c: the process that starts the daemon's processes (launcher.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/launcher.h"
#include "lib/log.h"

enum launch_kind { LAUNCH_REQUEST = 1, LAUNCH_STARTED, LAUNCH_ENDED };

#define MSG_MAX 8192
#define ENDED_MAX 1024  /* ends reported before the daemon asked for them */

struct launch_msg {
	uint32_t kind;
	int32_t pid;
	int32_t value;          /* request: 1 = new session; started: errno; ended: wait status */
	int32_t cgroup_id;
	uint32_t argc;
	char strings[];         /* request: cwd, then argv, each NUL-terminated */
};

static int sock = -1;
static pid_t launcher;
static struct { pid_t pid; int status; } ended[ENDED_MAX];
static unsigned nr_ended;

/* ---- Messages with descriptors ---------------------------------------------- */

static int send_msg(int fd, const struct launch_msg *m, size_t len, const int *fds, unsigned nfds)
{
	union { char buf[CMSG_SPACE(3 * sizeof(int))]; struct cmsghdr align; } control;
	struct iovec iov = { .iov_base = (void *)m, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* One message into buf (MSG_MAX bytes); up to 3 descriptors into fds
 * (the rest -1). Its length, 0 at end of stream, or -1. */
static ssize_t receive_msg(int fd, void *buf, int fds[3])
{
	union { char buf[CMSG_SPACE(3 * sizeof(int))]; struct cmsghdr align; } control;
	struct iovec iov = { .iov_base = buf, .iov_len = MSG_MAX };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c;
	ssize_t n;

	fds[0] = fds[1] = fds[2] = -1;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (c = CMSG_FIRSTHDR(&msg); n > 0 && c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			memcpy(fds, CMSG_DATA(c), (count > 3 ? 3 : count) * sizeof(int));
		}
	if (n >= 0 && (size_t)n < sizeof(struct launch_msg))
		return n == 0 ? 0 : -1;
	return n;
}

/* ---- The launcher process ------------------------------------------------------ */

/* In the new process: its session, cgroup, descriptors and directory, then
 * the pvisor binary. */
static _Noreturn void become(const struct launch_msg *m, char **argv, const char *cwd, const int fds[3],
			     const char *self_exe, const struct dom_cgroups *cg)
{
	sigset_t none;
	int err = 0;
	bool entered = true;

	if (m->value & 1)
		setsid();
	if (m->cgroup_id >= 0 && cg->version) {
		entered = cg_domain_enter(cg, (unsigned)m->cgroup_id, getpid()) == 0;
		err = errno;
	}
	for (int i = 0; i < 3; i++)
		if (fds[i] < 0 || dup2(fds[i], i) < 0)
			_exit(PVISOR_EXIT_ERROR);
	closefrom(3);
	if (!entered)   /* into the domain's log */
		fprintf(stderr, "pvisor: domain %d runs outside its cgroup (CPU weight and cap not enforced): %s\n",
			m->cgroup_id, strerror(err));
	if (chdir(cwd) < 0) {
		fprintf(stderr, "pvisor: cannot enter the client's directory %s: %s\n", cwd, strerror(errno));
		_exit(PVISOR_EXIT_ERROR);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execv(self_exe, argv);
	_exit(127);
}

/* A request: argv and cwd out of the message, checked; fork; reply. */
static void serve_request(struct launch_msg *m, size_t len, int fds[3], const char *self_exe,
			  const struct dom_cgroups *cg)
{
	char *argv[LAUNCH_ARGS_MAX + 1], *p = m->strings, *end = (char *)m + len, *cwd;
	struct launch_msg reply = { .kind = LAUNCH_STARTED };
	int pidfd = -1;
	pid_t pid = -1;
	unsigned i;

	cwd = p;
	for (i = 0; i <= m->argc && p < end; i++) {
		char *nul = memchr(p, '\0', (size_t)(end - p));

		if (!nul)
			break;
		if (i)
			argv[i - 1] = p;
		p = nul + 1;
	}
	if (m->kind != LAUNCH_REQUEST || m->argc == 0 || m->argc > LAUNCH_ARGS_MAX || i != m->argc + 1 ||
	    fds[2] < 0) {
		reply.value = EINVAL;
	} else {
		argv[m->argc] = NULL;
		pid = fork();
		if (pid == 0)
			become(m, argv, cwd, fds, self_exe, cg);
		reply.value = pid < 0 ? errno : 0;
		if (pid > 0 && (pidfd = pidfd_open(pid, 0)) < 0)
			reply.value = errno;
	}
	reply.pid = pid;
	send_msg(sock, &reply, sizeof(reply), &pidfd, pidfd >= 0);
	if (pidfd >= 0)
		close(pidfd);
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void report_ends(void)
{
	struct launch_msg m = { .kind = LAUNCH_ENDED };
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		m.pid = pid;
		m.value = status;
		send_msg(sock, &m, sizeof(m), NULL, 0);
	}
}

static _Noreturn void launcher_main(const char *self_exe, const struct dom_cgroups *cg)
{
	static union { struct launch_msg m; char bytes[MSG_MAX]; } buf;
	struct pollfd p[2] = { { .fd = sock, .events = POLLIN } };
	sigset_t chld;
	int fds[3];

	prctl(PR_SET_NAME, (unsigned long)"pvisor-launch", 0, 0, 0);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	p[1].fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(PVISOR_EXIT_ERROR);
		if (p[1].revents) {
			struct signalfd_siginfo si;

			while (read(p[1].fd, &si, sizeof(si)) == sizeof(si))
				;
			report_ends();
		}
		if (p[0].revents) {
			ssize_t n = receive_msg(sock, &buf, fds);

			if (n <= 0)
				_exit(0);       /* the daemon has gone; the domains run on */
			serve_request(&buf.m, (size_t)n, fds, self_exe, cg);
		}
	}
}

int launcher_start(const char *self_exe, const struct dom_cgroups *cg)
{
	int pair[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		log_errno("launcher: socketpair");
		return -1;
	}
	launcher = fork();
	if (launcher < 0) {
		log_errno("launcher: fork");
		return -1;
	}
	if (launcher == 0) {
		sock = pair[1];
		if (sock != 3 && dup2(sock, 3) < 0)
			_exit(PVISOR_EXIT_ERROR);
		sock = 3;
		closefrom(4);
		launcher_main(self_exe, cg);
	}
	close(pair[1]);
	sock = pair[0];
	return 0;
}

/* ---- The daemon's side ---------------------------------------------------------- */

static void note_ended(pid_t pid, int status)
{
	if (nr_ended == ENDED_MAX) {    /* never asked for: forget the oldest */
		memmove(ended, ended + 1, sizeof(ended[0]) * (ENDED_MAX - 1));
		nr_ended--;
	}
	ended[nr_ended].pid = pid;
	ended[nr_ended].status = status;
	nr_ended++;
}

/* The next message; an end is noted (and returned). -1 when the launcher
 * has gone. */
static int next_msg(struct launch_msg *m, int *fd)
{
	static union { struct launch_msg m; char bytes[MSG_MAX]; } buf;
	int fds[3];
	ssize_t n = receive_msg(sock, &buf, fds);

	if (n <= 0) {
		errno = ECHILD;
		return -1;
	}
	if (buf.m.kind == LAUNCH_ENDED)
		note_ended(buf.m.pid, buf.m.value);
	*m = buf.m;
	*fd = fds[0];
	return 0;
}

pid_t launcher_spawn(const struct launch_request *rq, int *pidfd)
{
	static union { struct launch_msg m; char bytes[MSG_MAX]; } buf;
	struct launch_msg reply;
	size_t len = sizeof(struct launch_msg), n;
	unsigned argc = 0;

	buf.m = (struct launch_msg){ .kind = LAUNCH_REQUEST, .value = rq->new_session ? 1 : 0,
				     .cgroup_id = rq->cgroup_id };
	for (const char *s = rq->cwd; s; s = rq->argv[argc++]) {
		n = strlen(s) + 1;
		if (len + n > MSG_MAX || argc > LAUNCH_ARGS_MAX)
			return errno = E2BIG, -1;
		memcpy((char *)&buf + len, s, n);
		len += n;
	}
	buf.m.argc = argc - 1;
	if (sock < 0 || send_msg(sock, &buf.m, len, rq->fds, 3) < 0)
		return -1;
	do
		if (next_msg(&reply, pidfd) < 0)
			return -1;
	while (reply.kind == LAUNCH_ENDED);
	if (reply.kind != LAUNCH_STARTED || reply.value || *pidfd < 0) {
		if (*pidfd >= 0)
			close(*pidfd);
		*pidfd = -1;
		errno = reply.value ? reply.value : EPROTO;
		return -1;
	}
	return reply.pid;
}

int launcher_wait(pid_t pid, int *status)
{
	struct launch_msg reply;
	int fd;

	for (;;) {
		for (unsigned i = 0; i < nr_ended; i++)
			if (ended[i].pid == pid) {
				*status = ended[i].status;
				memmove(&ended[i], &ended[i + 1], sizeof(ended[0]) * (nr_ended - i - 1));
				nr_ended--;
				return 0;
			}
		if (next_msg(&reply, &fd) < 0)
			return -1;
		if (fd >= 0)
			close(fd);      /* a start nobody waits for: cannot happen */
	}
}

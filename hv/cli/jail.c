/* jail.c: the jail of `pvisor run --jail` (jail.h, docs/confinement.md). */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/jail.h"
#include "cli/run_io.h"
#include "lib/log.h"
#include "lib/seccomp_policy.h"

/* Threads of one uid count together against RLIMIT_NPROC: room for many
 * vCPUs, backends and disk workers, not for a fork bomb (seccomp refuses
 * new processes anyway). */
#define JAIL_NPROC 4096

static int parse_id(const char *s, char **end, unsigned long *id)
{
	errno = 0;
	*id = strtoul(s, end, 10);
	return (*end == s || errno || *id == 0 || *id >= 0xffffffffUL) ? -1 : 0;
}

int jail_parse(struct jail *j, const char *arg)
{
	unsigned long uid, gid;
	char *end;

	j->on = true;
	j->uid = j->gid = JAIL_ID_DEFAULT;
	if (!arg)
		return 0;
	if (parse_id(arg, &end, &uid) < 0 || (*end && *end != ':'))
		goto bad;
	gid = uid;
	if (*end == ':' && (parse_id(end + 1, &end, &gid) < 0 || *end))
		goto bad;
	j->uid = (uid_t)uid;
	j->gid = (gid_t)gid;
	return 0;
bad:
	log_error("--jail=%s: give an unprivileged UID or UID:GID (not 0), or no value for %u:%u",
		  arg, JAIL_ID_DEFAULT, JAIL_ID_DEFAULT);
	return -1;
}

/* ---- Step 2: the supervisor and the namespaces ---------------------------- */

/* The supervisor: outside the jail, holding nothing of the domain's. A
 * stop request (SIGTERM, SIGINT, SIGHUP) kills the domain process, which
 * as its pid namespace's init would ignore it; the supervisor ends as the
 * domain process did, after writing the exit file if it exited. */
static _Noreturn void supervise(pid_t child, int alive, const char *exit_path)
{
	sigset_t set;
	siginfo_t si;
	int status = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (alive != STDERR_FILENO + 1)
		dup2(alive, STDERR_FILENO + 1);
	closefrom(STDERR_FILENO + 2);	/* nothing of the domain's; the pipe stays */
	for (;;) {
		if (waitpid(child, &status, WNOHANG) == child)
			break;
		if (sigwaitinfo(&set, &si) > 0 && si.si_signo != SIGCHLD)
			kill(child, SIGKILL);
	}
	if (WIFEXITED(status)) {
		if (exit_path)
			run_io_write_exit_file(exit_path, WEXITSTATUS(status));
		_exit(WEXITSTATUS(status));
	}
	signal(WTERMSIG(status), SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(WTERMSIG(status));
	_exit(128 + WTERMSIG(status));
}

/* The read end of a pipe whose write end only the supervisor holds: it
 * reads as closed once the supervisor has gone. */
static int supervisor_pipe = -1;

/* In the domain process: it dies with the supervisor (a kill -9 of the
 * pid the daemon knows ends the domain). The parent-death signal holds
 * until the uid changes, which clears it; the pipe closes the race with
 * the supervisor's death before the call, and supervisor_watch takes over
 * after the uid change. */
static int follow_supervisor(void)
{
	struct pollfd p = { .fd = supervisor_pipe, .events = POLLIN };

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
		log_errno("jail: PR_SET_PDEATHSIG");
		return -1;
	}
	if (poll(&p, 1, 0) != 0) {
		log_error("jail: the supervisor has ended; stopping");
		return -1;
	}
	return 0;
}

/* New mount, IPC, UTS and network namespaces; mounts made here never
 * propagate back to the host. The TAP devices were opened in step 1: their
 * descriptors keep the host's network namespace. */
static int leave_namespaces(void)
{
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET) < 0) {
		log_errno("jail: cannot make namespaces");
		return -1;
	}
	if (sethostname("pvisor", 6) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		log_errno("jail: cannot set up the new namespaces");
		return -1;
	}
	return 0;
}

int jail_check_root(void)
{
	if (geteuid() != 0) {
		log_error("--jail needs root: it makes namespaces and changes user (run pvisor as root, "
			  "or without --jail)");
		return -1;
	}
	return 0;
}

int jail_enter(const char *exit_path)
{
	int alive[2];
	pid_t pid;

	if (jail_check_root() < 0)
		return -1;
	if (unshare(CLONE_NEWPID) < 0) {
		log_errno("jail: cannot make a pid namespace");
		return -1;
	}
	if (pipe2(alive, O_CLOEXEC) < 0) {
		log_errno("jail: pipe");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_errno("jail: fork");
		return -1;
	}
	if (pid > 0) {
		close(alive[0]);
		supervise(pid, alive[1], exit_path);
	}
	close(alive[1]);
	supervisor_pipe = alive[0];
	if (follow_supervisor() < 0 || leave_namespaces() < 0)
		return -1;
	return 0;
}

/* ---- Step 3: the empty root, the limits and the user ------------------------ */

/* An empty tmpfs as the root, the host's tree detached. The sanitizer
 * build mounts this pid namespace's /proc (only this process is in it)
 * for its symbolizer and leak checker. */
static int enter_empty_root(void)
{
	const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	if (mount("pvisor-jail", "/tmp", "tmpfs", flags, "size=16k,nr_inodes=16,mode=0755") < 0 ||
	    chdir("/tmp") < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
		log_errno("jail: cannot enter an empty root");
		return -1;
	}
#if defined(__SANITIZE_ADDRESS__)
	if (mkdir("/proc", 0555) < 0 || mount("proc", "/proc", "proc", flags, NULL) < 0)
		log_errno("jail: /proc for the sanitizer");
#endif
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | flags, NULL) < 0) {
		log_errno("jail: cannot make the root read-only");
		return -1;
	}
	return 0;
}

static int set_limit(int resource, rlim_t value, const char *name)
{
	struct rlimit r;

	if (getrlimit(resource, &r) < 0)
		return -1;
	if (r.rlim_max < value)
		value = r.rlim_max;
	r.rlim_cur = r.rlim_max = value;
	if (setrlimit(resource, &r) < 0) {
		log_errno("jail: cannot set %s", name);
		return -1;
	}
	return 0;
}

/* No core dumps (they would hold guest memory); a thread cap; the open
 * file limit fixed at today's soft limit. */
static int set_limits(void)
{
	struct rlimit files;

	if (getrlimit(RLIMIT_NOFILE, &files) < 0)
		return -1;
	return set_limit(RLIMIT_CORE, 0, "RLIMIT_CORE") || set_limit(RLIMIT_NPROC, JAIL_NPROC, "RLIMIT_NPROC") ||
	       set_limit(RLIMIT_NOFILE, files.rlim_cur, "RLIMIT_NOFILE") ? -1 : 0;
}

/* Every thread at once (glibc's setxid broadcast); then root is out of
 * reach. */
static int drop_user(const struct jail *j)
{
	if (setgroups(0, NULL) < 0 || setresgid(j->gid, j->gid, j->gid) < 0 ||
	    setresuid(j->uid, j->uid, j->uid) < 0) {
		log_errno("jail: cannot become uid %u gid %u", (unsigned)j->uid, (unsigned)j->gid);
		return -1;
	}
	if (setresuid(0, 0, 0) == 0) {
		log_error("jail: uid 0 is still reachable");
		return -1;
	}
	return 0;
}

/* For good: a thread that waits for the supervisor's end of the pipe to
 * close. The parent-death signal covers the steps before; being the pid
 * namespace's init, the domain process ignores most other signals. */
static void *supervisor_watch(void *arg)
{
	struct pollfd p = { .fd = supervisor_pipe, .events = POLLIN };

	(void)arg;
	seccomp_name_thread("jail-watch");
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	log_error("jail: the supervisor has ended; stopping");
	_exit(PVISOR_EXIT_ERROR);
}

static int watch_supervisor(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, supervisor_watch, NULL);
	pthread_attr_destroy(&attr);
	if (rc) {
		log_error("jail: cannot start the supervisor's watch: %s", strerror(rc));
		return -1;
	}
	return 0;
}

int jail_lock(const struct jail *j)
{
	if (enter_empty_root() < 0 || set_limits() < 0 || drop_user(j) < 0 || watch_supervisor() < 0)
		return -1;
	log_debug("jail: uid %u gid %u, empty root", (unsigned)j->uid, (unsigned)j->gid);
	return 0;
}

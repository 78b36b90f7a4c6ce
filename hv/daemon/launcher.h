/* launcher.h: the daemon's one unconfined helper process. The daemon runs
 * under a seccomp list without exec, fork or namespaces (docs/
 * confinement.md, "The daemon"); the processes it starts (`pvisor run
 * --check`, the domain processes, which jail themselves) are started by
 * the launcher, forked from the daemon before it confines itself.
 *
 * The two talk over a SOCK_SEQPACKET pair: the daemon sends one request
 * per process (flags, a domain id, the working directory, argv, and the
 * new process's stdin, stdout and stderr as SCM_RIGHTS); the launcher
 * forks, execs the pvisor binary and answers with the pid and a pidfd.
 * The launcher is the processes' parent: it reaps them and reports each
 * exit status, which launcher_wait() returns. It exits when the daemon's
 * end closes; the domains run on. */
#ifndef PVISOR_LAUNCHER_H
#define PVISOR_LAUNCHER_H

#include <stdbool.h>
#include <sys/types.h>

#include "daemon/cgroups.h"

#define LAUNCH_ARGS_MAX 16

struct launch_request {
	bool new_session;       /* setsid: a domain process (killed as a group) */
	int cgroup_id;          /* enter the domain's cgroup first, or -1 */
	const char *cwd;
	const char *argv[LAUNCH_ARGS_MAX + 1];  /* argv[0] is "pvisor"; NULL-terminated */
	int fds[3];             /* the new process's 0, 1 and 2 */
};

/* Forks the launcher; it execs `self_exe` and enters cgroups of `cg`.
 * 0, or -1 after logging why. */
int launcher_start(const char *self_exe, const struct dom_cgroups *cg);

/* Starts a process. Its pid (and *pidfd, to poll for its end), or -1
 * with errno. */
pid_t launcher_spawn(const struct launch_request *rq, int *pidfd);

/* The wait status of a process launcher_spawn started, once it has
 * ended (blocks until the launcher reports it). 0, or -1 when the
 * launcher has gone. */
int launcher_wait(pid_t pid, int *status);

#endif

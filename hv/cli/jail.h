/* jail.h: `pvisor run --jail`: the domain process in namespaces of its
 * own, in an empty root, as an unprivileged user (docs/confinement.md,
 * "The jail"). The daemon jails every domain it starts when it runs as
 * root.
 *
 * Three steps, from cmd_run:
 *   1. the caller opens everything the domain will ever need, in the
 *      host's namespaces and as root (kept with lib/host_files.h);
 *   2. jail_enter, before any thread exists: new pid namespace (through a
 *      fork: the parent stays outside as the supervisor, waits for the
 *      domain process, writes the exit file and never returns), and new
 *      mount, IPC, UTS and network namespaces for the child, which then
 *      opens its console log and control socket;
 *   3. jail_lock: pivot_root into an empty read-only tmpfs, rlimits, and
 *      the unprivileged uid and gid; no way back. */
#ifndef PVISOR_JAIL_H
#define PVISOR_JAIL_H

#include <stdbool.h>
#include <sys/types.h>

#define JAIL_ID_DEFAULT 65534	/* nobody / nogroup */

struct jail {
	bool on;
	uid_t uid;
	gid_t gid;
};

/* "--jail" (optarg NULL) or "--jail=UID[:GID]". 0, or -1 after saying why. */
int jail_parse(struct jail *j, const char *arg);

/* Before step 1: -1 after saying why when the process is not root. */
int jail_check_root(void);

/* Step 2. Returns 0 in the domain process, or -1 after saying why. The
 * supervisor writes `exit_path` (if not NULL) with the domain process's
 * exit code and exits with it. */
int jail_enter(const char *exit_path);

/* Step 3. 0, or -1 after saying why. */
int jail_lock(const struct jail *j);

#endif

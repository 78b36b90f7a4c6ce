/* cgroups.h: each domain's CPU share and cap, enforced by the host
 * through a cgroup per domain (`pvisor sched-credit`). Works on cgroup v2
 * (cpu.weight, cpu.max) and on v1's cpu controller (cpu.shares,
 * cpu.cfs_quota_us), whichever the host mounts with a cpu controller the
 * daemon may write; with neither, domains run unconfined and
 * sched-credit says why. Weights are Xen's credit scheduler's (1 to
 * 65535, default 256); a cap is a percentage of one host CPU (0: none). */
#ifndef PVISOR_DAEMON_CGROUPS_H
#define PVISOR_DAEMON_CGROUPS_H

#include <stddef.h>
#include <sys/types.h>

#define CG_WEIGHT_DEFAULT 256
#define CG_WEIGHT_MAX     65535
#define CG_CAP_MAX        6400      /* 64 CPUs */

struct dom_cgroups {
	int version;            /* 2 or 1; 0: none usable (why says so) */
	char root[256];         /* the daemon's directory of domain cgroups */
	char why[200];
};

/* Finds a cpu controller and makes the daemon's directory NAME at the top
 * of its hierarchy. Never fails: version 0 with the reason when there is
 * none. */
void cg_init(struct dom_cgroups *cg, const char *name);
/* Removes the daemon's directory if no domain cgroup is left in it. */
void cg_fini(struct dom_cgroups *cg);

/* ROOT/domID, made afresh. 0, or -1 (no cgroups, or it cannot be made). */
int cg_domain_create(const struct dom_cgroups *cg, unsigned id);
/* Moves pid into domain id's cgroup (called in the child before exec). */
int cg_domain_enter(const struct dom_cgroups *cg, unsigned id, pid_t pid);
/* Removes it (its processes have ended). */
void cg_domain_remove(const struct dom_cgroups *cg, unsigned id);
/* Writes weight and cap. 0, or -1 with errno. */
int cg_domain_set(const struct dom_cgroups *cg, unsigned id, unsigned weight, unsigned cap);
/* The directory of domain id's cgroup. */
void cg_domain_path(const struct dom_cgroups *cg, unsigned id, char *buf, size_t len);

#endif

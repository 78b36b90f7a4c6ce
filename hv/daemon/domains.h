/* domains.h: the daemon's domain table. Each domain is one host process
 * (`pvisor run --domid N --config FILE`, docs/design.md §10) that the
 * daemon starts, watches and stops. Its files live in STATE/domains/:
 *   N.json     the configuration          N.rec   the record (id, name,
 *   N.console  the console log (+ .1)             pid and its start time)
 *   N.log      pvisor's own messages      N.sock  the domain's control socket
 *   N.exit     pvisor's exit code, written by the domain process at its end
 * so that a restarted daemon re-adopts every domain (dom_table_adopt). */
#ifndef PVISOR_DAEMON_DOMAINS_H
#define PVISOR_DAEMON_DOMAINS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "daemon/cgroups.h"

#define DOMAIN_NAME_MAX  64         /* bytes, with the NUL */
#define DOMAINS_MAX      4096       /* records at once */
#define DOMID_FIRST      1
#define DOMID_LAST       0x7fef     /* below PVISOR_DOMID_SELF */
#define DOM_GRACE_DEFAULT_S 30      /* shutdown: destroyed after this */

enum dom_state {
	DOM_CREATING,           /* its configuration is being checked */
	DOM_RUNNING,
	DOM_PAUSED,
	DOM_SHUTDOWN,           /* the process exited: status in exit_status */
	DOM_CRASHED,            /* the guest crashed, or the process died */
};

struct dom_record {
	uint16_t id;
	char name[DOMAIN_NAME_MAX];
	enum dom_state state;
	pid_t pid;              /* 0 once it ended */
	int pidfd;              /* -1 once it ended */
	unsigned long long pid_start;   /* /proc/PID/stat starttime: not a reused pid */
	bool adopted;           /* not our child: its end is read from N.exit */
	int exit_status;        /* DOM_SHUTDOWN: the guest's status */
	char reason[128];       /* DOM_CRASHED: why */
	struct timespec started;        /* CLOCK_MONOTONIC */
	struct timespec ended;
	struct timespec deadline;       /* creating: the check's; running: shutdown's grace; 0: none */
	bool grace_killed;      /* destroyed when its grace period ended */
	uint64_t mem_bytes;             /* RAM it booted with */
	uint64_t mem_max_bytes, mem_target_bytes;      /* mem-max, mem-set */
	unsigned vcpus;
	char mode[8];
	unsigned weight, cap;   /* sched-credit: CG_WEIGHT_DEFAULT, 0 (none) */
	/* DOM_CREATING: the `run --check` child, its output, the client's cwd. */
	pid_t check_pid;
	int check_out, check_err;
	char *cwd;
};

/* What the table tells its owner (the server): a domain changed state
 * (event: "created", "paused", "unpaused", "shutdown", "crashed",
 * "destroyed", "create-failed" — r is freed right after the last two,
 * r->reason says why for create-failed), and which pidfds to watch
 * (readable when the domain process, or its configuration check, ends:
 * call dom_ended). */
struct dom_table_hooks {
	void (*changed)(void *ctx, struct dom_record *r, const char *event);
	void (*watch)(void *ctx, struct dom_record *r, bool add);
	void *ctx;
};

struct dom_table {
	struct dom_record *recs[DOMAINS_MAX];
	unsigned count;
	char state_dir[256];
	char self_exe[256];     /* the pvisor binary domains run on */
	struct dom_table_hooks hooks;
	struct dom_cgroups cg;
	bool jail;              /* domains run jailed, as uid and gid DOM_JAIL_ID_BASE + id */
};

/* A jailed domain's uid and gid: this plus its id (docs/confinement.md). */
#define DOM_JAIL_ID_BASE 300000u

const char *dom_state_name(enum dom_state s);
bool dom_alive(const struct dom_record *r);
/* CGROUP: the name of the daemon's directory of domain cgroups. */
int dom_table_init(struct dom_table *t, const char *state_dir, const char *self_exe, const char *cgroup,
		   const struct dom_table_hooks *hooks);
void dom_table_destroy(struct dom_table *t);

/* Takes back every domain recorded in the state directory: running ones
 * (same pid, same start time) are watched again; ended ones are listed
 * with what their exit file says. Returns how many are running. */
unsigned dom_table_adopt(struct dom_table *t);

/* STATE/domains/ID.EXT */
void dom_path(const struct dom_table *t, uint16_t id, const char *ext, char *buf, size_t len);

/* NAME or a decimal id. */
struct dom_record *dom_find(struct dom_table *t, const char *name_or_id);

/* Starts a domain from a configuration (JSON text in the config-file format,
 * docs/config.md) whose relative paths are relative to CWD (the client's
 * directory): starts `pvisor run --check` on it and returns the record in
 * DOM_CREATING (its id and name taken), or NULL with the reason in err.
 * When the check ends (dom_ended) the domain process starts ("created")
 * or the record goes ("create-failed"); the daemon's loop never waits. */
struct dom_record *dom_create(struct dom_table *t, const char *name, const char *config_json,
			      const char *cwd, char *err, size_t errlen);

/* Kills the domain's process (if running), waits for it and forgets the
 * domain and its files. */
void dom_destroy(struct dom_table *t, struct dom_record *r);

/* The domain's pidfd became readable: its process (or check) ended. */
void dom_ended(struct dom_table *t, struct dom_record *r);

/* Writes the record again (after mem-set/mem-max). */
void dom_save(const struct dom_table *t, const struct dom_record *r);

/* Pause state as the domain reported it. */
void dom_set_paused(struct dom_table *t, struct dom_record *r, bool paused);

/* A shutdown was asked: the domain is destroyed if still alive after
 * grace_s seconds. */
void dom_start_grace(struct dom_record *r, unsigned grace_s);
/* Milliseconds until the next grace period or check time limit ends, -1
 * for none. */
int dom_next_deadline_ms(const struct dom_table *t);
/* Kills the domains whose grace period is over, and the checks that
 * overran their time limit. */
void dom_expire_graces(struct dom_table *t);

/* sched-credit: weight (1..65535) and cap (percent of a CPU, 0: none),
 * into the domain's cgroup and its record. 0, or -1 with the reason. */
int dom_set_credit(struct dom_table *t, struct dom_record *r, unsigned weight, unsigned cap, char *err,
		   size_t errlen);

/* Host CPU seconds the domain process used (0 when unknown). */
double dom_cpu_seconds(const struct dom_record *r);

#endif

/* domains.h: the daemon's domain table. Each domain is one host process
 * (`pvisor run --domid N --config FILE`, docs/design.md §10) that the
 * daemon starts, watches and stops; its configuration and console log
 * live in the state directory. */
#ifndef PVISOR_DAEMON_DOMAINS_H
#define PVISOR_DAEMON_DOMAINS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define DOMAIN_NAME_MAX  64         /* bytes, with the NUL */
#define DOMAINS_MAX      4096       /* records at once */
#define DOMID_FIRST      1
#define DOMID_LAST       0x7fef     /* below PVISOR_DOMID_SELF */

enum dom_state {
	DOM_RUNNING,
	DOM_SHUTDOWN,           /* the process exited: status in exit_status */
	DOM_CRASHED,            /* the guest crashed, or the process died */
};

struct dom_record {
	uint16_t id;
	char name[DOMAIN_NAME_MAX];
	enum dom_state state;
	pid_t pid;              /* 0 once reaped */
	int exit_status;        /* DOM_SHUTDOWN: the guest's status */
	char reason[96];        /* DOM_CRASHED: why */
	struct timespec started;        /* CLOCK_MONOTONIC */
	struct timespec ended;
	uint64_t mem_bytes;
};

struct dom_table {
	struct dom_record *recs[DOMAINS_MAX];
	unsigned count;
	char state_dir[256];
	char self_exe[256];     /* the pvisor binary domains run on */
};

const char *dom_state_name(enum dom_state s);
int dom_table_init(struct dom_table *t, const char *state_dir, const char *self_exe);
void dom_table_destroy(struct dom_table *t);

/* NAME or a decimal id. */
struct dom_record *dom_find(struct dom_table *t, const char *name_or_id);

/* Starts a domain from a configuration (JSON text in the config-file format,
 * docs/config.md) whose relative paths are relative to CWD (the client's
 * directory): checks it with `pvisor run --check`, then spawns the domain
 * process. Returns the record, or NULL with the reason in err. */
struct dom_record *dom_create(struct dom_table *t, const char *name, const char *config_json,
			      const char *cwd, char *err, size_t errlen);

/* Kills the domain's process (if running), waits for it and forgets the
 * domain. */
void dom_destroy(struct dom_table *t, struct dom_record *r);

/* Collects exited domain processes (call on SIGCHLD). */
void dom_reap(struct dom_table *t);

#endif

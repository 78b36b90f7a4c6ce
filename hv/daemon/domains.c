/* domains.c: the daemon's domain table: ids, names, the domain processes,
 * their records in the state directory and what became of them (see
 * domains.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/domains.h"
#include "daemon/launcher.h"
#include "lib/log.h"

#define CHECK_TIMEOUT_MS 10000  /* a hang guard for `run --check` */

const char *dom_state_name(enum dom_state s)
{
	switch (s) {
	case DOM_CREATING: return "creating";
	case DOM_RUNNING:  return "running";
	case DOM_PAUSED:   return "paused";
	case DOM_SHUTDOWN: return "shutdown";
	case DOM_CRASHED:  return "crashed";
	}
	return "unknown";
}

bool dom_alive(const struct dom_record *r)
{
	return r->state == DOM_RUNNING || r->state == DOM_PAUSED;
}

static void changed(struct dom_table *t, struct dom_record *r, const char *event)
{
	if (t->hooks.changed)
		t->hooks.changed(t->hooks.ctx, r, event);
}

int dom_table_init(struct dom_table *t, const char *state_dir, const char *self_exe, const char *cgroup,
		   const struct dom_table_hooks *hooks)
{
	char dir[sizeof(t->state_dir) + 16];

	memset(t, 0, sizeof(*t));
	if (hooks)
		t->hooks = *hooks;
	if (snprintf(t->state_dir, sizeof(t->state_dir), "%s", state_dir) >= (int)sizeof(t->state_dir) ||
	    snprintf(t->self_exe, sizeof(t->self_exe), "%s", self_exe) >= (int)sizeof(t->self_exe)) {
		log_error("state directory or pvisor path too long");
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/domains", state_dir);
	if ((mkdir(state_dir, 0700) < 0 && errno != EEXIST) || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		log_errno("cannot create the state directory %s", dir);
		return -1;
	}
	cg_init(&t->cg, cgroup);
	if (!t->cg.version)
		log_error("CPU weights and caps are not enforced: %s", t->cg.why);
	return 0;
}

void dom_path(const struct dom_table *t, uint16_t id, const char *ext, char *buf, size_t len)
{
	snprintf(buf, len, "%s/domains/%u.%s", t->state_dir, id, ext);
}

static void unwatch(struct dom_table *t, struct dom_record *r)
{
	if (r->pidfd < 0)
		return;
	if (t->hooks.watch)
		t->hooks.watch(t->hooks.ctx, r, false);
	close(r->pidfd);
	r->pidfd = -1;
}

static int finish_check(struct dom_record *r);

/* Takes r out of the table and frees it, telling the owner first. */
static void drop(struct dom_table *t, struct dom_record *r, const char *event)
{
	unwatch(t, r);
	cg_domain_remove(&t->cg, r->id);
	for (unsigned i = 0; i < t->count; i++) {
		if (t->recs[i] == r) {
			t->recs[i] = t->recs[--t->count];
			break;
		}
	}
	changed(t, r, event);
	free(r->cwd);
	free(r);
}

static void forget(struct dom_table *t, struct dom_record *r)
{
	static const char *const files[] = { "json", "rec", "log", "console", "console.1", "sock", "exit" };
	char path[512];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		dom_path(t, r->id, files[i], path, sizeof(path));
		unlink(path);
	}
	drop(t, r, "destroyed");
}

void dom_table_destroy(struct dom_table *t)
{
	/* Domains outlive the daemon: their processes go on (design §10). */
	for (unsigned i = 0; i < t->count; i++) {
		struct dom_record *r = t->recs[i];

		if (r->state == DOM_CREATING) {         /* not started: it never will be */
			char config[512];

			kill(r->check_pid, SIGKILL);
			finish_check(r);
			dom_path(t, r->id, "json", config, sizeof(config));
			unlink(config);
		}
		if (r->pidfd >= 0)
			close(r->pidfd);
		cg_domain_remove(&t->cg, r->id);        /* only if its process has gone */
		free(r->cwd);
		free(r);
	}
	t->count = 0;
	cg_fini(&t->cg);
}

struct dom_record *dom_find(struct dom_table *t, const char *name_or_id)
{
	char *end;
	unsigned long id = strtoul(name_or_id, &end, 10);
	bool numeric = *name_or_id && !*end;

	for (unsigned i = 0; i < t->count; i++)
		if ((numeric && t->recs[i]->id == id) || !strcmp(t->recs[i]->name, name_or_id))
			return t->recs[i];
	return NULL;
}

/* The lowest id no record holds. */
static int free_id(const struct dom_table *t)
{
	static bool used[DOMID_LAST + 1];

	memset(used, 0, sizeof(used));
	for (unsigned i = 0; i < t->count; i++)
		used[t->recs[i]->id] = true;
	for (unsigned id = DOMID_FIRST; id <= DOMID_LAST; id++)
		if (!used[id])
			return (int)id;
	return -1;
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= DOMAIN_NAME_MAX || strspn(name, "0123456789") == n)
		return false;   /* a number would read as an id */
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* Written to PATH.tmp and renamed: a reader sees the old or the new. */
static int write_file(const char *path, const char *text)
{
	char tmp[600];
	size_t len = strlen(text);
	int fd;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	if ((close(fd) < 0) | (n != (ssize_t)len) || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The fields of /proc/PID/stat after the command name, from field 3
 * (the state) on, into buf. NULL when there is no such process. */
static const char *stat_fields(pid_t pid, char *buf, size_t len)
{
	char path[64], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	p = strrchr(buf, ')');  /* the name may hold spaces and parentheses */
	return p && p[1] == ' ' ? p + 2 : NULL;
}

/* Field 22: when the process started, in clock ticks since boot. With the
 * pid it names one process for good. 0: no such process. */
static unsigned long long process_start(pid_t pid)
{
	char buf[1024];
	const char *f = stat_fields(pid, buf, sizeof(buf));
	unsigned long long start = 0;

	if (!f || sscanf(f, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &start) != 1)
		return 0;
	return start;
}

/* Fields 14 and 15: user and system time, in clock ticks. */
static unsigned long long cpu_ticks(pid_t pid)
{
	char buf[1024];
	const char *f = stat_fields(pid, buf, sizeof(buf));
	unsigned long long utime, stime;

	if (!f || sscanf(f, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
		return 0;
	return utime + stime;
}

/* A jailed domain runs in the child of the process the daemon started
 * (cli/jail.h); its time counts. */
double dom_cpu_seconds(const struct dom_record *r)
{
	char path[64], kids[256], *p, *end;
	unsigned long long ticks;
	ssize_t n;
	int fd;

	if (r->pid <= 0)
		return 0;
	ticks = cpu_ticks(r->pid);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)r->pid, (int)r->pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, kids, sizeof(kids) - 1);
		close(fd);
		kids[n > 0 ? n : 0] = '\0';
		for (p = kids; (n = strtol(p, &end, 10)) > 0; p = end)
			ticks += cpu_ticks((pid_t)n);
	}
	return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

static int save_record(const struct dom_table *t, const struct dom_record *r)
{
	struct json_object *o = json_object_new_object();
	char path[512];
	int rc;

	json_object_object_add(o, "id", json_object_new_int(r->id));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "pid", json_object_new_int(r->pid));
	json_object_object_add(o, "pid_start", json_object_new_uint64(r->pid_start));
	json_object_object_add(o, "started_ns", json_object_new_uint64(
		(uint64_t)r->started.tv_sec * 1000000000ull + (uint64_t)r->started.tv_nsec));
	json_object_object_add(o, "mem_bytes", json_object_new_uint64(r->mem_bytes));
	json_object_object_add(o, "mem_max_bytes", json_object_new_uint64(r->mem_max_bytes));
	json_object_object_add(o, "mem_target_bytes", json_object_new_uint64(r->mem_target_bytes));
	json_object_object_add(o, "vcpus", json_object_new_int((int)r->vcpus));
	json_object_object_add(o, "mode", json_object_new_string(r->mode));
	json_object_object_add(o, "weight", json_object_new_int((int)r->weight));
	json_object_object_add(o, "cap", json_object_new_int((int)r->cap));
	dom_path(t, r->id, "rec", path, sizeof(path));
	rc = write_file(path, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return rc;
}

void dom_save(const struct dom_table *t, const struct dom_record *r)
{
	if (save_record(t, r) < 0)
		log_errno("cannot save the record of domain %u", r->id);
}

/* `run --check` prints "mode=M vcpus=N mem=BYTES": the domain's settings
 * as pvisor run itself resolves them. */
static void read_settings(struct dom_record *r, const char *line)
{
	unsigned long long mem = 0;
	unsigned vcpus = 0;
	char mode[8] = "";

	if (sscanf(line, "mode=%7s vcpus=%u mem=%llu", mode, &vcpus, &mem) == 3) {
		snprintf(r->mode, sizeof(r->mode), "%s", mode);
		r->vcpus = vcpus;
		r->mem_bytes = r->mem_max_bytes = r->mem_target_bytes = mem;
	}
}

/* Reads what fd gives, up to len - 1 bytes, until EOF; NUL-terminated. */
static void read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
}

/* Starts `pvisor run --check --config PATH` in CWD (through the launcher,
 * daemon/launcher.h); its stdout and stderr are kept in pipes
 * (r->check_out, r->check_err) read once it has ended; r->pidfd says
 * when. 0, or -1 with the reason in err. */
static int start_check(struct dom_record *r, const char *path, const char *cwd, char *err, size_t errlen)
{
	struct launch_request rq = { .cgroup_id = -1, .cwd = cwd,
				     .argv = { "pvisor", "run", "--check", "--config", path, NULL } };
	int outpipe[2] = { -1, -1 }, errpipe[2] = { -1, -1 }, devnull, e;
	pid_t pid = -1;

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0 && pipe2(outpipe, O_CLOEXEC) == 0 && pipe2(errpipe, O_CLOEXEC) == 0) {
		rq.fds[0] = devnull;
		rq.fds[1] = outpipe[1];
		rq.fds[2] = errpipe[1];
		pid = launcher_spawn(&rq, &r->pidfd);
	}
	e = errno;
	if (devnull >= 0)
		close(devnull);
	if (outpipe[1] >= 0)
		close(outpipe[1]);
	if (errpipe[1] >= 0)
		close(errpipe[1]);
	if (pid < 0) {
		if (outpipe[0] >= 0)
			close(outpipe[0]);
		if (errpipe[0] >= 0)
			close(errpipe[0]);
		snprintf(err, errlen, "cannot check the configuration: %s", strerror(e));
		return -1;
	}
	r->check_pid = pid;
	r->check_out = outpipe[0];
	r->check_err = errpipe[0];
	return 0;
}

/* A launched process's wait status; a launcher that has gone counts as a
 * kill. */
static int wait_status(pid_t pid)
{
	int status;

	return launcher_wait(pid, &status) == 0 ? status : SIGKILL;
}

/* The check has ended: 0 if the configuration is good (r's settings
 * filled in), else -1 with pvisor's one-line error in r->reason. */
static int finish_check(struct dom_record *r)
{
	char settings[256], *err = r->reason;
	int status;

	status = wait_status(r->check_pid);
	r->check_pid = 0;
	read_all(r->check_out, settings, sizeof(settings));
	read_all(r->check_err, err, sizeof(r->reason));
	close(r->check_out);
	close(r->check_err);
	r->check_out = r->check_err = -1;
	err[strcspn(err, "\n")] = '\0';
	if (!strncmp(err, "pvisor: ", 8))
		memmove(err, err + 8, strlen(err + 8) + 1);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		read_settings(r, settings);
		err[0] = '\0';
		return 0;
	}
	if (!err[0])
		snprintf(err, sizeof(r->reason), "the configuration check did not finish in %d s",
			 CHECK_TIMEOUT_MS / 1000);
	return -1;
}

/* The domain process (through the launcher): a session of its own, in
 * its cgroup, stdin from /dev/null, stdout and stderr (pvisor's messages)
 * to N.log, the console to N.console, its control socket at N.sock, its
 * exit code to N.exit; jailed when the daemon jails. Its pid and
 * *pidfd, or -1 with errno. */
static pid_t spawn(const struct dom_table *t, uint16_t id, const char *cwd, int *pidfd)
{
	char idtext[8], config[512], log[512], console[512], sock[512], exitf[512], jail[32];
	struct launch_request rq = { .new_session = true, .cgroup_id = t->cg.version ? id : -1, .cwd = cwd,
				     .argv = { "pvisor", "run", "--domid", idtext, "--config", config,
					       "--console-log", console, "--control-socket", sock,
					       "--exit-file", exitf, t->jail ? jail : NULL, NULL } };
	int devnull, logfd, e;
	pid_t pid = -1;

	snprintf(idtext, sizeof(idtext), "%u", id);
	snprintf(jail, sizeof(jail), "--jail=%u:%u", DOM_JAIL_ID_BASE + id, DOM_JAIL_ID_BASE + id);
	dom_path(t, id, "json", config, sizeof(config));
	dom_path(t, id, "log", log, sizeof(log));
	dom_path(t, id, "console", console, sizeof(console));
	dom_path(t, id, "sock", sock, sizeof(sock));
	dom_path(t, id, "exit", exitf, sizeof(exitf));
	unlink(exitf);
	cg_domain_create(&t->cg, id);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (devnull >= 0 && logfd >= 0) {
		rq.fds[0] = devnull;
		rq.fds[1] = rq.fds[2] = logfd;
		pid = launcher_spawn(&rq, pidfd);
	}
	e = errno;
	if (devnull >= 0)
		close(devnull);
	if (logfd >= 0)
		close(logfd);
	errno = e;
	return pid;
}

static void watch(struct dom_table *t, struct dom_record *r)
{
	if (r->pidfd < 0)
		r->pidfd = pidfd_open(r->pid, 0);
	if (r->pidfd >= 0 && t->hooks.watch)
		t->hooks.watch(t->hooks.ctx, r, true);
}

struct dom_record *dom_create(struct dom_table *t, const char *name, const char *config_json,
			      const char *cwd, char *err, size_t errlen)
{
	char config[512];
	struct dom_record *r;
	int id;

	if (t->count == DOMAINS_MAX || (id = free_id(t)) < 0) {
		snprintf(err, errlen, "too many domains (at most %u)", DOMAINS_MAX);
		return NULL;
	}
	if (name && !valid_name(name)) {
		snprintf(err, errlen, "bad name '%s': 1 to %u letters, digits, '_', '.', '-', not all digits",
			 name, DOMAIN_NAME_MAX - 1);
		return NULL;
	}
	if (name && dom_find(t, name)) {
		snprintf(err, errlen, "a domain named '%s' exists", name);
		return NULL;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->id = (uint16_t)id;
	r->pidfd = -1;
	r->weight = CG_WEIGHT_DEFAULT;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	if (!name)
		snprintf(r->name, sizeof(r->name), "dom%d", id);
	dom_path(t, r->id, "json", config, sizeof(config));
	if (write_file(config, config_json) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", config, strerror(errno));
		goto fail;
	}
	if (!(r->cwd = strdup(cwd))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (start_check(r, config, cwd, err, errlen) < 0)
		goto fail;
	r->state = DOM_CREATING;
	clock_gettime(CLOCK_MONOTONIC, &r->deadline);
	r->deadline.tv_sec += CHECK_TIMEOUT_MS / 1000;
	t->recs[t->count++] = r;
	if (t->hooks.watch)
		t->hooks.watch(t->hooks.ctx, r, true);
	return r;
fail:
	unlink(config);
	free(r->cwd);
	free(r);
	return NULL;
}

/* The check ended: the domain process starts, or the domain is dropped
 * with the check's reason ("create-failed"). */
static void check_ended(struct dom_table *t, struct dom_record *r)
{
	char config[512];

	unwatch(t, r);
	r->deadline = (struct timespec){ 0, 0 };
	if (finish_check(r) == 0) {
		r->pid = spawn(t, r->id, r->cwd, &r->pidfd);
		if (r->pid < 0)
			snprintf(r->reason, sizeof(r->reason), "cannot start the domain process: %s", strerror(errno));
	}
	if (r->reason[0]) {
		dom_path(t, r->id, "json", config, sizeof(config));
		unlink(config);
		drop(t, r, "create-failed");
		return;
	}
	r->pid_start = process_start(r->pid);
	r->state = DOM_RUNNING;
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	if (save_record(t, r) < 0)
		log_errno("cannot save the record of domain %u (it will not be re-adopted)", r->id);
	watch(t, r);
	changed(t, r, "created");
}

/* What pvisor's exit code means (lib/log.h: pvisor's own exit codes). */
static void record_code(struct dom_record *r, int code)
{
	if (code == PVISOR_EXIT_CRASH) {
		r->state = DOM_CRASHED;
		snprintf(r->reason, sizeof(r->reason), "the guest crashed (see its log)");
	} else if (code == PVISOR_EXIT_ERROR) {
		r->state = DOM_CRASHED;
		snprintf(r->reason, sizeof(r->reason), "pvisor failed (see its log)");
	} else {
		r->state = DOM_SHUTDOWN;
		r->exit_status = code;
	}
}

/* An adopted domain's end: what it wrote to N.exit, if anything. */
static void record_exit_file(const struct dom_table *t, struct dom_record *r)
{
	char path[512], text[32];
	int fd, code;

	dom_path(t, r->id, "exit", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		read_all(fd, text, sizeof(text));
		close(fd);
		if (sscanf(text, "%d", &code) == 1) {
			record_code(r, code);
			return;
		}
	}
	r->state = DOM_CRASHED;
	snprintf(r->reason, sizeof(r->reason), "the domain process ended without an exit record (killed?)");
}

static void record_status(struct dom_record *r, int status)
{
	if (WIFSIGNALED(status)) {
		r->state = DOM_CRASHED;
		snprintf(r->reason, sizeof(r->reason), "the domain process was killed by signal %d",
			 WTERMSIG(status));
	} else {
		record_code(r, WEXITSTATUS(status));
	}
}

static void mark_ended(struct dom_table *t, struct dom_record *r)
{
	if (r->grace_killed && r->state == DOM_CRASHED)
		snprintf(r->reason, sizeof(r->reason), "did not shut down in its grace period; destroyed");
	r->pid = 0;
	r->deadline = (struct timespec){ 0, 0 };
	clock_gettime(CLOCK_MONOTONIC, &r->ended);
	unwatch(t, r);
	cg_domain_remove(&t->cg, r->id);
	changed(t, r, dom_state_name(r->state));
}

void dom_ended(struct dom_table *t, struct dom_record *r)
{
	if (r->state == DOM_CREATING) {
		check_ended(t, r);
		return;
	}
	if (!dom_alive(r))
		return;
	if (!r->adopted)
		record_status(r, wait_status(r->pid));    /* its pidfd said it has ended */
	else
		record_exit_file(t, r);
	mark_ended(t, r);
}

void dom_destroy(struct dom_table *t, struct dom_record *r)
{
	if (r->state == DOM_CREATING) {
		kill(r->check_pid, SIGKILL);
		finish_check(r);
	}
	if (r->pid > 0) {
		kill(-r->pid, SIGKILL);	/* its session: a jailed domain's child too */
		kill(r->pid, SIGKILL);
		if (!r->adopted)
			wait_status(r->pid);
		else if (r->pidfd >= 0) {
			struct pollfd pfd = { .fd = r->pidfd, .events = POLLIN };

			poll(&pfd, 1, 5000);
		}
	}
	forget(t, r);
}

void dom_set_paused(struct dom_table *t, struct dom_record *r, bool paused)
{
	if (!dom_alive(r) || (r->state == DOM_PAUSED) == paused)
		return;
	r->state = paused ? DOM_PAUSED : DOM_RUNNING;
	changed(t, r, paused ? "paused" : "unpaused");
}

void dom_start_grace(struct dom_record *r, unsigned grace_s)
{
	clock_gettime(CLOCK_MONOTONIC, &r->deadline);
	r->deadline.tv_sec += grace_s;
}

static long long ms_until(const struct timespec *when, const struct timespec *now)
{
	return (long long)(when->tv_sec - now->tv_sec) * 1000 + (when->tv_nsec - now->tv_nsec) / 1000000;
}

int dom_next_deadline_ms(const struct dom_table *t)
{
	struct timespec now;
	long long best = -1;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (unsigned i = 0; i < t->count; i++) {
		const struct dom_record *r = t->recs[i];
		long long ms;

		if (!(dom_alive(r) || r->state == DOM_CREATING) || !r->deadline.tv_sec || r->grace_killed)
			continue;
		ms = ms_until(&r->deadline, &now);
		if (ms < 0)
			ms = 0;
		if (best < 0 || ms < best)
			best = ms;
	}
	return best > 1000000 ? 1000000 : (int)best;
}

void dom_expire_graces(struct dom_table *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (unsigned i = 0; i < t->count; i++) {
		struct dom_record *r = t->recs[i];

		if (r->state == DOM_CREATING && r->deadline.tv_sec && ms_until(&r->deadline, &now) <= 0) {
			kill(r->check_pid, SIGKILL);    /* its end reports "did not finish" */
			r->deadline = (struct timespec){ 0, 0 };
			continue;
		}
		if (dom_alive(r) && r->deadline.tv_sec && !r->grace_killed && r->pid > 0 &&
		    ms_until(&r->deadline, &now) <= 0) {
			log_error("domain %u did not shut down in its grace period; destroying it", r->id);
			kill(r->pid, SIGKILL);
			r->grace_killed = true;
		}
	}
}

/* ---- Re-adoption --------------------------------------------------------- */

static struct dom_record *load_record(const struct dom_table *t, const char *path)
{
	struct json_object *o = json_object_from_file(path), *v;
	struct dom_record *r;

	if (!o)
		return NULL;
	if (!(r = calloc(1, sizeof(*r)))) {
		json_object_put(o);
		return NULL;
	}
	r->pidfd = -1;
	r->adopted = true;
	r->weight = CG_WEIGHT_DEFAULT;
	if (json_object_object_get_ex(o, "id", &v))
		r->id = (uint16_t)json_object_get_int(v);
	if (json_object_object_get_ex(o, "name", &v))
		snprintf(r->name, sizeof(r->name), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "pid", &v))
		r->pid = json_object_get_int(v);
	if (json_object_object_get_ex(o, "pid_start", &v))
		r->pid_start = json_object_get_uint64(v);
	if (json_object_object_get_ex(o, "started_ns", &v)) {
		uint64_t ns = json_object_get_uint64(v);

		r->started = (struct timespec){ (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
	}
	if (json_object_object_get_ex(o, "mem_bytes", &v))
		r->mem_bytes = json_object_get_uint64(v);
	r->mem_max_bytes = r->mem_target_bytes = r->mem_bytes;
	if (json_object_object_get_ex(o, "mem_max_bytes", &v))
		r->mem_max_bytes = json_object_get_uint64(v);
	if (json_object_object_get_ex(o, "mem_target_bytes", &v))
		r->mem_target_bytes = json_object_get_uint64(v);
	if (json_object_object_get_ex(o, "vcpus", &v))
		r->vcpus = (unsigned)json_object_get_int(v);
	if (json_object_object_get_ex(o, "mode", &v))
		snprintf(r->mode, sizeof(r->mode), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "weight", &v))
		r->weight = (unsigned)json_object_get_int(v);
	if (json_object_object_get_ex(o, "cap", &v))
		r->cap = (unsigned)json_object_get_int(v);
	json_object_put(o);
	if (r->id < DOMID_FIRST || r->id > DOMID_LAST || !valid_name(r->name) || r->pid <= 0 ||
	    dom_find((struct dom_table *)t, r->name)) {
		log_error("ignoring the bad or duplicate domain record %s", path);
		free(r);
		return NULL;
	}
	return r;
}

unsigned dom_table_adopt(struct dom_table *t)
{
	char dir[sizeof(t->state_dir) + 16], path[600];
	unsigned running = 0;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/domains", t->state_dir);
	if (!(d = opendir(dir)))
		return 0;
	while ((e = readdir(d)) && t->count < DOMAINS_MAX) {
		size_t n = strlen(e->d_name);
		struct dom_record *r;

		if (n < 5 || strcmp(e->d_name + n - 4, ".rec"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!(r = load_record(t, path)))
			continue;
		t->recs[t->count++] = r;
		if (r->pid_start && process_start(r->pid) == r->pid_start) {
			r->state = DOM_RUNNING;
			watch(t, r);
			if (r->pidfd >= 0) {
				running++;
				continue;
			}
		}
		r->state = DOM_RUNNING;         /* it was; now it has ended */
		cg_domain_remove(&t->cg, r->id);
		record_exit_file(t, r);
		r->pid = 0;
		clock_gettime(CLOCK_MONOTONIC, &r->ended);
	}
	closedir(d);
	return running;
}

int dom_set_credit(struct dom_table *t, struct dom_record *r, unsigned weight, unsigned cap, char *err,
		   size_t errlen)
{
	if (!t->cg.version) {
		snprintf(err, errlen, "CPU weights and caps are not enforced here: %s", t->cg.why);
		return -1;
	}
	if (!dom_alive(r)) {
		snprintf(err, errlen, "domain %u is not running (%s)", r->id, dom_state_name(r->state));
		return -1;
	}
	if (cg_domain_set(&t->cg, r->id, weight, cap) < 0) {
		snprintf(err, errlen, "cannot write domain %u's cgroup: %s", r->id, strerror(errno));
		return -1;
	}
	r->weight = weight;
	r->cap = cap;
	dom_save(t, r);
	return 0;
}

/* domains.c: the daemon's domain table: ids, names, the domain processes
 * and what became of them (see domains.h). */
#include <errno.h>
#include <fcntl.h>
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
#include "lib/log.h"

#define CHECK_TIMEOUT_MS 10000  /* a hang guard for `run --check` */

const char *dom_state_name(enum dom_state s)
{
	switch (s) {
	case DOM_RUNNING:  return "running";
	case DOM_SHUTDOWN: return "shutdown";
	case DOM_CRASHED:  return "crashed";
	}
	return "unknown";
}

int dom_table_init(struct dom_table *t, const char *state_dir, const char *self_exe)
{
	char dir[sizeof(t->state_dir) + 16];

	memset(t, 0, sizeof(*t));
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
	return 0;
}

static void file_path(const struct dom_table *t, uint16_t id, const char *ext, char *buf, size_t len)
{
	snprintf(buf, len, "%s/domains/%u.%s", t->state_dir, id, ext);
}

static void forget(struct dom_table *t, struct dom_record *r)
{
	char path[512];

	file_path(t, r->id, "json", path, sizeof(path));
	unlink(path);
	file_path(t, r->id, "log", path, sizeof(path));
	unlink(path);
	for (unsigned i = 0; i < t->count; i++) {
		if (t->recs[i] == r) {
			t->recs[i] = t->recs[--t->count];
			break;
		}
	}
	free(r);
}

void dom_table_destroy(struct dom_table *t)
{
	/* Domains outlive the daemon: their processes go on (design §10). */
	for (unsigned i = 0; i < t->count; i++)
		free(t->recs[i]);
	t->count = 0;
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
	for (unsigned id = DOMID_FIRST; id <= DOMID_LAST; id++) {
		bool used = false;

		for (unsigned i = 0; i < t->count && !used; i++)
			used = t->recs[i]->id == id;
		if (!used)
			return (int)id;
	}
	return -1;
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= DOMAIN_NAME_MAX || strspn(name, "0123456789") == n)
		return false;   /* a number would read as an id */
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	if (close(fd) < 0 || n != (ssize_t)len)
		return -1;
	return 0;
}

/* In a child about to exec: the daemon's blocked signals and ignored
 * SIGPIPE would otherwise be inherited by pvisor run. */
static void child_reset_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
}

/* Runs `pvisor run --check --config PATH`: 0 if the configuration is
 * good, else -1 with pvisor's one-line error in err. */
static int check_config(const struct dom_table *t, const char *path, const char *cwd, char *err,
			size_t errlen)
{
	int pipefd[2], pidfd, status = 0;
	struct pollfd pfd;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		goto sys;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		goto sys;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(pipefd[1], 2);
		child_reset_signals();
		if (chdir(cwd) < 0) {
			fprintf(stderr, "pvisor: cannot enter the client's directory %s: %s\n", cwd, strerror(errno));
			_exit(125);
		}
		execl(t->self_exe, "pvisor", "run", "--check", "--config", path, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	pidfd = pidfd_open(pid, 0);
	pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	if (pidfd < 0 || poll(&pfd, 1, CHECK_TIMEOUT_MS) != 1)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (pidfd >= 0)
		close(pidfd);
	n = read(pipefd[0], err, errlen - 1);
	close(pipefd[0]);
	err[n > 0 ? n : 0] = '\0';
	err[strcspn(err, "\n")] = '\0';
	if (!strncmp(err, "pvisor: ", 8))
		memmove(err, err + 8, strlen(err + 8) + 1);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!err[0])
		snprintf(err, errlen, "the configuration check did not finish");
	return -1;
sys:
	snprintf(err, errlen, "cannot check the configuration: %s", strerror(errno));
	return -1;
}

/* The domain process: a session of its own, stdin from /dev/null, stdout
 * and stderr (the guest's console and pvisor's messages) to the log. */
static pid_t spawn(const struct dom_table *t, uint16_t id, const char *config, const char *log,
		   const char *cwd)
{
	char idtext[8];
	int devnull, logfd;
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	snprintf(idtext, sizeof(idtext), "%u", id);
	setsid();
	devnull = open("/dev/null", O_RDONLY);
	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (devnull < 0 || logfd < 0 || chdir(cwd) < 0)
		_exit(125);
	dup2(devnull, 0);
	dup2(logfd, 1);
	dup2(logfd, 2);
	closefrom(3);
	child_reset_signals();
	execl(t->self_exe, "pvisor", "run", "--domid", idtext, "--config", config, (char *)NULL);
	_exit(125);
}

struct dom_record *dom_create(struct dom_table *t, const char *name, const char *config_json,
			      const char *cwd, char *err, size_t errlen)
{
	char config[512], log[512];
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
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	if (!name)
		snprintf(r->name, sizeof(r->name), "dom%d", id);
	file_path(t, r->id, "json", config, sizeof(config));
	file_path(t, r->id, "log", log, sizeof(log));
	if (write_file(config, config_json) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", config, strerror(errno));
		goto fail;
	}
	if (check_config(t, config, cwd, err, errlen) < 0)
		goto fail;
	r->pid = spawn(t, r->id, config, log, cwd);
	if (r->pid < 0) {
		snprintf(err, errlen, "cannot start the domain process: %s", strerror(errno));
		goto fail;
	}
	r->state = DOM_RUNNING;
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	t->recs[t->count++] = r;
	return r;
fail:
	unlink(config);
	free(r);
	return NULL;
}

/* What an exit status means (lib/log.h: pvisor's own exit codes). */
static void record_exit(struct dom_record *r, int status)
{
	r->pid = 0;
	clock_gettime(CLOCK_MONOTONIC, &r->ended);
	if (WIFSIGNALED(status)) {
		r->state = DOM_CRASHED;
		snprintf(r->reason, sizeof(r->reason), "the domain process was killed by signal %d",
			 WTERMSIG(status));
	} else if (WEXITSTATUS(status) == PVISOR_EXIT_CRASH) {
		r->state = DOM_CRASHED;
		snprintf(r->reason, sizeof(r->reason), "the guest crashed (see its log)");
	} else if (WEXITSTATUS(status) == PVISOR_EXIT_ERROR) {
		r->state = DOM_CRASHED;
		snprintf(r->reason, sizeof(r->reason), "pvisor failed (see its log)");
	} else {
		r->state = DOM_SHUTDOWN;
		r->exit_status = WEXITSTATUS(status);
	}
}

void dom_reap(struct dom_table *t)
{
	for (unsigned i = 0; i < t->count; i++) {
		struct dom_record *r = t->recs[i];
		int status;

		if (r->pid > 0 && waitpid(r->pid, &status, WNOHANG) == r->pid)
			record_exit(r, status);
	}
}

void dom_destroy(struct dom_table *t, struct dom_record *r)
{
	int status;

	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, &status, 0);
	}
	forget(t, r);
}

/* cgroups.c: a cgroup per domain for its CPU weight and cap (see
 * cgroups.h). The mount is found in /proc/self/mountinfo: a cgroup2
 * hierarchy whose root offers the cpu controller, else a v1 hierarchy
 * mounted with the cpu option. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/cgroups.h"
#include "lib/log.h"

#define CFS_PERIOD_US 100000

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static bool file_has_word(const char *path, const char *word)
{
	char buf[512], *tok, *save;
	FILE *f = fopen(path, "re");
	bool found = false;

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		for (tok = strtok_r(buf, " \n", &save); tok && !found; tok = strtok_r(NULL, " \n", &save))
			found = !strcmp(tok, word);
	fclose(f);
	return found;
}

/* Is "cpu" one of the comma-separated options? */
static bool has_cpu_option(char *opts)
{
	char *save, *tok;

	for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, "cpu"))
			return true;
	return false;
}

/* The mount point of a cgroup2 hierarchy with the cpu controller, else of
 * a v1 hierarchy with it: 2, 1 or 0 (none). */
static int find_mount(char *mnt, size_t len)
{
	char line[1024], v1[200] = "", v2[200] = "", path[300];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char point[200], fstype[64], super[512];
		char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %*s %199s", point) != 1 ||
		    sscanf(dash + 3, "%63s %*s %511s", fstype, super) != 2)
			continue;
		snprintf(path, sizeof(path), "%s/cgroup.controllers", point);
		if (!strcmp(fstype, "cgroup2") && !v2[0] && file_has_word(path, "cpu"))
			snprintf(v2, sizeof(v2), "%s", point);
		else if (!strcmp(fstype, "cgroup") && !v1[0] && has_cpu_option(super))
			snprintf(v1, sizeof(v1), "%s", point);
	}
	fclose(f);
	snprintf(mnt, len, "%s", v2[0] ? v2 : v1);
	return v2[0] ? 2 : v1[0] ? 1 : 0;
}

/* v2: a controller reaches a cgroup's children only when the parent
 * enables it in cgroup.subtree_control. */
static int enable_cpu(const char *dir)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	return file_has_word(path, "cpu") ? 0 : write_text(path, "+cpu");
}

void cg_init(struct dom_cgroups *cg, const char *name)
{
	char mnt[200];

	memset(cg, 0, sizeof(*cg));
	cg->version = find_mount(mnt, sizeof(mnt));
	if (!cg->version) {
		snprintf(cg->why, sizeof(cg->why), "the host mounts no cgroup hierarchy with the cpu controller");
		return;
	}
	if (snprintf(cg->root, sizeof(cg->root), "%s/%s", mnt, name) >= (int)sizeof(cg->root)) {
		snprintf(cg->why, sizeof(cg->why), "the cgroup path is too long");
		cg->version = 0;
		return;
	}
	if ((cg->version == 2 && enable_cpu(mnt) < 0) || (mkdir(cg->root, 0755) < 0 && errno != EEXIST) ||
	    (cg->version == 2 && enable_cpu(cg->root) < 0)) {
		snprintf(cg->why, sizeof(cg->why), "cannot set up %.120s (cgroup v%d): %s", cg->root, cg->version,
			 strerror(errno));
		cg->version = 0;
	}
}

void cg_fini(struct dom_cgroups *cg)
{
	if (cg->version)
		rmdir(cg->root);        /* fails, as it should, while domains have cgroups */
}

void cg_domain_path(const struct dom_cgroups *cg, unsigned id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/dom%u", cg->root, id);
}

int cg_domain_create(const struct dom_cgroups *cg, unsigned id)
{
	char dir[320];

	if (!cg->version)
		return -1;
	cg_domain_path(cg, id, dir, sizeof(dir));
	rmdir(dir);             /* a stale one of an earlier domain with this id */
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_errno("cannot make the cgroup %s", dir);
		return -1;
	}
	return cg_domain_set(cg, id, CG_WEIGHT_DEFAULT, 0);
}

int cg_domain_enter(const struct dom_cgroups *cg, unsigned id, pid_t pid)
{
	char path[340], text[24];

	if (!cg->version)
		return -1;
	cg_domain_path(cg, id, path, sizeof(path) - 16);
	strcat(path, "/cgroup.procs");
	snprintf(text, sizeof(text), "%d", (int)pid);
	return write_text(path, text);
}

void cg_domain_remove(const struct dom_cgroups *cg, unsigned id)
{
	char dir[320];

	if (!cg->version)
		return;
	cg_domain_path(cg, id, dir, sizeof(dir));
	/* A jailed domain's process may outlive its supervisor by moments. */
	for (int tries = 0; rmdir(dir) < 0 && errno == EBUSY && tries < 100; tries++)
		usleep(10000);
}

static int write_setting(const struct dom_cgroups *cg, unsigned id, const char *file, const char *text)
{
	char path[400];

	cg_domain_path(cg, id, path, sizeof(path) - 40);
	strcat(path, "/");
	strcat(path, file);
	return write_text(path, text);
}

/* Xen's weight (default 256) as v2's cpu.weight (default 100, 1..10000)
 * or v1's cpu.shares (default 1024, 2..262144); a cap in percent of one
 * CPU as a CFS quota per 100 ms period. */
int cg_domain_set(const struct dom_cgroups *cg, unsigned id, unsigned weight, unsigned cap)
{
	char weight_text[24], cap_text[48];
	unsigned long v;

	if (!cg->version) {
		errno = ENOTSUP;
		return -1;
	}
	if (cg->version == 2) {
		v = (unsigned long)weight * 100 / CG_WEIGHT_DEFAULT;
		snprintf(weight_text, sizeof(weight_text), "%lu", v < 1 ? 1 : v > 10000 ? 10000 : v);
		if (cap)
			snprintf(cap_text, sizeof(cap_text), "%lu %u", (unsigned long)cap * CFS_PERIOD_US / 100,
				 CFS_PERIOD_US);
		else
			snprintf(cap_text, sizeof(cap_text), "max %u", CFS_PERIOD_US);
		return write_setting(cg, id, "cpu.weight", weight_text) < 0 ||
		       write_setting(cg, id, "cpu.max", cap_text) < 0 ? -1 : 0;
	}
	v = (unsigned long)weight * 4;
	snprintf(weight_text, sizeof(weight_text), "%lu", v < 2 ? 2 : v);
	snprintf(cap_text, sizeof(cap_text), "%ld", cap ? (long)cap * CFS_PERIOD_US / 100 : -1L);
	return write_setting(cg, id, "cpu.shares", weight_text) < 0 ||
	       write_setting(cg, id, "cpu.cfs_period_us", "100000") < 0 ||
	       write_setting(cg, id, "cpu.cfs_quota_us", cap_text) < 0 ? -1 : 0;
}

/* scratch.h: a scratch directory for host unit tests that work on files
 * (the disk and overlay tests): create it, name files in it, write and
 * fill them, and remove it with everything in it. Include after check.h. */
#ifndef PVISOR_TESTS_SCRATCH_H
#define PVISOR_TESTS_SCRATCH_H

#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

/* Makes $TMPDIR (or /tmp)/pvisor-test-NAME-XXXXXX; false after perror. */
static inline bool scratch_create(const char *name)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(tmpdir, sizeof(tmpdir), "%s/pvisor-test-%s-XXXXXX", base, name);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return false;
	}
	return true;
}

static inline int scratch_remove_entry(const char *path, const struct stat *st, int flag,
				       struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void scratch_remove(void)
{
	nftw(tmpdir, scratch_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmpdir/name; the last 8 results stay valid. */
static inline const char *tmp_path(const char *name)
{
	static char paths[8][400];
	static unsigned next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", tmpdir, name);
	return p;
}

static inline void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	CHECK(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

/* len bytes from the tests' deterministic generator (check_rng). */
static inline void fill_random(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = check_rng();

		memcpy(p + i, &v, len - i < 8 ? len - i : 8);
	}
}

#endif

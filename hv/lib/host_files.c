/* host_files.c: the kept host files (host_files.h). A short list, looked
 * up by key and open flags: a domain has at most a few dozen files. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/host_files.h"

struct kept_file {
	char *key;
	int flags;
	int fd;
};

static struct kept_file *kept;
static unsigned nr_kept;
static bool keeping;

void host_files_keep(bool on)
{
	keeping = on;
}

unsigned host_files_count(void)
{
	return nr_kept;
}

static const struct kept_file *find(const char *key, int flags)
{
	for (unsigned i = 0; i < nr_kept; i++)
		if (kept[i].flags == flags && !strcmp(kept[i].key, key))
			return &kept[i];
	return NULL;
}

/* A duplicate at offset 0: each boot reads its image from the start. */
static int duplicate(const struct kept_file *k)
{
	int fd = fcntl(k->fd, F_DUPFD_CLOEXEC, 0);

	if (fd >= 0)
		(void)lseek(fd, 0, SEEK_SET);	/* ESPIPE for devices: nothing to rewind */
	return fd;
}

static int keep(const char *key, int flags, int fd)
{
	struct kept_file *grown;
	int copy;

	if (!keeping || find(key, flags))
		return 0;
	if (!(grown = realloc(kept, (nr_kept + 1) * sizeof(*kept))))
		return errno = ENOMEM, -1;
	kept = grown;
	if ((copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return -1;
	if (!(kept[nr_kept].key = strdup(key))) {
		close(copy);
		return errno = ENOMEM, -1;
	}
	kept[nr_kept].flags = flags;
	kept[nr_kept].fd = copy;
	nr_kept++;
	return 0;
}

int host_file_open(const char *path, int flags)
{
	const struct kept_file *k = find(path, flags);
	int fd, err;

	if (k)
		return duplicate(k);
	fd = open(path, flags);
	if (fd >= 0 && keep(path, flags, fd) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int host_file_kept(const char *key)
{
	const struct kept_file *k = find(key, 0);

	return k ? duplicate(k) : -1;
}

int host_file_note(const char *key, int fd)
{
	return keep(key, 0, fd);
}

/* disk_spec.h: the value of --disk, "PATH[,ro][,overlay=TOP][,direct]
 * [,io=auto|uring|threads]", parsed into a self-contained configuration
 * (docs/disk.md). Paths cannot contain commas. */
#ifndef PVISOR_BLK_DISK_SPEC_H
#define PVISOR_BLK_DISK_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#define DISK_PATH_MAX 4096

/* Which asynchronous engine serves the disk (blkio.h). */
enum disk_engine_pref {
	DISK_IO_AUTO,      /* io_uring when it works, else the thread pool */
	DISK_IO_URING,     /* io_uring or fail                               */
	DISK_IO_THREADS,   /* the thread pool                                */
};

struct disk_config {
	char path[DISK_PATH_MAX];     /* the image; the base with an overlay  */
	char overlay[DISK_PATH_MAX];  /* copy-on-write overlay, "" for none    */
	bool readonly;                /* the guest sees a read-only disk and
				       * nothing is written, overlay included */
	bool direct;                  /* O_DIRECT: bypass the host page cache */
	enum disk_engine_pref engine;
};

/* Fills *cfg from spec. Returns 0, or -1 with a one-line reason in err
 * (without the spec: callers say "--disk 'SPEC': <err>"): empty path,
 * unknown or repeated option, a value where none belongs or none where
 * one is needed, io=uring with an overlay. */
int disk_parse_spec(const char *spec, struct disk_config *cfg, char *err, size_t errlen);

static inline bool disk_config_has_overlay(const struct disk_config *cfg)
{
	return cfg->overlay[0] != '\0';
}

#endif

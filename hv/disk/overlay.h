/* overlay.h: a copy-on-write overlay in use: reads come from the overlay
 * for clusters it holds and from the read-only base otherwise; writes
 * allocate clusters in the overlay (copying the untouched rest of a
 * partly written cluster from the base first), and the base is never
 * written. The allocation bitmap reaches the file only at overlay_flush()
 * (and a clean close), after the data it describes is durable, so after
 * a crash the overlay shows everything acknowledged before the last flush.
 * Thread-safe: the thread pool calls it from several workers at once.
 * Format: overlay_format.h; design: docs/disk.md. */
#ifndef PVISOR_BLK_OVERLAY_H
#define PVISOR_BLK_OVERLAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "disk/image.h"

enum {
	OVERLAY_READONLY = 1,   /* open the overlay read-only (shared lock) */
	OVERLAY_DIRECT   = 2,   /* O_DIRECT on the base and the overlay      */
};

struct overlay;

/* Opens top over base. The base is always read-only (shared lock); it
 * must be the file the overlay was made over, unchanged (size and mtime).
 * Returns NULL with a one-line reason in err. */
struct overlay *overlay_open(const char *base_path, const char *top_path, unsigned flags,
			     char *err, size_t errlen);
/* Flushes (when writable) and closes. Returns the flush's 0 or -errno. */
int overlay_close(struct overlay *ov);

uint64_t overlay_size(const struct overlay *ov);      /* bytes the guest sees */
const struct blk_image *overlay_base(const struct overlay *ov);

/* Ranges are 512-byte aligned and inside overlay_size(); the caller
 * (disk.c) checks. All return 0 or -errno. */
int overlay_preadv(struct overlay *ov, const struct iovec *iov, int cnt, uint64_t offset);
int overlay_pwritev(struct overlay *ov, const struct iovec *iov, int cnt, uint64_t offset);
/* Makes a range read zero without touching the base (discard and write
 * zeroes): whole clusters become allocated holes. */
int overlay_zero(struct overlay *ov, uint64_t offset, uint64_t len);
/* Data to stable storage, then the bitmap blocks changed since the last
 * flush, then stable storage again. */
int overlay_flush(struct overlay *ov);

#endif

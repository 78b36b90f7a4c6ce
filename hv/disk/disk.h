/* disk.h: a disk as a virtio-blk backend sees it: a raw image, or a base
 * with a copy-on-write overlay, opened from a disk_config (disk_spec.h),
 * with its capacity, read-only flag and 20-byte id, and synchronous I/O
 * helpers (used by the thread-pool engine and by tests; the asynchronous
 * interface is blkio.h). docs/disk.md has the details. */
#ifndef PVISOR_BLK_DISK_H
#define PVISOR_BLK_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "disk/disk_spec.h"
#include "disk/image.h"

#define DISK_ID_BYTES 20u    /* "pvisor-" + 13 hex digits, no NUL */

struct overlay;

struct disk {
	struct disk_config cfg;
	uint64_t size;              /* bytes the guest sees, a multiple of 512  */
	bool readonly;
	struct blk_image image;     /* a raw image (fd -1 with an overlay)      */
	struct overlay *overlay;    /* NULL for a raw image                     */
	char id[DISK_ID_BYTES];
	bool flush_failed;          /* a flush failed: later ones fail too      */
};

/* Opens the disk cfg describes: the image O_RDONLY (shared lock) for ro,
 * else O_RDWR (exclusive lock); O_DIRECT for direct; with an overlay, the
 * base read-only and the overlay as for a raw image. Returns NULL with a
 * one-line reason in err. */
struct disk *disk_open(const struct disk_config *cfg, char *err, size_t errlen);
/* Flushes an overlay's bitmap, closes everything. Returns 0 or -errno of
 * that last flush. */
int disk_close(struct disk *d);

static inline uint64_t disk_sectors(const struct disk *d)
{
	return d->size / BLK_SECTOR;
}

/* The descriptor io_uring may use: a raw image's, or -1 with an overlay. */
static inline int disk_raw_fd(const struct disk *d)
{
	return d->overlay ? -1 : d->image.fd;
}

/* The id of the image with identity st: "pvisor-" and 13 hex digits of
 * an FNV-1a hash of its device and inode numbers (the base's, for an
 * overlay): stable while the file stays where it is, different for
 * different files. Not NUL-terminated. */
void disk_make_id(const struct stat *st, char id[DISK_ID_BYTES]);

/* 0 when [offset, offset+len) is 512-aligned and inside the disk, else
 * -EINVAL. */
int disk_check_range(const struct disk *d, uint64_t offset, uint64_t len);

/* How disk_zero makes a range read back as zeroes. */
enum disk_zero_how {
	DISK_ZERO_PUNCH,     /* discard: punch a hole (the space is freed) */
	DISK_ZERO_ALLOCATE,  /* write zeroes: keep the range allocated */
};

/* Synchronous I/O: every byte or an error. Each returns 0 or -errno:
 * -EINVAL for a bad range or iovec, -EROFS for changes to a read-only
 * disk. disk_zero never touches an overlay's base. */
int disk_preadv(struct disk *d, const struct iovec *iov, int cnt, uint64_t offset);
int disk_pwritev(struct disk *d, const struct iovec *iov, int cnt, uint64_t offset);
int disk_zero(struct disk *d, uint64_t offset, uint64_t len, enum disk_zero_how how);
/* Makes every write completed before the call durable (fdatasync; for an
 * overlay, its bitmap too). */
int disk_flush(struct disk *d);

/* Records the outcome rc of a flush, however it was done: after one has
 * failed, every later flush reports -EIO too, because the kernel may have
 * dropped the data that failed to reach the disk. Returns the outcome to
 * report. */
int disk_flush_outcome(struct disk *d, int rc);

#endif

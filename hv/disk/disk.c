/* disk.c: opening disks and their synchronous I/O (disk.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/disk.h"
#include "disk/iov.h"
#include "disk/overlay.h"
#include "disk/raw_io.h"

void disk_make_id(const struct stat *st, char id[DISK_ID_BYTES])
{
	uint64_t key[2] = { (uint64_t)st->st_dev, (uint64_t)st->st_ino };
	const uint8_t *p = (const uint8_t *)key;
	uint64_t hash = 0xcbf29ce484222325ull;         /* FNV-1a, 64-bit */
	char text[DISK_ID_BYTES + 1];

	for (size_t i = 0; i < sizeof(key); i++)
		hash = (hash ^ p[i]) * 0x100000001b3ull;
	snprintf(text, sizeof(text), "pvisor-%013llx", (unsigned long long)(hash >> 12));
	memcpy(id, text, DISK_ID_BYTES);
}

static int open_raw(struct disk *d, char *err, size_t errlen)
{
	unsigned flags = (d->readonly ? 0 : BLK_IMAGE_WRITABLE) |
			 (d->cfg.direct ? BLK_IMAGE_DIRECT : 0);

	if (blk_image_open(&d->image, d->cfg.path, flags, err, errlen) < 0)
		return -1;
	d->size = d->image.size;
	disk_make_id(&d->image.st, d->id);
	return 0;
}

static int open_with_overlay(struct disk *d, char *err, size_t errlen)
{
	unsigned flags = (d->readonly ? OVERLAY_READONLY : 0) | (d->cfg.direct ? OVERLAY_DIRECT : 0);

	d->overlay = overlay_open(d->cfg.path, d->cfg.overlay, flags, err, errlen);
	if (!d->overlay)
		return -1;
	d->size = overlay_size(d->overlay);
	disk_make_id(&overlay_base(d->overlay)->st, d->id);
	return 0;
}

struct disk *disk_open(const struct disk_config *cfg, char *err, size_t errlen)
{
	struct disk *d = calloc(1, sizeof(*d));
	int rc;

	if (!d) {
		snprintf(err, errlen, "out of memory opening '%s'", cfg->path);
		return NULL;
	}
	d->cfg = *cfg;
	d->readonly = cfg->readonly;
	d->image.fd = -1;
	rc = disk_config_has_overlay(cfg) ? open_with_overlay(d, err, errlen)
					  : open_raw(d, err, errlen);
	if (rc < 0) {
		free(d);
		return NULL;
	}
	return d;
}

int disk_close(struct disk *d)
{
	int rc;

	if (!d)
		return 0;
	rc = overlay_close(d->overlay);
	blk_image_close(&d->image);
	free(d);
	return rc;
}

int disk_check_range(const struct disk *d, uint64_t offset, uint64_t len)
{
	if (offset % BLK_SECTOR || len % BLK_SECTOR || offset > d->size || len > d->size - offset)
		return -EINVAL;
	return 0;
}

/* For preadv/pwritev: the range and the iovec count. */
static int check_transfer(const struct disk *d, const struct iovec *iov, int cnt,
			  uint64_t offset)
{
	if (cnt < 0 || cnt > BLK_MAX_IOV)
		return -EINVAL;
	return disk_check_range(d, offset, blk_iov_length(iov, cnt));
}

static int check_change(const struct disk *d, uint64_t offset, uint64_t len)
{
	return d->readonly ? -EROFS : disk_check_range(d, offset, len);
}

int disk_preadv(struct disk *d, const struct iovec *iov, int cnt, uint64_t offset)
{
	int rc = check_transfer(d, iov, cnt, offset);

	if (rc < 0)
		return rc;
	if (d->overlay)
		return overlay_preadv(d->overlay, iov, cnt, offset);
	return blk_raw_preadv(d->image.fd, iov, cnt, offset, d->image.dio_align);
}

int disk_pwritev(struct disk *d, const struct iovec *iov, int cnt, uint64_t offset)
{
	int rc = d->readonly ? -EROFS : check_transfer(d, iov, cnt, offset);

	if (rc < 0)
		return rc;
	if (d->overlay)
		return overlay_pwritev(d->overlay, iov, cnt, offset);
	return blk_raw_pwritev(d->image.fd, iov, cnt, offset, d->image.dio_align);
}

int disk_zero(struct disk *d, uint64_t offset, uint64_t len, enum disk_zero_how how)
{
	int rc = check_change(d, offset, len);

	if (rc < 0)
		return rc;
	if (d->overlay)
		return overlay_zero(d->overlay, offset, len);
	if (how == DISK_ZERO_PUNCH)
		return blk_raw_punch(d->image.fd, offset, len);
	return blk_raw_zero_range(d->image.fd, offset, len);
}

int disk_flush_outcome(struct disk *d, int rc)
{
	if (rc < 0)
		__atomic_store_n(&d->flush_failed, true, __ATOMIC_RELAXED);
	else if (__atomic_load_n(&d->flush_failed, __ATOMIC_RELAXED))
		rc = -EIO;
	return rc;
}

int disk_flush(struct disk *d)
{
	int rc;

	if (d->overlay)
		rc = overlay_flush(d->overlay);
	else
		rc = blk_raw_sync(d->image.fd);
	return disk_flush_outcome(d, rc);
}

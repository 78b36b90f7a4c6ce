/* overlay.c: copy-on-write reads, writes and zeroing over a read-only
 * base, and crash-consistent flushes of the allocation bitmap
 * (overlay.h).
 *
 * Locking: `lock` serialises everything that sets a bitmap bit
 * (allocating a cluster, zeroing) and flushes. A bit goes from 0 to 1 only
 * after the cluster's data is in the overlay file, with a release store,
 * and readers test bits with acquire loads, so a reader that sees a bit
 * set finds the data. Bits never go back to 0 while the overlay is open,
 * so writes to clusters already allocated need no lock. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/iov.h"
#include "disk/overlay.h"
#include "lib/errmsg.h"
#include "disk/overlay_format.h"
#include "disk/raw_io.h"

struct overlay {
	struct blk_image base, top;
	struct ovl_header hdr;
	uint64_t cluster_size;
	uint64_t *bitmap;        /* one bit per cluster, as in the file        */
	uint8_t *dirty;          /* per OVL_BITMAP_BLOCK: changed since flush  */
	uint64_t dirty_blocks;   /* entries in dirty                           */
	uint8_t *cow_buf;        /* one cluster, used under lock               */
	bool readonly;
	pthread_mutex_t lock;
};

/* ---- Clusters ------------------------------------------------------------ */

static uint64_t cluster_of(const struct overlay *ov, uint64_t pos)
{
	return pos >> ov->hdr.cluster_bits;
}

static uint64_t cluster_start(const struct overlay *ov, uint64_t c)
{
	return c << ov->hdr.cluster_bits;
}

/* Bytes of cluster c inside the disk (the last one may be short). */
static uint64_t cluster_bytes(const struct overlay *ov, uint64_t c)
{
	uint64_t left = ov->hdr.virtual_size - cluster_start(ov, c);

	return left < ov->cluster_size ? left : ov->cluster_size;
}

static bool allocated(const struct overlay *ov, uint64_t c)
{
	return ovl_bit_test(ov->bitmap, c);
}

/* Under lock, after the cluster's data is in the file. */
static void mark_allocated(struct overlay *ov, uint64_t c)
{
	__atomic_fetch_or(&ov->bitmap[c / 64], 1ull << (c % 64), __ATOMIC_RELEASE);
	ov->dirty[c / 8 / OVL_BITMAP_BLOCK] = 1;
}

/* End of the run of clusters from pos (< end) that share pos's state. */
static uint64_t same_state_until(const struct overlay *ov, uint64_t pos, uint64_t end,
				 bool *is_allocated)
{
	uint64_t c = cluster_of(ov, pos) + 1;

	*is_allocated = allocated(ov, c - 1);
	while (cluster_start(ov, c) < end && allocated(ov, c) == *is_allocated)
		c++;
	return cluster_start(ov, c) < end ? cluster_start(ov, c) : end;
}

/* ---- Reads and writes ------------------------------------------------------ */

static int read_top(struct overlay *ov, const struct iovec *iov, int cnt, uint64_t pos)
{
	return blk_raw_preadv(ov->top.fd, iov, cnt, ov->hdr.data_offset + pos, ov->top.dio_align);
}

static int write_top(struct overlay *ov, const struct iovec *iov, int cnt, uint64_t pos)
{
	return blk_raw_pwritev(ov->top.fd, iov, cnt, ov->hdr.data_offset + pos, ov->top.dio_align);
}

int overlay_preadv(struct overlay *ov, const struct iovec *iov, int cnt, uint64_t offset)
{
	uint64_t end = offset + blk_iov_length(iov, cnt);
	struct iovec part[BLK_MAX_IOV];

	for (uint64_t pos = offset; pos < end;) {
		bool in_top;
		uint64_t stop = same_state_until(ov, pos, end, &in_top);
		int n = blk_iov_slice(iov, cnt, pos - offset, stop - pos, part, BLK_MAX_IOV);
		int rc;

		if (n < 0)
			return -EINVAL;
		rc = in_top ? read_top(ov, part, n, pos)
			    : blk_raw_preadv(ov->base.fd, part, n, pos, ov->base.dio_align);
		if (rc < 0)
			return rc;
		pos = stop;
	}
	return 0;
}

/* Under lock: the whole of cluster c, from the base, into cow_buf. */
static int load_base_cluster(struct overlay *ov, uint64_t c)
{
	return blk_raw_pread(ov->base.fd, ov->cow_buf, cluster_bytes(ov, c), cluster_start(ov, c));
}

static int store_cow_cluster(struct overlay *ov, uint64_t c)
{
	return blk_raw_pwrite(ov->top.fd, ov->cow_buf, cluster_bytes(ov, c),
			      ov->hdr.data_offset + cluster_start(ov, c));
}

/* First write to cluster c: `data` covers [pos, pos + len) inside it. */
static int allocate_with_data(struct overlay *ov, uint64_t c, const struct iovec *data, int cnt,
			      uint64_t pos, uint64_t len)
{
	uint64_t start = cluster_start(ov, c);
	int rc;

	if (pos == start && len == cluster_bytes(ov, c))
		return write_top(ov, data, cnt, pos);
	rc = load_base_cluster(ov, c);
	if (rc < 0)
		return rc;
	blk_iov_to_buf(data, cnt, ov->cow_buf + (pos - start));
	return store_cow_cluster(ov, c);
}

static int write_new_cluster(struct overlay *ov, uint64_t c, const struct iovec *data, int cnt,
			     uint64_t pos, uint64_t len)
{
	int rc;

	pthread_mutex_lock(&ov->lock);
	if (allocated(ov, c)) {           /* another worker was first */
		rc = write_top(ov, data, cnt, pos);
	} else {
		rc = allocate_with_data(ov, c, data, cnt, pos, len);
		if (rc == 0)
			mark_allocated(ov, c);
	}
	pthread_mutex_unlock(&ov->lock);
	return rc;
}

int overlay_pwritev(struct overlay *ov, const struct iovec *iov, int cnt, uint64_t offset)
{
	uint64_t end = offset + blk_iov_length(iov, cnt);
	struct iovec part[BLK_MAX_IOV];

	if (ov->readonly)
		return -EROFS;
	for (uint64_t pos = offset; pos < end;) {
		bool in_top;
		uint64_t stop = same_state_until(ov, pos, end, &in_top);
		uint64_t c = cluster_of(ov, pos);
		int n, rc;

		if (!in_top && stop > cluster_start(ov, c + 1))
			stop = cluster_start(ov, c + 1);   /* allocate one at a time */
		n = blk_iov_slice(iov, cnt, pos - offset, stop - pos, part, BLK_MAX_IOV);
		if (n < 0)
			return -EINVAL;
		rc = in_top ? write_top(ov, part, n, pos)
			    : write_new_cluster(ov, c, part, n, pos, stop - pos);
		if (rc < 0)
			return rc;
		pos = stop;
	}
	return 0;
}

/* ---- Zeroing --------------------------------------------------------------- */

/* [start, stop) is whole clusters: punch them and mark them allocated,
 * so they read zero from the overlay whatever the base holds. */
static int zero_whole_clusters(struct overlay *ov, uint64_t start, uint64_t stop)
{
	int rc;

	pthread_mutex_lock(&ov->lock);
	rc = blk_raw_punch(ov->top.fd, ov->hdr.data_offset + start, stop - start);
	for (uint64_t c = cluster_of(ov, start); rc == 0 && cluster_start(ov, c) < stop; c++)
		mark_allocated(ov, c);
	pthread_mutex_unlock(&ov->lock);
	return rc;
}

/* [pos, pos + len) is part of cluster c. */
static int zero_part_of_cluster(struct overlay *ov, uint64_t c, uint64_t pos, uint64_t len)
{
	int rc;

	pthread_mutex_lock(&ov->lock);
	if (allocated(ov, c)) {
		rc = blk_raw_punch(ov->top.fd, ov->hdr.data_offset + pos, len);
	} else {
		rc = load_base_cluster(ov, c);
		if (rc == 0) {
			memset(ov->cow_buf + (pos - cluster_start(ov, c)), 0, len);
			rc = store_cow_cluster(ov, c);
		}
		if (rc == 0)
			mark_allocated(ov, c);
	}
	pthread_mutex_unlock(&ov->lock);
	return rc;
}

int overlay_zero(struct overlay *ov, uint64_t offset, uint64_t len)
{
	uint64_t end = offset + len;

	if (ov->readonly)
		return -EROFS;
	for (uint64_t pos = offset; pos < end;) {
		uint64_t c = cluster_of(ov, pos);
		uint64_t cluster_end = cluster_start(ov, c) + cluster_bytes(ov, c);
		uint64_t stop;
		int rc;

		if (pos == cluster_start(ov, c) && end >= cluster_end) {
			stop = end == ov->hdr.virtual_size ? end : end & ~(ov->cluster_size - 1);
			rc = zero_whole_clusters(ov, pos, stop);
		} else {
			stop = end < cluster_end ? end : cluster_end;
			rc = zero_part_of_cluster(ov, c, pos, stop - pos);
		}
		if (rc < 0)
			return rc;
		pos = stop;
	}
	return 0;
}

/* ---- Flush ------------------------------------------------------------------- */

/* Under lock: writes each run of dirty bitmap blocks. */
static int write_dirty_bitmap(struct overlay *ov)
{
	for (uint64_t b = 0; b < ov->dirty_blocks;) {
		uint64_t n = 0;
		int rc;

		while (b + n < ov->dirty_blocks && ov->dirty[b + n])
			n++;
		if (n == 0) {
			b++;
			continue;
		}
		rc = blk_raw_pwrite(ov->top.fd, (uint8_t *)ov->bitmap + b * OVL_BITMAP_BLOCK,
				    n * OVL_BITMAP_BLOCK, ov->hdr.bitmap_offset + b * OVL_BITMAP_BLOCK);
		if (rc < 0)
			return rc;
		b += n;
	}
	return 0;
}

static bool bitmap_dirty(const struct overlay *ov)
{
	return memchr(ov->dirty, 1, ov->dirty_blocks) != NULL;
}

/* The order is what makes a crash safe: every bit written in step 2 was
 * set (under this lock) after its cluster's data was written, and step 1
 * makes that data durable before any of those bits can reach the disk. */
int overlay_flush(struct overlay *ov)
{
	int rc;

	if (ov->readonly)
		return 0;
	pthread_mutex_lock(&ov->lock);
	rc = blk_raw_sync(ov->top.fd);                   /* 1: data        */
	if (rc == 0 && bitmap_dirty(ov)) {
		rc = write_dirty_bitmap(ov);             /* 2: bitmap      */
		if (rc == 0)
			rc = blk_raw_sync(ov->top.fd);   /* 3: bitmap durable */
		if (rc == 0)
			memset(ov->dirty, 0, ov->dirty_blocks);
	}
	pthread_mutex_unlock(&ov->lock);
	return rc;
}

/* ---- Open and close ---------------------------------------------------------- */

uint64_t overlay_size(const struct overlay *ov)
{
	return ov->hdr.virtual_size;
}

const struct blk_image *overlay_base(const struct overlay *ov)
{
	return &ov->base;
}

static void overlay_free(struct overlay *ov)
{
	blk_image_close(&ov->base);
	blk_image_close(&ov->top);
	free(ov->bitmap);
	free(ov->dirty);
	free(ov->cow_buf);
	pthread_mutex_destroy(&ov->lock);
	free(ov);
}

/* The header is read; is the base the one it was made over? */
static int check_header(struct overlay *ov, const char *base_path, const char *top_path,
			char *err, size_t errlen)
{
	if (ov->hdr.flags & OVL_FLAG_COMMITTING)
		return errmsg(err, errlen, "overlay '%s' has an interrupted commit: run 'pvisor "
				 "disk commit %s' to finish it", top_path, top_path);
	if (!ovl_base_matches(&ov->hdr, &ov->base) || ov->hdr.virtual_size != ov->base.size)
		return errmsg(err, errlen, "base '%s' is not the image overlay '%s' was made "
				 "over, or it changed since (size or mtime differ)", base_path,
				 top_path);
	return 0;
}

static int load_state(struct overlay *ov, const char *top_path, char *err, size_t errlen)
{
	int rc = ovl_bitmap_read(ov->top.fd, &ov->hdr, &ov->bitmap);

	if (rc < 0)
		return errmsg(err, errlen, "cannot read the bitmap of '%s': %s", top_path,
				 strerror(-rc));
	/* Room for the bitmap now, or a full file system would lose every
	 * allocation since the last flush, even at a clean exit. */
	rc = ov->readonly ? 0 : ovl_bitmap_reserve(ov->top.fd, &ov->hdr, ov->bitmap);
	if (rc < 0)
		return errmsg(err, errlen, "cannot reserve space for the bitmap of overlay '%s' "
				 "(%llu bytes): %s", top_path,
				 (unsigned long long)ov->hdr.bitmap_bytes, strerror(-rc));
	ov->cluster_size = ovl_cluster_size(&ov->hdr);
	ov->dirty_blocks = ov->hdr.bitmap_bytes / OVL_BITMAP_BLOCK;
	ov->dirty = calloc(ov->dirty_blocks, 1);
	ov->cow_buf = blk_raw_alloc(ov->cluster_size);
	if (!ov->dirty || !ov->cow_buf)
		return errmsg(err, errlen, "out of memory opening overlay '%s'", top_path);
	return 0;
}

static int open_files(struct overlay *ov, const char *base_path, const char *top_path,
		      unsigned flags, char *err, size_t errlen)
{
	unsigned direct = (flags & OVERLAY_DIRECT) ? BLK_IMAGE_DIRECT : 0;
	unsigned top_access = ov->readonly ? 0 : BLK_IMAGE_WRITABLE;

	if (ovl_base_path_check(base_path, top_path, err, errlen) < 0 ||
	    blk_image_open(&ov->base, base_path, direct, err, errlen) < 0 ||
	    blk_image_open(&ov->top, top_path, direct | top_access, err, errlen) < 0 ||
	    ovl_base_is_raw(&ov->base, base_path, top_path, err, errlen) < 0 ||
	    ovl_header_read(ov->top.fd, ov->top.size, top_path, &ov->hdr, err, errlen) < 0 ||
	    check_header(ov, base_path, top_path, err, errlen) < 0)
		return -1;
	return load_state(ov, top_path, err, errlen);
}

struct overlay *overlay_open(const char *base_path, const char *top_path, unsigned flags,
			     char *err, size_t errlen)
{
	struct overlay *ov = calloc(1, sizeof(*ov));

	if (!ov) {
		snprintf(err, errlen, "out of memory opening overlay '%s'", top_path);
		return NULL;
	}
	ov->base.fd = ov->top.fd = -1;
	pthread_mutex_init(&ov->lock, NULL);
	ov->readonly = flags & OVERLAY_READONLY;
	if (open_files(ov, base_path, top_path, flags, err, errlen) < 0) {
		overlay_free(ov);
		return NULL;
	}
	return ov;
}

int overlay_close(struct overlay *ov)
{
	int rc;

	if (!ov)
		return 0;
	rc = overlay_flush(ov);
	overlay_free(ov);
	return rc;
}

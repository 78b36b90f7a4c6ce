/* overlay_admin.c: creating, committing and describing overlay files
 * (overlay_admin.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "disk/overlay_admin.h"
#include "disk/raw_io.h"
#include "lib/errmsg.h"

#define COMMIT_CHUNK (1u << 20)   /* bytes copied per read/write in a commit */

/* ---- create-overlay ----------------------------------------------------- */

/* Makes the new directory entry durable too. */
static int sync_parent_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, rc;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* A header for an overlay over the open image base (found at base_path). */
static int header_for_base(struct ovl_header *h, const struct blk_image *base,
			   const char *base_path, char *err, size_t errlen)
{
	char abs[PATH_MAX];

	if (ovl_has_magic(base->fd))
		return errmsg(err, errlen, "'%s' is itself a pvisor overlay; the base must be a "
				  "raw image", base_path);
	if (!realpath(base_path, abs))
		return errmsg(err, errlen, "cannot resolve '%s': %s", base_path, strerror(errno));
	if (strlen(abs) >= OVL_BASE_PATH_MAX)
		return errmsg(err, errlen, "the path of '%s' is too long for an overlay header",
				  base_path);
	ovl_header_init(h, base->size, OVL_DEFAULT_CLUSTER_BITS, abs);
	ovl_set_base_fingerprint(h, base);
	return 0;
}

/* Sizes, stamps and syncs the freshly created, locked file fd. */
static int write_new_overlay(int fd, const struct ovl_header *h, const char *top_path)
{
	int rc;

	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || ftruncate(fd, (off_t)ovl_file_size(h)) < 0)
		return -errno;
	rc = ovl_header_write(fd, h);
	if (rc == 0)
		rc = ovl_bitmap_reserve(fd, h, NULL);
	if (rc == 0)
		rc = blk_raw_sync(fd);
	if (rc == 0)
		rc = sync_parent_dir(top_path);
	return rc;
}

int overlay_create(const char *top_path, const char *base_path, char *err, size_t errlen)
{
	struct blk_image base;
	struct ovl_header h;
	int fd, rc;

	if (blk_image_open(&base, base_path, 0, err, errlen) < 0)
		return -1;
	rc = header_for_base(&h, &base, base_path, err, errlen);
	blk_image_close(&base);
	if (rc < 0)
		return -1;
	fd = open(top_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		return errmsg(err, errlen, "'%s' already exists; refusing to overwrite it",
				  top_path);
	if (fd < 0)
		return errmsg(err, errlen, "cannot create '%s': %s", top_path, strerror(errno));
	rc = write_new_overlay(fd, &h, top_path);
	close(fd);
	if (rc < 0) {
		unlink(top_path);
		return errmsg(err, errlen, "cannot write overlay '%s': %s", top_path,
				  strerror(-rc));
	}
	return 0;
}

/* ---- commit --------------------------------------------------------------- */

struct commit {
	struct blk_image top, base;
	struct ovl_header hdr;
	uint64_t *bitmap;
	uint8_t *buf;              /* COMMIT_CHUNK bytes */
};

static bool all_zero(const uint8_t *p, size_t len)
{
	return len == 0 || (p[0] == 0 && !memcmp(p, p + 1, len - 1));
}

/* Copies [pos, stop) from top's data area into the base; zero chunks
 * become holes in the base, so discards carry over. */
static int copy_run(struct commit *cm, uint64_t pos, uint64_t stop)
{
	while (pos < stop) {
		size_t n = stop - pos < COMMIT_CHUNK ? (size_t)(stop - pos) : COMMIT_CHUNK;
		int rc = blk_raw_pread(cm->top.fd, cm->buf, n, cm->hdr.data_offset + pos);

		if (rc == 0)
			rc = all_zero(cm->buf, n) ? blk_raw_punch(cm->base.fd, pos, n)
						  : blk_raw_pwrite(cm->base.fd, cm->buf, n, pos);
		if (rc < 0)
			return rc;
		pos += n;
	}
	return 0;
}

/* Every allocated cluster into the base; counts them. */
static int copy_clusters(struct commit *cm, uint64_t *count)
{
	uint64_t clusters = ovl_cluster_count(&cm->hdr), csize = ovl_cluster_size(&cm->hdr);

	*count = 0;
	for (uint64_t c = 0; c < clusters;) {
		uint64_t first = c;
		int rc;

		while (c < clusters && ovl_bit_test(cm->bitmap, c))
			c++;
		if (c == first) {
			c++;
			continue;
		}
		*count += c - first;
		rc = copy_run(cm, first * csize,
			      c == clusters ? cm->hdr.virtual_size : c * csize);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int set_committing(struct commit *cm, bool on)
{
	int rc;

	if (on)
		cm->hdr.flags |= OVL_FLAG_COMMITTING;
	else
		cm->hdr.flags &= ~OVL_FLAG_COMMITTING;
	rc = ovl_header_write(cm->top.fd, &cm->hdr);
	return rc < 0 ? rc : blk_raw_sync(cm->top.fd);
}

/* The base now holds everything: empty the overlay and point it at the
 * base as it is now. Then give the data area's space back. */
static int empty_overlay(struct commit *cm)
{
	int rc = blk_image_restat(&cm->base);

	if (rc < 0)
		return rc;
	memset(cm->bitmap, 0, cm->hdr.bitmap_bytes);
	rc = blk_raw_pwrite(cm->top.fd, cm->bitmap, cm->hdr.bitmap_bytes, cm->hdr.bitmap_offset);
	if (rc < 0)
		return rc;
	ovl_set_base_fingerprint(&cm->hdr, &cm->base);
	rc = set_committing(cm, false);
	if (rc == 0)   /* best effort: a filesystem without holes keeps the space */
		(void)fallocate(cm->top.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				(off_t)cm->hdr.data_offset, (off_t)cm->hdr.virtual_size);
	return rc;
}

/* A base named on the command line becomes the recorded one. */
static int record_base_path(struct ovl_header *h, const char *path)
{
	char abs[PATH_MAX];

	if (!realpath(path, abs) || strlen(abs) >= OVL_BASE_PATH_MAX)
		return -1;
	memcpy(h->base_path, abs, strlen(abs) + 1);
	return 0;
}

static int open_commit(struct commit *cm, const char *top_path, const char *base_override,
		       struct overlay_commit_report *report, char *err, size_t errlen)
{
	const char *base_path;

	if (blk_image_open(&cm->top, top_path, BLK_IMAGE_WRITABLE, err, errlen) < 0 ||
	    ovl_header_read(cm->top.fd, cm->top.size, top_path, &cm->hdr, err, errlen) < 0)
		return -1;
	base_path = base_override ? base_override : cm->hdr.base_path;
	snprintf(report->base_path, sizeof(report->base_path), "%s", base_path);
	report->resumed = cm->hdr.flags & OVL_FLAG_COMMITTING;
	if (ovl_base_path_check(base_path, top_path, err, errlen) < 0 ||
	    blk_image_open(&cm->base, base_path, BLK_IMAGE_WRITABLE, err, errlen) < 0 ||
	    ovl_base_is_raw(&cm->base, base_path, top_path, err, errlen) < 0)
		return -1;
	if (cm->base.size != cm->hdr.virtual_size ||
	    (!report->resumed && !ovl_base_matches(&cm->hdr, &cm->base)))
		return errmsg(err, errlen, "base '%s' is not the image overlay '%s' was made "
				  "over, or it changed since (size or mtime differ)", base_path,
				  top_path);
	if (base_override && record_base_path(&cm->hdr, base_override) < 0)
		return errmsg(err, errlen, "cannot resolve '%s' for the overlay header",
				  base_override);
	if (ovl_bitmap_read(cm->top.fd, &cm->hdr, &cm->bitmap) < 0 ||
	    !(cm->buf = blk_raw_alloc(COMMIT_CHUNK)))
		return errmsg(err, errlen, "cannot read the bitmap of '%s'", top_path);
	return 0;
}

static int run_commit(struct commit *cm, struct overlay_commit_report *report)
{
	int rc = set_committing(cm, true);

	if (rc == 0)
		rc = copy_clusters(cm, &report->clusters);
	if (rc == 0)
		rc = blk_raw_sync(cm->base.fd);
	if (rc == 0)
		rc = empty_overlay(cm);
	return rc;
}

int overlay_commit(const char *top_path, const char *base_override,
		   struct overlay_commit_report *report, char *err, size_t errlen)
{
	struct commit cm = { .top.fd = -1, .base.fd = -1 };
	int rc;

	memset(report, 0, sizeof(*report));
	rc = open_commit(&cm, top_path, base_override, report, err, errlen);
	if (rc == 0) {
		rc = run_commit(&cm, report);
		if (rc < 0)
			rc = errmsg(err, errlen, "commit of '%s' into '%s' failed: %s (run it again "
					"to finish)", top_path, report->base_path, strerror(-rc));
	}
	free(cm.bitmap);
	free(cm.buf);
	blk_image_close(&cm.top);
	blk_image_close(&cm.base);
	return rc;
}

/* ---- info ------------------------------------------------------------------ */

static uint64_t count_allocated(const struct ovl_header *h, const uint64_t *bitmap)
{
	uint64_t n = 0;

	for (uint64_t c = 0; c < ovl_cluster_count(h); c++)
		n += ovl_bit_test(bitmap, c);
	return n;
}

/* The base the header names, opened once. A base that is the overlay
 * itself, or another overlay, makes the header corrupt, not merely out of
 * date: an error. A missing or changed base is reported in info. */
static int inspect_base(struct overlay_info *info, const char *top_path, char *err, size_t errlen)
{
	const char *path = info->hdr.base_path;
	struct blk_image base;
	int rc;

	if (ovl_base_path_check(path, top_path, err, errlen) < 0)
		return -1;
	if (blk_image_open(&base, path, BLK_IMAGE_NO_LOCK, info->base_problem,
			   sizeof(info->base_problem)) < 0) {
		info->base_state = OVL_BASE_UNUSABLE;
		return 0;
	}
	rc = ovl_base_is_raw(&base, path, top_path, err, errlen);
	if (rc == 0 && !ovl_base_matches(&info->hdr, &base)) {
		info->base_state = OVL_BASE_CHANGED;
		snprintf(info->base_problem, sizeof(info->base_problem),
			 "changed since the overlay was made (size or mtime differ)");
	}
	blk_image_close(&base);
	return rc;
}

int overlay_inspect(const char *top_path, struct overlay_info *info, char *err, size_t errlen)
{
	struct blk_image top;
	uint64_t *bitmap = NULL;
	int rc;

	memset(info, 0, sizeof(*info));
	if (blk_image_open(&top, top_path, BLK_IMAGE_NO_LOCK, err, errlen) < 0)
		return -1;
	rc = ovl_header_read(top.fd, top.size, top_path, &info->hdr, err, errlen);
	if (rc == 0 && ovl_bitmap_read(top.fd, &info->hdr, &bitmap) < 0)
		rc = errmsg(err, errlen, "cannot read the bitmap of '%s'", top_path);
	if (rc == 0)
		rc = inspect_base(info, top_path, err, errlen);
	if (rc == 0)
		info->allocated = count_allocated(&info->hdr, bitmap);
	free(bitmap);
	blk_image_close(&top);
	return rc;
}

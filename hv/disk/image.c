/* image.c: opening and checking one disk image file (image.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "disk/image.h"
#include "lib/errmsg.h"
#include "lib/host_files.h"

static int image_fail(struct blk_image *img, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int image_fail(struct blk_image *img, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrmsg(err, errlen, fmt, ap);
	va_end(ap);
	blk_image_close(img);
	return -1;
}

static int open_flags(unsigned flags)
{
	return ((flags & BLK_IMAGE_WRITABLE) ? O_RDWR : O_RDONLY) | O_CLOEXEC |
	       ((flags & BLK_IMAGE_DIRECT) ? O_DIRECT : 0);
}

static int explain_open_error(struct blk_image *img, const char *path, unsigned flags,
			      char *err, size_t errlen)
{
	int e = errno;

	if (e == ENOENT)
		return image_fail(img, err, errlen, "'%s' does not exist", path);
	if (e == EISDIR)
		return image_fail(img, err, errlen, "'%s' is a directory, not a disk image", path);
	if ((e == EACCES || e == EROFS || e == EPERM) && (flags & BLK_IMAGE_WRITABLE))
		return image_fail(img, err, errlen, "cannot open '%s' for writing: %s (add ',ro' "
				  "for a read-only disk)", path, strerror(e));
	if (e == EINVAL && (flags & BLK_IMAGE_DIRECT))
		return image_fail(img, err, errlen, "the filesystem of '%s' does not support "
				  "O_DIRECT (drop ',direct')", path);
	return image_fail(img, err, errlen, "cannot open '%s': %s", path, strerror(e));
}

static int take_lock(struct blk_image *img, const char *path, unsigned flags, char *err,
		     size_t errlen)
{
	bool writable = flags & BLK_IMAGE_WRITABLE;

	if (flags & BLK_IMAGE_NO_LOCK)
		return 0;
	if (flock(img->fd, (writable ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return image_fail(img, err, errlen, "cannot lock '%s': %s", path, strerror(errno));
	if (writable)
		return image_fail(img, err, errlen, "'%s' is in use by another process (it is "
				  "locked); a disk image can have one writer", path);
	return image_fail(img, err, errlen, "'%s' is being written by another process (it is "
			  "locked)", path);
}

static int read_size(struct blk_image *img)
{
	if (img->block_device)
		return ioctl(img->fd, BLKGETSIZE64, &img->size) < 0 ? -errno : 0;
	img->size = (uint64_t)img->st.st_size;
	return 0;
}

static int check_size(struct blk_image *img, const char *path, char *err, size_t errlen)
{
	int rc = read_size(img);

	if (rc < 0)
		return image_fail(img, err, errlen, "cannot read the size of '%s': %s", path,
				  strerror(-rc));
	if (img->size == 0)
		return image_fail(img, err, errlen, "'%s' is empty (0 bytes)", path);
	if (img->size % BLK_SECTOR)
		return image_fail(img, err, errlen, "'%s' is %llu bytes, not a multiple of %u",
				  path, (unsigned long long)img->size, BLK_SECTOR);
	return 0;
}

/* What O_DIRECT asks of offsets and buffers here. Offsets must work at
 * 512 bytes because guests address 512-byte sectors. */
static int direct_alignment(struct blk_image *img, const char *path, char *err, size_t errlen)
{
	unsigned offset_align = BLK_SECTOR, mem_align = BLK_SECTOR;
	struct statx sx;

	if (img->block_device) {
		int lbs;

		if (ioctl(img->fd, BLKSSZGET, &lbs) == 0 && lbs > 0)
			offset_align = (unsigned)lbs;
	} else if (statx(img->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
		   (sx.stx_mask & STATX_DIOALIGN)) {
		if (sx.stx_dio_offset_align == 0)
			return image_fail(img, err, errlen, "the filesystem of '%s' does not support "
					  "O_DIRECT (drop ',direct')", path);
		offset_align = sx.stx_dio_offset_align;
		if (sx.stx_dio_mem_align > mem_align)
			mem_align = sx.stx_dio_mem_align;
	}
	if (offset_align > BLK_SECTOR)
		return image_fail(img, err, errlen, "'%s' needs %u-byte aligned O_DIRECT I/O but "
				  "guests use %u-byte sectors (drop ',direct')", path, offset_align,
				  BLK_SECTOR);
	img->dio_align = mem_align;
	return 0;
}

int blk_image_open(struct blk_image *img, const char *path, unsigned flags, char *err,
		   size_t errlen)
{
	memset(img, 0, sizeof(*img));
	img->fd = host_file_open(path, open_flags(flags));
	if (img->fd < 0)
		return explain_open_error(img, path, flags, err, errlen);
	if (fstat(img->fd, &img->st) < 0)
		return image_fail(img, err, errlen, "cannot stat '%s': %s", path, strerror(errno));
	if (S_ISDIR(img->st.st_mode))
		return image_fail(img, err, errlen, "'%s' is a directory, not a disk image", path);
	if (!S_ISREG(img->st.st_mode) && !S_ISBLK(img->st.st_mode))
		return image_fail(img, err, errlen, "'%s' is not a regular file or a block device",
				  path);
	img->block_device = S_ISBLK(img->st.st_mode);
	if (take_lock(img, path, flags, err, errlen) < 0 || check_size(img, path, err, errlen) < 0)
		return -1;
	if ((flags & BLK_IMAGE_DIRECT) && direct_alignment(img, path, err, errlen) < 0)
		return -1;
	return 0;
}

int blk_image_restat(struct blk_image *img)
{
	if (fstat(img->fd, &img->st) < 0)
		return -errno;
	return read_size(img);
}

void blk_image_close(struct blk_image *img)
{
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
}

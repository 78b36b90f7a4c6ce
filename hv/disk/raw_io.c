/* raw_io.c: complete synchronous transfers, O_DIRECT bouncing and range
 * zeroing on image descriptors (raw_io.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/iov.h"
#include "disk/raw_io.h"

#define ZERO_CHUNK (1u << 20)     /* bytes of zeroes written per call */

void *blk_raw_alloc(size_t len)
{
	void *p;

	if (posix_memalign(&p, BLK_BUF_ALIGN, len ? len : 1) != 0)
		return NULL;
	return p;
}

/* preadv/pwritev until every byte moved. */
static int transfer(int fd, bool write, const struct iovec *iov, int cnt, uint64_t offset)
{
	struct iovec local[BLK_MAX_IOV];
	struct iovec *cur = local;
	size_t left;

	if (cnt < 0 || cnt > BLK_MAX_IOV)
		return -EINVAL;
	memcpy(local, iov, (size_t)cnt * sizeof(*iov));
	left = blk_iov_length(local, cnt);
	while (left) {
		ssize_t n = write ? pwritev(fd, cur, cnt, (off_t)offset)
				  : preadv(fd, cur, cnt, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;      /* end of file inside the image */
		offset += (uint64_t)n;
		left -= (size_t)n;
		blk_iov_advance(&cur, &cnt, (size_t)n);
	}
	return 0;
}

/* The same transfer through one aligned buffer. */
static int bounce_transfer(int fd, bool write, const struct iovec *iov, int cnt, uint64_t offset)
{
	size_t len = blk_iov_length(iov, cnt);
	void *buf = blk_raw_alloc(len);
	struct iovec one = { buf, len };
	int rc;

	if (!buf)
		return -ENOMEM;
	if (write)
		blk_iov_to_buf(iov, cnt, buf);
	rc = transfer(fd, write, &one, 1, offset);
	if (rc == 0 && !write)
		blk_iov_from_buf(iov, cnt, buf);
	free(buf);
	return rc;
}

static int transfer_aligned(int fd, bool write, const struct iovec *iov, int cnt,
			    uint64_t offset, size_t dio_align)
{
	if (dio_align && !blk_iov_aligned(iov, cnt, dio_align))
		return bounce_transfer(fd, write, iov, cnt, offset);
	return transfer(fd, write, iov, cnt, offset);
}

int blk_raw_preadv(int fd, const struct iovec *iov, int cnt, uint64_t offset, size_t dio_align)
{
	return transfer_aligned(fd, false, iov, cnt, offset, dio_align);
}

int blk_raw_pwritev(int fd, const struct iovec *iov, int cnt, uint64_t offset, size_t dio_align)
{
	return transfer_aligned(fd, true, iov, cnt, offset, dio_align);
}

int blk_raw_pread(int fd, void *buf, size_t len, uint64_t offset)
{
	struct iovec one = { buf, len };

	return transfer(fd, false, &one, 1, offset);
}

int blk_raw_pwrite(int fd, const void *buf, size_t len, uint64_t offset)
{
	struct iovec one = { (void *)buf, len };

	return transfer(fd, true, &one, 1, offset);
}

static int write_zeroes(int fd, uint64_t offset, uint64_t len)
{
	size_t chunk = len < ZERO_CHUNK ? (size_t)len : ZERO_CHUNK;
	void *zeroes = blk_raw_alloc(chunk);
	int rc = 0;

	if (!zeroes)
		return -ENOMEM;
	memset(zeroes, 0, chunk);
	while (len && rc == 0) {
		size_t n = len < chunk ? (size_t)len : chunk;

		rc = blk_raw_pwrite(fd, zeroes, n, offset);
		offset += n;
		len -= n;
	}
	free(zeroes);
	return rc;
}

/* fallocate(mode), or plain zeroes where the filesystem or device does
 * not support mode. With O_DIRECT the zero buffer is aligned already. */
static int fallocate_or_zero(int fd, int mode, uint64_t offset, uint64_t len)
{
	for (;;) {
		if (fallocate(fd, mode | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)len) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EOPNOTSUPP || errno == ENOSYS)
			return write_zeroes(fd, offset, len);
		return -errno;
	}
}

int blk_raw_punch(int fd, uint64_t offset, uint64_t len)
{
	return len ? fallocate_or_zero(fd, FALLOC_FL_PUNCH_HOLE, offset, len) : 0;
}

int blk_raw_zero_range(int fd, uint64_t offset, uint64_t len)
{
	return len ? fallocate_or_zero(fd, FALLOC_FL_ZERO_RANGE, offset, len) : 0;
}

int blk_raw_sync(int fd)
{
	while (fdatasync(fd) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

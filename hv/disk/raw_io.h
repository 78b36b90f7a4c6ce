/* raw_io.h: synchronous I/O on an image file descriptor that always
 * transfers everything it was asked to (short transfers are continued,
 * EINTR retried, an early end of file is -EIO), bounces buffers that do
 * not meet O_DIRECT alignment, and zeroes ranges with fallocate, writing
 * zeroes where the filesystem cannot. All return 0 or -errno. */
#ifndef PVISOR_BLK_RAW_IO_H
#define PVISOR_BLK_RAW_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define BLK_MAX_IOV   256     /* most segments in one request              */
#define BLK_BUF_ALIGN 4096    /* alignment of buffers the disk layer owns   */

/* dio_align: the O_DIRECT alignment of the descriptor (every segment's
 * base and length must be a multiple), 0 for buffered descriptors. */
int blk_raw_preadv(int fd, const struct iovec *iov, int cnt, uint64_t offset, size_t dio_align);
int blk_raw_pwritev(int fd, const struct iovec *iov, int cnt, uint64_t offset, size_t dio_align);

/* One buffer, which the caller aligned when the descriptor is O_DIRECT. */
int blk_raw_pread(int fd, void *buf, size_t len, uint64_t offset);
int blk_raw_pwrite(int fd, const void *buf, size_t len, uint64_t offset);

/* Deallocates [offset, offset+len) so it reads zero (punch a hole). */
int blk_raw_punch(int fd, uint64_t offset, uint64_t len);
/* Makes [offset, offset+len) read zero, keeping it allocated. */
int blk_raw_zero_range(int fd, uint64_t offset, uint64_t len);

/* fdatasync: what was written reaches stable storage. */
int blk_raw_sync(int fd);

/* A BLK_BUF_ALIGN-aligned buffer of len bytes (free() it), or NULL. */
void *blk_raw_alloc(size_t len);

#endif

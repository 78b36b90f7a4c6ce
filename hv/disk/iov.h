/* iov.h: small helpers over struct iovec arrays (lengths, alignment,
 * slicing, copying), shared by the disk layer and its I/O engines. */
#ifndef PVISOR_BLK_IOV_H
#define PVISOR_BLK_IOV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/* Total bytes of iov[0..cnt). */
size_t blk_iov_length(const struct iovec *iov, int cnt);

/* True when every base and length is a multiple of align (a power of two). */
bool blk_iov_aligned(const struct iovec *iov, int cnt, size_t align);

/* Drops the first `bytes` bytes from *iov and *cnt, editing the array in
 * place: *iov moves past consumed entries and the first entry left is
 * trimmed. bytes must not exceed the total. */
void blk_iov_advance(struct iovec **iov, int *cnt, size_t bytes);

/* Writes into dst (at most dst_max entries) the part of src that covers
 * bytes [skip, skip + len). Returns the number of entries, or -1 when the
 * range does not fit in src or dst. len 0 gives 0 entries. */
int blk_iov_slice(const struct iovec *src, int cnt, size_t skip, size_t len, struct iovec *dst,
		  int dst_max);

/* Copies the bytes of iov into buf, or buf into iov (len = total). */
void blk_iov_to_buf(const struct iovec *iov, int cnt, void *buf);
void blk_iov_from_buf(const struct iovec *iov, int cnt, const void *buf);

#endif

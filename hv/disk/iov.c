/* iov.c: helpers over struct iovec arrays (iov.h). */
#include <stdint.h>
#include <string.h>

#include "disk/iov.h"

size_t blk_iov_length(const struct iovec *iov, int cnt)
{
	size_t total = 0;

	for (int i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	return total;
}

bool blk_iov_aligned(const struct iovec *iov, int cnt, size_t align)
{
	for (int i = 0; i < cnt; i++)
		if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) & (align - 1))
			return false;
	return true;
}

void blk_iov_advance(struct iovec **iov, int *cnt, size_t bytes)
{
	while (*cnt > 0 && bytes >= (*iov)->iov_len) {
		bytes -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt > 0 && bytes) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + bytes;
		(*iov)->iov_len -= bytes;
	}
}

int blk_iov_slice(const struct iovec *src, int cnt, size_t skip, size_t len, struct iovec *dst,
		  int dst_max)
{
	int n = 0;

	for (int i = 0; i < cnt && len; i++) {
		size_t take;

		if (skip >= src[i].iov_len) {
			skip -= src[i].iov_len;
			continue;
		}
		if (n == dst_max)
			return -1;
		take = src[i].iov_len - skip;
		if (take > len)
			take = len;
		dst[n].iov_base = (uint8_t *)src[i].iov_base + skip;
		dst[n].iov_len = take;
		n++;
		len -= take;
		skip = 0;
	}
	return len ? -1 : n;
}

void blk_iov_to_buf(const struct iovec *iov, int cnt, void *buf)
{
	uint8_t *p = buf;

	for (int i = 0; i < cnt; i++) {
		if (iov[i].iov_len)
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
}

void blk_iov_from_buf(const struct iovec *iov, int cnt, const void *buf)
{
	const uint8_t *p = buf;

	for (int i = 0; i < cnt; i++) {
		if (iov[i].iov_len)
			memcpy(iov[i].iov_base, p, iov[i].iov_len);
		p += iov[i].iov_len;
	}
}

/* checksum.c: the Internet checksum (RFC 1071) and the IPv4 pseudo-header
 * sum that UDP checksums cover. */
#include <pv/netstack.h>

static uint32_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

uint32_t netstack_sum(const uint8_t *data, size_t len, uint32_t sum)
{
	uint64_t acc = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += netstack_get16(data + i);
	if (i < len)
		acc += (uint32_t)data[i] << 8;
	return fold(acc);
}

uint16_t netstack_checksum_finish(uint32_t sum)
{
	return (uint16_t)~fold(sum);
}

uint32_t netstack_pseudo_header_sum(const uint8_t src[4], const uint8_t dst[4], uint8_t protocol,
				    uint16_t len)
{
	uint32_t sum = netstack_sum(src, 4, 0);

	sum = netstack_sum(dst, 4, sum);
	return fold((uint64_t)sum + protocol + len);
}

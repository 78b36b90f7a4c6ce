/* net_hdr.c: the virtio-net header in guest memory (net_hdr.h). */
#include <stddef.h>
#include <string.h>

#include <pvisor/io/virtio_net.h>

#include "virtio/net_hdr.h"

void net_hdr_set_num_buffers(void *hdr, uint16_t n)
{
	memcpy((uint8_t *)hdr + offsetof(struct pvisor_virtio_net_hdr, num_buffers), &n, sizeof(n));
}

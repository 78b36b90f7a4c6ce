/* net_hdr.h: writing the virtio-net header (include/pvisor/io/virtio_net.h)
 * into guest memory, where a receive buffer may start at any byte: no
 * store assumes the header's alignment. */
#ifndef PVISOR_HV_VIRTIO_NET_HDR_H
#define PVISOR_HV_VIRTIO_NET_HDR_H

#include <stdint.h>

/* Sets num_buffers of the header at hdr (any alignment) to n. */
void net_hdr_set_num_buffers(void *hdr, uint16_t n);

#endif

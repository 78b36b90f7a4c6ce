/* virtio_net.h: the virtio-net device protocol (virtio 1.x, "Network
 * Device"), as pvisor's network backend speaks it. Queue 0 receives
 * (device-writable chains), queue 1 transmits (device-readable chains).
 *
 * Every packet on either queue starts with a struct pvisor_virtio_net_hdr
 * (12 bytes in virtio 1.x); the Ethernet frame follows, in the same
 * buffer or the next ones of the chain. pvisor offers no checksum or
 * segmentation offloads, so the driver sends flags = 0 and
 * gso_type = GSO_NONE, and the device does the same.
 *
 * Receive: with PVISOR_VIRTIO_NET_F_MRG_RXBUF a frame may span several
 * chains; the header in the first one says how many (num_buffers) and each
 * chain's used length counts its bytes. Without it each frame goes into
 * one chain, which should hold at least 12 + 1514 bytes (the MTU is
 * 1500), and num_buffers is 1. The first buffer of every receive chain
 * must hold the whole header. A frame longer than the receive buffers
 * offered (or than 32 chains with MRG_RXBUF) is dropped and counted. */
#ifndef PVISOR_VIRTIO_NET_H
#define PVISOR_VIRTIO_NET_H

#include <stdint.h>

/* Feature bits. */
#define PVISOR_VIRTIO_NET_F_MTU           3  /* mtu is valid                */
#define PVISOR_VIRTIO_NET_F_MAC           5  /* mac is valid                */
#define PVISOR_VIRTIO_NET_F_MRG_RXBUF    15  /* frames may span rx chains   */
#define PVISOR_VIRTIO_NET_F_STATUS       16  /* status is valid             */

#define PVISOR_VIRTIO_NET_S_LINK_UP       1

#define PVISOR_VIRTIO_NET_RX              0  /* queue numbers               */
#define PVISOR_VIRTIO_NET_TX              1

/* The largest Ethernet frame the backend passes (the TAP device's limit,
 * no FCS), and what a non-mergeable receive chain must hold. */
#define PVISOR_VIRTIO_NET_MAX_FRAME   65550u

struct pvisor_virtio_net_config {
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
	uint16_t mtu;
};

#define PVISOR_VIRTIO_NET_HDR_GSO_NONE    0

struct pvisor_virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;  /* rx: chains this frame spans (MRG_RXBUF)     */
};

_Static_assert(sizeof(struct pvisor_virtio_net_config) == 12, "virtio-net config layout");
_Static_assert(sizeof(struct pvisor_virtio_net_hdr) == 12, "virtio-net header layout");

#endif

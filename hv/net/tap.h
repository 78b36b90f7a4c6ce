/* tap.h: opening a Linux TAP device as the host end of a virtio-net
 * device. pvisor only attaches to the TAP; configuring host networking
 * (addresses, bridges, bringing the link up) is the administrator's job
 * (docs/network.md).
 *
 * Every read() from the descriptor returns one frame preceded by a 12-byte
 * struct pvisor_virtio_net_hdr, and every write() must be one such header
 * plus one frame. Offloads are off, so the kernel never sends GSO or
 * partially checksummed packets and gso_type is always GSO_NONE. Two
 * kernel details the backend must handle: on read the kernel fills only
 * the first 10 header bytes (num_buffers is left as it was in the buffer),
 * and flags may carry VIRTIO_NET_HDR_F_DATA_VALID (2), which a driver that
 * did not negotiate VIRTIO_NET_F_GUEST_CSUM must not see. */
#ifndef PVISOR_TAP_H
#define PVISOR_TAP_H

#include <stddef.h>

/* Opens /dev/net/tun and attaches to the TAP device ifname, creating it
 * (non-persistent: it disappears when the descriptor closes) if no
 * interface has that name. Sets IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, a
 * 12-byte virtio-net header, no offloads, O_NONBLOCK and O_CLOEXEC. The
 * link is left as it was (a new TAP is down). Returns the descriptor, or
 * -1 with a one-line reason in err (no trailing newline). */
int tap_open(const char *ifname, char *err, size_t errlen);

/* Closes a descriptor from tap_open; fd < 0 is ignored. */
void tap_close(int fd);

#endif

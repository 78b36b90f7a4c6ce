/* net_driver.h: the internal interface behind pv/net.h. net.c implements
 * the public functions by dispatching through a struct pv_net's ops to
 * one of two backends:
 *
 *   net_virtio.c          the virtio-net frontend (a device page lists NICs)
 *   pc/rtl8139.c          RTL8139 NICs of the emulated PC
 *
 * A backend embeds struct pv_net as the first member of its own handle,
 * fills in ops and implements each operation as pv/net.h documents it.
 * net.c checks the arguments common to all backends (NULL handles and
 * buffers) and builds the single-frame calls on the batch ones. */
#ifndef GUEST_DRIVERS_NET_DRIVER_H
#define GUEST_DRIVERS_NET_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <pv/net.h>

struct pv_net_ops {
	void (*close)(struct pv_net *net);

	void (*mac)(const struct pv_net *net, uint8_t mac[PV_NET_ALEN]);
	unsigned (*mtu)(const struct pv_net *net);
	bool (*link_up)(const struct pv_net *net);
	uint64_t (*features)(const struct pv_net *net);
	unsigned (*device_index)(const struct pv_net *net);

	int (*send_batch)(struct pv_net *net, const struct pv_net_frame *frames, unsigned n);
	int (*recv_batch)(struct pv_net *net, struct pv_net_frame *frames, unsigned n,
			  uint64_t timeout_ns);
	void (*stats)(const struct pv_net *net, struct pv_net_stats *out);
};

/* The public handle: each backend's own struct starts with it. */
struct pv_net {
	const struct pv_net_ops *ops;
};

/* Virtio-net NICs listed on the device page (0 without a page). */
unsigned net_virtio_count(void);
/* Opens the nth virtio-net NIC; -ENODEV when there is none. */
int net_virtio_open(struct pv_net **netp, unsigned nth, const struct pv_net_config *cfg);

/* Opens the nth RTL8139 found at the emulated PC's fixed I/O bases;
 * -ENODEV when there is none. */
int rtl8139_net_open(struct pv_net **netp, unsigned nth, const struct pv_net_config *cfg);

#endif

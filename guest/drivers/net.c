/* net.c: pv/net.h, dispatched to the backend that drives the NIC
 * (net_driver.h).
 *
 * pv_net_open() picks the backend by the hardware the machine has, never
 * by a mode: a device page that lists virtio-net NICs means the virtio
 * frontend (net_virtio.c) serves every NIC; without one, a machine with
 * an interrupt controller (pv_irq_available(): emulated hardware, full
 * virtualization) gets the RTL8139s found at their fixed I/O bases
 * (pc/rtl8139.c). A PV machine without NICs never touches an I/O
 * port. */
#include <errno.h>
#include <stddef.h>
#include <pv/irq.h>
#include <pv/net.h>
#include "net_driver.h"

int pv_net_open_with(struct pv_net **netp, unsigned nth, const struct pv_net_config *cfg)
{
	if (!netp)
		return -EINVAL;
	if (net_virtio_count() > 0)
		return net_virtio_open(netp, nth, cfg);
	if (pv_irq_available())
		return rtl8139_net_open(netp, nth, cfg);
	return -ENODEV;
}

int pv_net_open(struct pv_net **netp, unsigned nth)
{
	return pv_net_open_with(netp, nth, NULL);
}

void pv_net_close(struct pv_net *net)
{
	if (net)
		net->ops->close(net);
}

/* ---- The device -------------------------------------------------------------- */

void pv_net_mac(const struct pv_net *net, uint8_t mac[PV_NET_ALEN])
{
	net->ops->mac(net, mac);
}

unsigned pv_net_mtu(const struct pv_net *net)
{
	return net->ops->mtu(net);
}

bool pv_net_link_up(const struct pv_net *net)
{
	return net->ops->link_up(net);
}

uint64_t pv_net_features(const struct pv_net *net)
{
	return net->ops->features(net);
}

unsigned pv_net_device_index(const struct pv_net *net)
{
	return net->ops->device_index(net);
}

/* ---- Sending ------------------------------------------------------------------- */

int pv_net_send_batch(struct pv_net *net, const struct pv_net_frame *frames, unsigned n)
{
	if (!net || (!frames && n))
		return -EINVAL;
	return net->ops->send_batch(net, frames, n);
}

int pv_net_send(struct pv_net *net, const void *frame, size_t len)
{
	struct pv_net_frame f = { .data = (void *)frame, .len = len };
	int rc = pv_net_send_batch(net, &f, 1);

	return rc < 0 ? rc : 0;
}

/* ---- Receiving ----------------------------------------------------------------- */

int pv_net_recv_batch(struct pv_net *net, struct pv_net_frame *frames, unsigned n,
		      uint64_t timeout_ns)
{
	if (!net || !frames || n == 0)
		return -EINVAL;
	return net->ops->recv_batch(net, frames, n, timeout_ns);
}

int pv_net_recv(struct pv_net *net, void *buf, size_t cap, uint64_t timeout_ns)
{
	struct pv_net_frame f = { .data = buf, .cap = cap };
	int rc;

	if (!buf)
		return -EINVAL;
	rc = pv_net_recv_batch(net, &f, 1, timeout_ns);
	return rc < 0 ? rc : (int)f.len;
}

int pv_net_poll(struct pv_net *net, void *buf, size_t cap)
{
	return pv_net_recv(net, buf, cap, PV_NET_NOWAIT);
}

/* ---- Counters --------------------------------------------------------------------- */

void pv_net_stats(const struct pv_net *net, struct pv_net_stats *out)
{
	net->ops->stats(net, out);
}

/* rtl8139_tx.c: the RTL8139's four transmit descriptors.
 *
 * Each descriptor n has a fixed 2 KiB buffer whose address is written to
 * TSADn once, after each reset. Sending copies the frame into the next
 * descriptor's buffer (round robin, the order the NIC expects), pads it
 * with zeros to the 60-byte minimum (the chip does not pad), and writes
 * the length to TSDn with OWN = 0: one register write per frame. A
 * descriptor is free again once the NIC reports it done (TOK, or TUN /
 * TABT for a lost frame). The driver looks only when all four are in
 * flight, reading the summary register TSAD (the status of all four) in
 * one access; if none is done yet it unmasks TOK and sleeps until the
 * interrupt. TOK stays masked otherwise: a completion nobody waits for
 * would cost an interrupt and two register accesses per frame. */
#include <errno.h>
#include <string.h>
#include <pv/io.h>
#include <pv/mm.h>
#include "rtl8139.h"

#define RTL_TX_PAGES	(PV_PAGE_ALIGN(RTL_TX_DESCS * RTL_TX_SLOT) / PV_PAGE_SIZE)
#define RTL_TX_EARLY	256u		/* bytes in the FIFO before sending starts */

_Static_assert(PV_NET_HLEN + RTL_MTU <= RTL_TSD_SIZE_MAX, "a frame fits a descriptor");

int rtl_tx_alloc(struct rtl8139 *nic)
{
	nic->tx.bufs = pv_pages_alloc(RTL_TX_PAGES);
	return nic->tx.bufs ? 0 : -ENOMEM;
}

void rtl_tx_free(struct rtl8139 *nic)
{
	if (nic->tx.bufs)
		pv_pages_free(nic->tx.bufs, RTL_TX_PAGES);
	nic->tx.bufs = NULL;
}

/* After a chip reset (the NIC expects descriptor 0 next). */
void rtl_tx_start(struct rtl8139 *nic)
{
	nic->tx.cur = nic->tx.dirty = 0;
	for (unsigned i = 0; i < RTL_TX_DESCS; i++)
		outl(nic->io + RTL_TSAD0 + 4 * i, rtl_phys(nic->tx.bufs + i * RTL_TX_SLOT));
}

static unsigned in_flight(const struct rtl8139 *nic)
{
	return nic->tx.cur - nic->tx.dirty;
}

/* Frees the descriptors the NIC is done with, oldest first. */
static void tx_reclaim(struct rtl8139 *nic)
{
	uint16_t all = inw(nic->io + RTL_TSAD);

	while (in_flight(nic)) {
		unsigned d = nic->tx.dirty % RTL_TX_DESCS;

		if (!(all & (RTL_TSAD_TOK(d) | RTL_TSAD_TUN(d) | RTL_TSAD_TABT(d))))
			break;
		nic->tx.dirty++;
	}
}

/* Waits until a descriptor is free. TOK interrupts are wanted only now:
 * unmasking a TOK that is already pending raises it at once, so the
 * check after unmasking cannot miss a completion. */
static void tx_wait_slot(struct rtl8139 *nic)
{
	tx_reclaim(nic);
	if (in_flight(nic) < RTL_TX_DESCS)
		return;
	nic->tx.waiting = true;
	outw(nic->io + RTL_IMR, RTL_IMR_BASE | RTL_INT_TOK);
	tx_reclaim(nic);
	while (in_flight(nic) == RTL_TX_DESCS) {
		nic->stats.tx_waits++;
		rtl_wait(nic, &nic->tx.wake, 0);
		tx_reclaim(nic);
	}
	outw(nic->io + RTL_IMR, RTL_IMR_BASE);
	nic->tx.waiting = false;
}

/* Copies one frame into the next descriptor and hands it to the NIC. */
static int tx_send(struct rtl8139 *nic, const void *frame, size_t len)
{
	unsigned d;
	uint8_t *slot;
	size_t wire;

	if (!frame || len < PV_NET_MIN_FRAME || len > PV_NET_HLEN + RTL_MTU)
		return -EINVAL;
	if (in_flight(nic) == RTL_TX_DESCS)
		tx_wait_slot(nic);
	d = nic->tx.cur % RTL_TX_DESCS;
	slot = nic->tx.bufs + d * RTL_TX_SLOT;
	memcpy(slot, frame, len);
	wire = len;
	if (wire < RTL_ETH_ZLEN) {
		memset(slot + wire, 0, RTL_ETH_ZLEN - wire);
		wire = RTL_ETH_ZLEN;
	}
	outl(nic->io + RTL_TSD0 + 4 * d, (uint32_t)wire | RTL_TSD_ERTXTH(RTL_TX_EARLY));
	nic->tx.cur++;
	nic->stats.tx_kicks++;
	nic->stats.tx_packets++;
	nic->stats.tx_bytes += len;
	return 0;
}

int rtl_tx_batch(struct pv_net *base, const struct pv_net_frame *frames, unsigned n)
{
	struct rtl8139 *nic = (struct rtl8139 *)base;
	unsigned sent = 0;
	int rc = 0;

	pv_mutex_lock(&nic->tx.lock);
	while (sent < n && (rc = tx_send(nic, frames[sent].data, frames[sent].len)) == 0)
		sent++;
	pv_mutex_unlock(&nic->tx.lock);
	return sent ? (int)sent : rc;
}

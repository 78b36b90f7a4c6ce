/* rtl8139_rx.c: the RTL8139's receive ring.
 *
 * The NIC writes each accepted frame at CBR as a record: a 16-bit status
 * (ROK), a 16-bit length (the frame plus its 4-byte CRC), the frame and
 * the CRC; the next record starts at the following 4-byte boundary,
 * modulo the ring. The ring is the chip's largest, 64 KiB: a CPL0 guest
 * on a nested host drains it slowly, and the 8 KiB ring (WRAP, so records
 * stay contiguous) overflowed under a 64-datagram window, each overflow
 * losing a frame. WRAP does not apply to the 64 KiB ring, so a record may
 * run over the end and continue at the start: it is copied out in two
 * parts then (the header, 4-byte aligned, never splits). The driver reads
 * records from its own offset up to CBR, copies each frame out to the
 * caller, and tells the NIC how far it has read by writing CAPR = offset
 * - 16 (the datasheet's bias) once per call.
 *
 * CBR is read only when the records known so far are used up, so a
 * receiver that takes a batch pays one CBR read and one CAPR write.
 * A record whose header makes no sense (not ROK, impossible length: the
 * driver lost its place) resets the ring state: the driver's offset jumps
 * to CBR, dropping what was in between. RXOVW (the ring was full and the
 * NIC dropped a frame) leaves the ring consistent: the records in it are
 * still read; the interrupt only counts (rx_empty). */
#include <errno.h>
#include <string.h>
#include <pv/io.h>
#include <pv/mm.h>
#include <pv/time.h>
#include "rtl8139.h"

#define RTL_RX_PAGES	(PV_PAGE_ALIGN(RTL_RING_BYTES) / PV_PAGE_SIZE)
#define RTL_FRAME_MAX	1518u		/* a VLAN-tagged frame without CRC */

int rtl_rx_alloc(struct rtl8139 *nic)
{
	nic->rx.ring = pv_pages_alloc(RTL_RX_PAGES);
	return nic->rx.ring ? 0 : -ENOMEM;
}

void rtl_rx_free(struct rtl8139 *nic)
{
	if (nic->rx.ring)
		pv_pages_free(nic->rx.ring, RTL_RX_PAGES);
	nic->rx.ring = NULL;
}

/* After a chip reset (CAPR = FFF0h, CBR = 0): the ring, read from 0. */
void rtl_rx_start(struct rtl8139 *nic)
{
	nic->rx.read = nic->rx.end = 0;
	outl(nic->io + RTL_RBSTART, rtl_phys(nic->rx.ring));
	outw(nic->io + RTL_CAPR, (uint16_t)(nic->rx.read - RTL_CAPR_BIAS));
}

/* Tells the NIC the records before rx.read are free. */
static void publish_read(struct rtl8139 *nic)
{
	outw(nic->io + RTL_CAPR, (uint16_t)(nic->rx.read - RTL_CAPR_BIAS));
	nic->stats.rx_kicks++;
}

/* Lost our place in the ring: start again where the NIC writes next. */
static void ring_resync(struct rtl8139 *nic)
{
	nic->stats.rx_malformed++;
	nic->rx.read = nic->rx.end = inw(nic->io + RTL_CBR) % RTL_RING_LEN;
	publish_read(nic);
}

/* The frame of the record at rx.read, which may wrap at the ring's end. */
static void copy_frame(const struct rtl8139 *nic, uint8_t *out, size_t len)
{
	size_t start = (nic->rx.read + 4u) % RTL_RING_LEN;
	size_t first = RTL_RING_LEN - start < len ? RTL_RING_LEN - start : len;

	memcpy(out, nic->rx.ring + start, first);
	if (first < len)
		memcpy(out + first, nic->rx.ring, len - first);
}

static bool record_ok(uint16_t status, uint16_t len)
{
	return (status & RTL_RX_ROK) && len != RTL_RX_EARLY_LEN &&
	       len >= PV_NET_HLEN + RTL_FCS && len <= RTL_FRAME_MAX + RTL_FCS;
}

/* Copies the record at rx.read into f (or counts it oversize) and steps
 * past it. False if the record is malformed (the ring was resynced). */
static bool take_record(struct rtl8139 *nic, struct pv_net_frame *f, bool *filled)
{
	const uint8_t *rec = nic->rx.ring + nic->rx.read;
	uint16_t status = (uint16_t)(rec[0] | rec[1] << 8);
	uint16_t len = (uint16_t)(rec[2] | rec[3] << 8);
	size_t frame_len = (size_t)len - RTL_FCS;

	*filled = false;
	if (!record_ok(status, len)) {
		ring_resync(nic);
		return false;
	}
	nic->stats.rx_buffers++;
	if (frame_len > f->cap) {
		nic->stats.rx_oversize++;
	} else {
		copy_frame(nic, f->data, frame_len);
		f->len = frame_len;
		*filled = true;
		nic->stats.rx_packets++;
		nic->stats.rx_bytes += frame_len;
	}
	nic->rx.read = (uint16_t)(((nic->rx.read + len + 4u + 3u) & ~3u) % RTL_RING_LEN);
	return true;
}

/* Fills frames[0 .. n) with what the ring holds; the count. */
static unsigned ring_take(struct rtl8139 *nic, struct pv_net_frame *frames, unsigned n)
{
	unsigned got = 0;
	bool moved = false;

	if (nic->rx.read == nic->rx.end)
		nic->rx.end = inw(nic->io + RTL_CBR) % RTL_RING_LEN;
	while (got < n && nic->rx.read != nic->rx.end) {
		bool filled;

		if (!take_record(nic, &frames[got], &filled))
			return got;	/* resynced: CAPR written */
		got += filled;
		moved = true;
	}
	if (moved)
		publish_read(nic);
	return got;
}

static uint64_t deadline_of(uint64_t timeout_ns)
{
	uint64_t now = pv_clock_ns();

	if (timeout_ns == PV_NET_FOREVER || timeout_ns > UINT64_MAX - now)
		return 0;
	return now + timeout_ns;
}

int rtl_rx_batch(struct pv_net *base, struct pv_net_frame *frames, unsigned n,
		 uint64_t timeout_ns)
{
	struct rtl8139 *nic = (struct rtl8139 *)base;
	uint64_t deadline = deadline_of(timeout_ns);
	unsigned got;
	int rc = 0;

	pv_mutex_lock(&nic->rx.lock);
	/* From before the first look: an interrupt after it must wake us. */
	nic->rx.waiting = timeout_ns != PV_NET_NOWAIT;
	while ((got = ring_take(nic, frames, n)) == 0) {
		if (timeout_ns == PV_NET_NOWAIT) {
			rc = -EAGAIN;
			break;
		}
		nic->stats.rx_waits++;
		rc = rtl_wait(nic, &nic->rx.wake, deadline);
		if (rc < 0) {
			got = ring_take(nic, frames, n);	/* a last look */
			break;
		}
	}
	nic->rx.waiting = false;
	pv_mutex_unlock(&nic->rx.lock);
	return got ? (int)got : rc;
}

/* rtl8139.c: the RTL8139C model (rtl8139.h).
 *
 * Registers live in a 256-byte little-endian file; accesses of any size
 * at any offset are split into the registers they touch, and each
 * register is read or written whole (a partial write merges into it).
 * Computed on read: CR.BUFE, CBR, TSAD, TCTR, 9346CR.EEDO (0), the
 * read-only TCR version bits. Read-only registers (CBR, TSAD, CONFIG0,
 * BMSR, ANLPAR, ANER, RERID) ignore writes; CONFIG1/3/4/5 take writes
 * only while 9346CR is in config-write mode (EEM = 11); 9346CR EEM = 01
 * (auto-load) reloads IDR0-5 with the configured MAC. The PHY reports
 * link up, 100 Mb/s full duplex, auto-negotiation complete.
 *
 * Transmit. A write to TSDn that sets its OWN byte with OWN = 0 hands
 * descriptor n to the NIC: with CR.TE set it is sent at once, otherwise
 * when TE is next set (pending descriptors then go in round-robin order
 * from the next expected one). The frame (SIZE bytes at TSADn) is
 * written to the TAP in one write, after an all-zero 12-byte virtio-net
 * header when the TAP has one (exactly as hv/virtio/net.c does), and
 * TSDn gets OWN | TOK and ISR.TOK. A size of 0 or above 1792, or a buffer
 * not wholly inside guest RAM, is refused: nothing is written, TSDn gets
 * OWN | TABT, ISR.TER. A TAP write failure loses the frame as a wire
 * would (counted, still TOK). TCR.CLRABT (no retransmission), loopback
 * and early-TX thresholds are ignored; no padding is added to short
 * frames (the chip has none either).
 *
 * Receive. Each frame read from the TAP (its virtio-net header skipped)
 * is checked against RCR: broadcast needs AB; multicast needs AM and its
 * bit in MAR0-7 (the top 6 bits of the big-endian CRC-32 of the address,
 * as Linux and the chip compute it); unicast needs APM and our IDR
 * address; AAP accepts everything. Frames shorter than 60 bytes are
 * padded with zeros to 60 (as the sender would have on a wire); runts
 * under 14 bytes and frames over 1518 are dropped. The ring record is a
 * 16-bit status (ROK, plus BAR, PAM or MAR), a 16-bit length (frame plus
 * 4), the frame and a real CRC-32 FCS, little-endian; CBR then advances to
 * the next 4-byte boundary modulo the ring length (8K << RBLEN). With
 * WRAP = 1 a record that reaches the end of the ring continues past it
 * (into the guest's 1.5 KiB slack); with WRAP = 0, and always for the 64K
 * ring (where the datasheet says WRAP is not valid), it continues at
 * RBSTART. Every byte goes through emul_dma_ptr: a ring outside guest RAM
 * drops the frame (counted) and leaves CBR alone.
 *
 * Ring full. The space the guest has not read runs from CAPR + 16 (mod
 * ring) to CBR; a record needs strictly less than the free rest (CBR may
 * never catch up with the read pointer: equal means empty, CR.BUFE). If
 * it does not fit, the frame is dropped, MPC counts it, ISR.RXOVW is set,
 * and the NIC stops reading the TAP (the loop watch is paused, and
 * rtl8139_rx_ready returns at once) until the guest writes CAPR, CR or
 * RCR. Frames that arrive meanwhile wait in the host's TAP queue. With
 * CR.RE clear, frames are read and dropped (the wire does not wait).
 *
 * Interrupts. On real hardware INTA is a level: ISR & IMR != 0. The line
 * here is an ISA edge, so the model sends one pulse each time a bit of
 * ISR & IMR becomes set that was not set before: an event sets a new ISR
 * bit, or the guest unmasks a bit that is pending. A bit that stays set
 * does not pulse again; once the guest clears it (writing 1 to ISR), the
 * next event of that kind pulses again. A guest that reads ISR, handles
 * and acknowledges what it saw loses nothing: an event arriving in
 * between either sets a bit it did not see (a new pulse) or one it is
 * about to handle anyway. One register access or rx_ready call sends at
 * most one pulse.
 *
 * Software reset (CR.RST, done at once, RST reads 0): TE and RE off, the
 * receive ring empty (CAPR = FFF0h, CBR = 0), the next transmit
 * descriptor TSD0, TSD0-3 = OWN, ISR = IMR = 0, MPC = 0, receiving
 * resumed. IDR, MAR, TSAD, RBSTART, TCR, RCR, the CONFIG registers and
 * the PHY keep their values. Not modelled: TimerInt (TCTR counts at
 * 33 MHz from cfg->clock but never interrupts), the EEPROM, early receive
 * and transmit, power management and wake-up frames, C+ mode. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <pvisor/io/virtio_net.h>

#include "hw/rtl8139.h"

#define VNET_HDR       sizeof(struct pvisor_virtio_net_hdr)
#define ETH_MIN        60u      /* without FCS */
#define ETH_HDR        14u
#define FCS            4u
#define RX_REC_MAX     (4u + RTL8139_RX_MAX_FRAME + FCS)
#define CAPR_RESET     0xfff0u

/* Writable bits. */
#define TCR_WRITABLE   0x030707f0u    /* IFG, LBK, CRC, MXDMA, TXRR */
#define RCR_WRITABLE   0x0f03ffbfu    /* ERTH, MulERINT, RER8, RXFTH, RBLEN, MXDMA, WRAP, accept bits */

struct rtl8139 {
	pthread_mutex_t lock;
	struct rtl8139_config cfg;
	struct emul_watch *watch;
	uint8_t regs[RTL8139_REGION_LEN];
	uint16_t cbr;                 /* ring offset the next record goes to */
	uint64_t tctr_base;
	uint16_t irq_visible;         /* ISR & IMR when last evaluated */
	bool rx_paused;               /* ring full: not reading the TAP */
	unsigned tx_next;             /* descriptor the chip expects next */
	unsigned tx_pending;          /* descriptors handed over while TE is off */
	bool pulse;
	struct rtl8139_stats stats;
	uint8_t frame[VNET_HDR + RTL8139_RX_MAX_FRAME + 1];
	uint8_t rec[RX_REC_MAX];
};

/* ---- Register file ----------------------------------------------------------- */

static uint32_t get(const struct rtl8139 *n, unsigned off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)n->regs[off + i] << (8 * i);
	return v;
}

static void put(struct rtl8139 *n, unsigned off, unsigned len, uint32_t v)
{
	for (unsigned i = 0; i < len; i++)
		n->regs[off + i] = (uint8_t)(v >> (8 * i));
}

/* The register that contains byte off: its first byte and its length. */
static unsigned reg_len(unsigned off, unsigned *start)
{
	static const struct {
		uint8_t off, len;
	} wide[] = {
		{ RTL_RBSTART, 4 }, { 0x34, 2 } /* ERBCR */, { RTL_CAPR, 2 }, { RTL_CBR, 2 },
		{ RTL_IMR, 2 }, { RTL_ISR, 2 }, { RTL_TCR, 4 }, { RTL_RCR, 4 }, { RTL_TCTR, 4 },
		{ RTL_MPC, 4 }, { 0x54, 4 } /* TimerInt */, { 0x5c, 2 } /* MULINT */,
		{ RTL_TSAD, 2 }, { RTL_BMCR, 2 }, { RTL_BMSR, 2 }, { RTL_ANAR, 2 },
		{ RTL_ANLPAR, 2 }, { RTL_ANER, 2 }, { 0x6c, 2 }, { 0x6e, 2 }, { 0x70, 2 },
		{ 0x72, 2 }, { RTL_CSCR, 2 }, { 0x78, 4 }, { 0x7c, 4 },
	};

	if (off >= RTL_TSD0 && off < RTL_RBSTART) {       /* TSD0-3, TSAD0-3 */
		*start = off & ~3u;
		return 4;
	}
	for (unsigned i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
		if (off >= wide[i].off && off < wide[i].off + wide[i].len) {
			*start = wide[i].off;
			return wide[i].len;
		}
	}
	*start = off;
	return 1;
}

static uint32_t ring_len(const struct rtl8139 *n)
{
	uint32_t rcr = get(n, RTL_RCR, 4);

	return 8192u << ((rcr & RTL_RCR_RBLEN_MASK) >> RTL_RCR_RBLEN_SHIFT);
}

/* The ring offset the guest reads next: CAPR + 16. */
static uint32_t ring_read_ptr(const struct rtl8139 *n)
{
	return ((get(n, RTL_CAPR, 2) + 16u) & 0xffffu) % ring_len(n);
}

static bool ring_empty(const struct rtl8139 *n)
{
	return ring_read_ptr(n) == n->cbr % ring_len(n);
}

/* ---- Interrupts and flow control ---------------------------------------------- */

/* Pulses for every bit of ISR & IMR that was not set before (see top). */
static void update_irq(struct rtl8139 *n)
{
	uint16_t visible = (uint16_t)(get(n, RTL_ISR, 2) & get(n, RTL_IMR, 2));

	if (visible & ~n->irq_visible)
		n->pulse = true;
	n->irq_visible = visible;
}

static void raise_isr(struct rtl8139 *n, uint16_t bits)
{
	put(n, RTL_ISR, 2, get(n, RTL_ISR, 2) | bits);
	update_irq(n);
}

static void lock(struct rtl8139 *n)
{
	pthread_mutex_lock(&n->lock);
}

static void unlock(struct rtl8139 *n)
{
	bool pulse = n->pulse;

	n->pulse = false;
	if (pulse)
		n->stats.interrupts++;
	pthread_mutex_unlock(&n->lock);
	if (pulse)
		emul_irq_pulse(n->cfg.irq, n->cfg.irq_nr);
}

/* The loop never holds its own lock while it calls a watch, so pausing
 * under ours keeps the watch and rx_paused in step without deadlock. */
static void rx_pause(struct rtl8139 *n, bool paused)
{
	if (n->rx_paused == paused)
		return;
	n->rx_paused = paused;
	if (n->watch)
		emul_loop_pause(n->watch, paused);
}

/* ---- Transmit ------------------------------------------------------------------ */

static void transmit(struct rtl8139 *n, unsigned idx)
{
	static const struct pvisor_virtio_net_hdr zero_hdr;
	uint32_t tsd = get(n, RTL_TSD0 + 4 * idx, 4);
	uint32_t size = tsd & RTL_TSD_SIZE, addr = get(n, RTL_TSAD0 + 4 * idx, 4);
	const void *frame = size ? emul_dma_ptr(n->cfg.dma, addr, size) : NULL;
	struct iovec iov[2];
	int cnt = 0;
	size_t want = size;

	n->tx_pending &= ~(1u << idx);
	n->tx_next = (idx + 1) % 4;
	tsd &= RTL_TSD_SIZE | RTL_TSD_ERTXTH;
	if (!size || size > RTL8139_TX_MAX || !frame) {
		n->stats.tx_errors++;
		if (size && size <= RTL8139_TX_MAX)
			n->stats.tx_bad_dma++;
		put(n, RTL_TSD0 + 4 * idx, 4, tsd | RTL_TSD_OWN | RTL_TSD_TABT);
		raise_isr(n, RTL_INT_TER);
		return;
	}
	if (n->cfg.tap_vnet_hdr) {
		iov[cnt++] = (struct iovec){ (void *)&zero_hdr, VNET_HDR };
		want += VNET_HDR;
	}
	iov[cnt++] = (struct iovec){ (void *)frame, size };
	if (writev(n->cfg.tap_fd, iov, cnt) == (ssize_t)want) {
		n->stats.tx_frames++;
		n->stats.tx_bytes += size;
	} else {
		n->stats.tx_dropped++;
	}
	put(n, RTL_TSD0 + 4 * idx, 4, tsd | RTL_TSD_OWN | RTL_TSD_TOK);
	raise_isr(n, RTL_INT_TOK);
}

/* TE was just set: descriptors handed over meanwhile go in order. */
static void transmit_pending(struct rtl8139 *n)
{
	for (unsigned i = 0, idx = n->tx_next; i < 4; i++, idx = (idx + 1) % 4)
		if (n->tx_pending & (1u << idx))
			transmit(n, idx);
}

static void write_tsd(struct rtl8139 *n, unsigned idx, uint32_t value, uint32_t mask)
{
	uint32_t tsd = (get(n, RTL_TSD0 + 4 * idx, 4) & ~mask) | (value & mask);

	tsd &= RTL_TSD_SIZE | RTL_TSD_ERTXTH | RTL_TSD_OWN;  /* status bits clear */
	put(n, RTL_TSD0 + 4 * idx, 4, tsd);
	if (!(mask & RTL_TSD_OWN))
		return;
	if (tsd & RTL_TSD_OWN) {
		n->tx_pending &= ~(1u << idx);
		return;
	}
	n->tx_pending |= 1u << idx;
	if (n->regs[RTL_CR] & RTL_CR_TE)
		transmit(n, idx);
}

/* ---- Receive ------------------------------------------------------------------- */

/* CRC-32 of IEEE 802.3 (reflected 0xedb88320), four bits at a time. */
static uint32_t crc32_fcs(const uint8_t *p, size_t len)
{
	static const uint32_t nib[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
		0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ nib[crc & 15];
		crc = (crc >> 4) ^ nib[crc & 15];
	}
	return ~crc;
}

/* The multicast hash bit of an address: the top 6 bits of its CRC-32
 * computed most significant bit first (Linux's ether_crc). */
static unsigned mcast_bit(const uint8_t *addr)
{
	uint32_t crc = 0xffffffffu;

	for (unsigned i = 0; i < 6; i++) {
		uint8_t b = addr[i];

		for (unsigned bit = 0; bit < 8; bit++, b >>= 1) {
			uint32_t msb = crc >> 31;

			crc <<= 1;
			if (msb ^ (b & 1u))
				crc ^= 0x04c11db7u;
		}
	}
	return crc >> 26;
}

/* The header status for a frame to dst, or 0 if RCR rejects it. */
static uint16_t rx_filter(const struct rtl8139 *n, const uint8_t *dst)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t rcr = get(n, RTL_RCR, 4);
	bool all = rcr & RTL_RCR_AAP;

	if (!memcmp(dst, bcast, 6))
		return all || (rcr & RTL_RCR_AB) ? RTL_RX_ROK | RTL_RX_BAR : 0;
	if (dst[0] & 1) {
		unsigned bit = mcast_bit(dst);
		bool hit = n->regs[RTL_MAR0 + bit / 8] & (1u << (bit % 8));

		return all || ((rcr & RTL_RCR_AM) && hit) ? RTL_RX_ROK | RTL_RX_MAR : 0;
	}
	if (!memcmp(dst, &n->regs[RTL_IDR0], 6))
		return all || (rcr & RTL_RCR_APM) ? RTL_RX_ROK | RTL_RX_PAM : 0;
	return all ? RTL_RX_ROK : 0;
}

/* Copies len bytes to ring offset off: contiguous (may run past the end
 * into the slack) or wrapping at the ring's end. false: outside RAM. */
static bool ring_write(struct rtl8139 *n, uint32_t off, const uint8_t *src, uint32_t len,
		       bool wrap)
{
	uint64_t base = get(n, RTL_RBSTART, 4);
	uint32_t ring = ring_len(n);
	uint32_t first = wrap && len > ring - off ? ring - off : len;
	uint8_t *a = emul_dma_ptr(n->cfg.dma, base + off, first);
	uint8_t *b = first < len ? emul_dma_ptr(n->cfg.dma, base, len - first) : NULL;

	if (!a || (first < len && !b))
		return false;
	memcpy(a, src, first);
	if (first < len)
		memcpy(b, src + first, len - first);
	return true;
}

/* One frame from the TAP (p has room for padding to 60 bytes). */
static void rx_frame(struct rtl8139 *n, uint8_t *p, size_t len)
{
	uint32_t ring = ring_len(n), rcr = get(n, RTL_RCR, 4);
	uint32_t w = n->cbr % ring, r = ring_read_ptr(n);
	uint32_t used = (w - r) & (ring - 1), rec, adv, crc;
	bool wrap = !(rcr & RTL_RCR_WRAP) || ring == 65536;
	uint16_t status;

	if (!(n->regs[RTL_CR] & RTL_CR_RE) || len < ETH_HDR || len > RTL8139_RX_MAX_FRAME) {
		n->stats.rx_dropped++;
		return;
	}
	status = rx_filter(n, p);
	if (!status) {
		n->stats.rx_filtered++;
		return;
	}
	if (len < ETH_MIN) {
		memset(p + len, 0, ETH_MIN - len);
		len = ETH_MIN;
	}
	rec = 4 + (uint32_t)len + FCS;
	adv = (rec + 3) & ~3u;
	if (adv >= ring - used) {
		put(n, RTL_MPC, 4, (get(n, RTL_MPC, 4) + 1) & 0x00ffffffu);  /* 24 bits */
		n->stats.rx_overflows++;
		rx_pause(n, true);
		raise_isr(n, RTL_INT_RXOVW);
		return;
	}
	crc = crc32_fcs(p, len);
	n->rec[0] = (uint8_t)status;
	n->rec[1] = (uint8_t)(status >> 8);
	n->rec[2] = (uint8_t)(len + FCS);
	n->rec[3] = (uint8_t)((len + FCS) >> 8);
	memcpy(n->rec + 4, p, len);
	for (unsigned i = 0; i < 4; i++)
		n->rec[4 + len + i] = (uint8_t)(crc >> (8 * i));
	if (!ring_write(n, w, n->rec, rec, wrap)) {
		n->stats.rx_bad_dma++;
		return;
	}
	n->cbr = (uint16_t)((w + adv) % ring);
	n->stats.rx_frames++;
	n->stats.rx_bytes += len;
	raise_isr(n, RTL_INT_ROK);
}

void rtl8139_rx_ready(struct rtl8139 *n)
{
	size_t hdr = n->cfg.tap_vnet_hdr ? VNET_HDR : 0;

	lock(n);
	for (unsigned i = 0; i < RTL8139_RX_BATCH && !n->rx_paused; i++) {
		/* One byte more than the longest frame: a full read was too long. */
		ssize_t len = read(n->cfg.tap_fd, n->frame, sizeof(n->frame));

		if (len <= 0) {
			if (len < 0 && errno != EAGAIN && errno != EINTR)
				n->stats.rx_dropped++;
			break;
		}
		if ((size_t)len < hdr) {
			n->stats.rx_dropped++;
			continue;
		}
		rx_frame(n, n->frame + hdr, (size_t)len - hdr);
	}
	unlock(n);
}

static void rx_watch_ready(void *dev)
{
	rtl8139_rx_ready(dev);
}

/* ---- Reset ------------------------------------------------------------------------ */

static void phy_reset(struct rtl8139 *n)
{
	put(n, RTL_BMCR, 2, 0x3100);      /* 100 Mb/s, auto-negotiation, full duplex */
	put(n, RTL_BMSR, 2, 0x782d);      /* abilities, AN complete, link up */
	put(n, RTL_ANAR, 2, 0x01e1);
	put(n, RTL_ANLPAR, 2, 0x41e1);    /* partner: same abilities, acknowledged */
	put(n, RTL_ANER, 2, 0x0001);
	put(n, RTL_CSCR, 2, 0x0500);      /* link OK (bit 10), 100 Mb/s (bit 8) */
}

/* CR.RST (see the top comment for what is kept). */
static void soft_reset(struct rtl8139 *n)
{
	n->regs[RTL_CR] = 0;
	put(n, RTL_CAPR, 2, CAPR_RESET);
	n->cbr = 0;
	n->tx_next = 0;
	n->tx_pending = 0;
	for (unsigned i = 0; i < 4; i++)
		put(n, RTL_TSD0 + 4 * i, 4, RTL_TSD_OWN);
	put(n, RTL_ISR, 2, 0);
	put(n, RTL_IMR, 2, 0);
	put(n, RTL_MPC, 4, 0);
	update_irq(n);
	rx_pause(n, false);
}

static void power_on(struct rtl8139 *n)
{
	memset(n->regs, 0, sizeof(n->regs));
	memcpy(&n->regs[RTL_IDR0], n->cfg.mac, 6);
	put(n, RTL_TCR, 4, RTL_TCR_HWVERID);
	n->regs[RTL_CONFIG1] = 0x04;      /* registers mapped in I/O space */
	n->regs[RTL_CONFIG3] = 0x01;      /* fast back-to-back */
	phy_reset(n);
	n->irq_visible = 0;
	soft_reset(n);
}

/* ---- Register access -------------------------------------------------------------- */

static uint64_t tctr_now(const struct rtl8139 *n)
{
	return n->cfg.clock ? n->cfg.clock() : 0;
}

/* The value of the register at start (len bytes) as the guest reads it. */
static uint32_t reg_read(struct rtl8139 *n, unsigned start, unsigned len)
{
	uint32_t v;

	switch (start) {
	case RTL_CR:
		return (n->regs[RTL_CR] & (RTL_CR_TE | RTL_CR_RE)) | (ring_empty(n) ? RTL_CR_BUFE : 0);
	case RTL_CBR:
		return n->cbr;
	case RTL_TCR:
		return (get(n, RTL_TCR, 4) & TCR_WRITABLE) | RTL_TCR_HWVERID;
	case RTL_TCTR:
		return n->cfg.clock ? (uint32_t)((tctr_now(n) - n->tctr_base) * 33 / 1000) : 0;
	case RTL_9346CR:
		return n->regs[RTL_9346CR] & 0xfe;       /* EEDO: no EEPROM */
	case RTL_TSAD:
		v = 0;
		for (unsigned i = 0; i < 4; i++) {
			uint32_t tsd = get(n, RTL_TSD0 + 4 * i, 4);

			v |= ((tsd & RTL_TSD_TOK ? 1u << 12 : 0) | (tsd & RTL_TSD_TUN ? 1u << 8 : 0) |
			      (tsd & RTL_TSD_TABT ? 1u << 4 : 0) | (tsd & RTL_TSD_OWN ? 1u : 0)) << i;
		}
		return v;
	}
	return get(n, start, len);
}

static bool config_unlocked(const struct rtl8139 *n)
{
	return (n->regs[RTL_9346CR] & 0xc0) == 0xc0;
}

/* A write of the bytes in mask (value already in place) to the register
 * at start, len bytes. */
static void reg_write(struct rtl8139 *n, unsigned start, unsigned len, uint32_t value,
		      uint32_t mask)
{
	uint32_t merged = (get(n, start, len) & ~mask) | (value & mask);

	if (start >= RTL_TSD0 && start < RTL_TSAD0) {
		write_tsd(n, (start - RTL_TSD0) / 4, value, mask);
		return;
	}
	switch (start) {
	case 0x06:                           /* reserved */
	case 0x07:
	case 0x36:                           /* ERSR */
	case RTL_CBR:
	case RTL_CONFIG0:
	case 0x5e:                           /* RERID */
	case RTL_TSAD:
	case RTL_BMSR:
	case RTL_ANLPAR:
	case RTL_ANER:
		return;                      /* read-only */
	case RTL_CR:
		if (value & RTL_CR_RST) {
			soft_reset(n);
			return;
		}
		{
			uint8_t old = n->regs[RTL_CR];

			n->regs[RTL_CR] = (uint8_t)(value & (RTL_CR_TE | RTL_CR_RE));
			if ((value & RTL_CR_TE) && !(old & RTL_CR_TE))
				transmit_pending(n);
		}
		rx_pause(n, false);
		return;
	case RTL_CAPR:
		put(n, RTL_CAPR, 2, merged);
		rx_pause(n, false);
		return;
	case RTL_IMR:
		put(n, RTL_IMR, 2, merged & RTL_INT_MASK);
		update_irq(n);
		return;
	case RTL_ISR:
		put(n, RTL_ISR, 2, get(n, RTL_ISR, 2) & ~(value & mask));
		update_irq(n);
		return;
	case RTL_TCR:
		put(n, RTL_TCR, 4, (merged & TCR_WRITABLE) | RTL_TCR_HWVERID);
		return;
	case RTL_RCR:
		put(n, RTL_RCR, 4, merged & RCR_WRITABLE);
		rx_pause(n, false);
		return;
	case RTL_TCTR:
		n->tctr_base = tctr_now(n);
		return;
	case RTL_MPC:
		put(n, RTL_MPC, 4, 0);
		return;
	case RTL_9346CR:
		if ((value & 0xc0) == 0x40) {    /* auto-load: IDR from the "EEPROM" */
			memcpy(&n->regs[RTL_IDR0], n->cfg.mac, 6);
			n->regs[RTL_9346CR] = 0;
		} else {
			n->regs[RTL_9346CR] = (uint8_t)(value & 0xce);
		}
		return;
	case RTL_CONFIG1:
	case RTL_CONFIG3:
	case RTL_CONFIG4:
	case RTL_CONFIG5:
		if (config_unlocked(n))
			n->regs[start] = (uint8_t)value;
		return;
	case RTL_MSR:                            /* only the flow-control enables */
		n->regs[RTL_MSR] = (uint8_t)(value & 0xc0);
		return;
	case RTL_BMCR:
		if (merged & 0x8000)
			phy_reset(n);
		else
			put(n, RTL_BMCR, 2, merged & ~0x0200u);   /* restart AN: done */
		return;
	}
	put(n, start, len, merged);               /* plain storage */
}

static unsigned clamp_size(unsigned size)
{
	return size < 1 ? 1 : size > 4 ? 4 : size;
}

static uint32_t region_read(void *dev, uint16_t offset, unsigned size)
{
	struct rtl8139 *n = dev;
	uint32_t v = 0;

	size = clamp_size(size);
	lock(n);
	for (unsigned i = 0; i < size;) {
		unsigned off = offset + i, start, len, take;
		uint32_t r;

		if (off >= RTL8139_REGION_LEN) {
			v |= 0xffu << (8 * i);
			i++;
			continue;
		}
		len = reg_len(off, &start);
		r = reg_read(n, start, len);
		take = start + len - off < size - i ? start + len - off : size - i;
		for (unsigned k = 0; k < take; k++)
			v |= ((r >> (8 * (off - start + k))) & 0xffu) << (8 * (i + k));
		i += take;
	}
	unlock(n);
	return v;
}

static void region_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct rtl8139 *n = dev;

	size = clamp_size(size);
	lock(n);
	for (unsigned i = 0; i < size && offset + i < RTL8139_REGION_LEN;) {
		unsigned off = offset + i, start, len, take;
		uint32_t v = 0, mask = 0;

		len = reg_len(off, &start);
		take = start + len - off < size - i ? start + len - off : size - i;
		for (unsigned k = 0; k < take; k++) {
			unsigned shift = 8 * (off - start + k);

			v |= ((value >> (8 * (i + k))) & 0xffu) << shift;
			mask |= 0xffu << shift;
		}
		reg_write(n, start, len, v, mask);
		i += take;
	}
	unlock(n);
}

/* ---- Public interface ------------------------------------------------------------ */

struct rtl8139 *rtl8139_create(const struct rtl8139_config *cfg)
{
	struct rtl8139 *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->cfg = *cfg;
	pthread_mutex_init(&n->lock, NULL);
	power_on(n);
	if (cfg->loop) {
		n->watch = emul_loop_watch(cfg->loop, cfg->tap_fd, rx_watch_ready, n);
		if (!n->watch) {
			pthread_mutex_destroy(&n->lock);
			free(n);
			return NULL;
		}
	}
	return n;
}

void rtl8139_destroy(struct rtl8139 *n)
{
	if (!n)
		return;
	pthread_mutex_destroy(&n->lock);
	free(n);
}

void rtl8139_region(struct rtl8139 *n, uint16_t base, struct emul_pio_region *out)
{
	*out = (struct emul_pio_region){
		.name = "rtl8139",
		.base = base,
		.len = RTL8139_REGION_LEN,
		.read = region_read,
		.write = region_write,
		.dev = n,
	};
}

void rtl8139_get_stats(struct rtl8139 *n, struct rtl8139_stats *out)
{
	pthread_mutex_lock(&n->lock);
	*out = n->stats;
	pthread_mutex_unlock(&n->lock);
}

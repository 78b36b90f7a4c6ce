/* test_rtl8139.c: the RTL8139 model (hv/hw/rtl8139.c) with a
 * SOCK_DGRAM socketpair as its TAP and a malloc'd block as guest RAM:
 * reset values, transmit (with and without the virtio-net header, refused
 * descriptors, TE off, round robin), receive into the ring (record
 * format, padding, CRC, both WRAP modes, ring sizes), ring overflow and
 * recovery, RCR filtering, a ring outside RAM, ISR write-1-to-clear and
 * the interrupt rule, soft reset, and random register traffic. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pvisor/platform.h>
#include <pvisor/io/virtio_net.h>

#include "check.h"
#include "hw/rtl8139.h"

#define IRQ_EDGES_LINE PVISOR_IRQ_NIC0
#include "irq_probe.h"

#define RAM_BYTES  (1u << 20)
#define RING       0x10000u          /* RBSTART used by most cases */
#define TXBUF      0x1000u

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t other_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- The interrupt line ----------------------------------------------------- */

/* pulses, bad_edges and irq_line: irq_probe.h */

/* ---- A NIC, its RAM and its wire ----------------------------------------------- */

struct rig {
	struct rtl8139 *n;
	struct emul_pio_region reg;
	struct emul_dma dma;
	int tap, host;                     /* the NIC's end, the test's end */
};

static bool rig_open(struct rig *r, bool vnet)
{
	int sv[2];
	struct rtl8139_config cfg = {
		.irq = &irq_line,
		.irq_nr = PVISOR_IRQ_NIC0,
		.dma = &r->dma,
		.tap_vnet_hdr = vnet,
	};

	memset(r, 0, sizeof(*r));
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	r->tap = sv[0];
	r->host = sv[1];
	fcntl(r->tap, F_SETFL, O_NONBLOCK);
	fcntl(r->host, F_SETFL, O_NONBLOCK);
	r->dma.ram = calloc(1, RAM_BYTES);
	r->dma.size = RAM_BYTES;
	cfg.tap_fd = r->tap;
	memcpy(cfg.mac, our_mac, 6);
	r->n = rtl8139_create(&cfg);
	CHECK(r->n != NULL);
	if (!r->n)
		return false;
	rtl8139_region(r->n, PVISOR_PORT_NIC0, &r->reg);
	pulses = 0;
	return true;
}

static void rig_close(struct rig *r)
{
	rtl8139_destroy(r->n);
	free(r->dma.ram);
	close(r->tap);
	close(r->host);
}

static uint32_t rd(struct rig *r, unsigned off, unsigned size)
{
	return r->reg.read(r->reg.dev, (uint16_t)off, size);
}

static void wr(struct rig *r, unsigned off, unsigned size, uint32_t v)
{
	r->reg.write(r->reg.dev, (uint16_t)off, size, v);
}

static struct rtl8139_stats stats(struct rig *r)
{
	struct rtl8139_stats s;

	rtl8139_get_stats(r->n, &s);
	return s;
}

/* A frame of len bytes to dst; payload from seed. */
static void make_frame(uint8_t *f, size_t len, const uint8_t *dst, unsigned seed)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, other_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(i * 7 + seed);
}

/* The host sends a frame to the NIC (with a header when vnet). */
static void host_send(struct rig *r, const uint8_t *f, size_t len, bool vnet)
{
	uint8_t buf[12 + 2048];
	size_t h = vnet ? sizeof(struct pvisor_virtio_net_hdr) : 0;

	memset(buf, 0, h);
	if (vnet)
		buf[0] = 2;                  /* DATA_VALID, as the kernel may set */
	memcpy(buf + h, f, len);
	CHECK_EQ(send(r->host, buf, h + len, 0), (ssize_t)(h + len));
}

static ssize_t host_recv(struct rig *r, uint8_t *buf, size_t len)
{
	return recv(r->host, buf, len, MSG_DONTWAIT);
}

/* IEEE CRC-32, bit by bit (independent of the model's table). */
static uint32_t crc32_ref(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

/* Linux's ether_crc() >> 26: a multicast address's MAR bit. */
static unsigned mar_bit(const uint8_t *addr)
{
	int crc = -1;

	for (int i = 0; i < 6; i++) {
		unsigned char octet = addr[i];

		for (int bit = 0; bit < 8; bit++, octet >>= 1)
			crc = (int)(((unsigned)crc << 1) ^
				    (((crc < 0) ^ (octet & 1)) ? 0x04c11db7u : 0));
	}
	return (unsigned)crc >> 26;
}

/* Receiver on: ring at RING of 8K << rblen, accept bits, wrap, IMR. */
static void rx_setup(struct rig *r, uint32_t accept, unsigned rblen, bool wrap, uint16_t imr)
{
	wr(r, RTL_RBSTART, 4, RING);
	wr(r, RTL_RCR, 4, accept | (wrap ? RTL_RCR_WRAP : 0) | rblen << RTL_RCR_RBLEN_SHIFT);
	wr(r, RTL_IMR, 2, imr);
	wr(r, RTL_CR, 1, RTL_CR_RE | RTL_CR_TE);
}

/* Guest RAM byte at ring offset off, wrapping at ring_len if wrap. */
static uint8_t ring_byte(struct rig *r, uint32_t off, uint32_t ring_len, bool wrap)
{
	return r->dma.ram[RING + (wrap ? off % ring_len : off)];
}

/* The record at ring offset off holds frame f (len bytes, padded to 60)
 * with status bits st. */
static bool record_ok(struct rig *r, uint32_t off, const uint8_t *f, size_t len, uint16_t st,
		      uint32_t ring_len, bool wrap)
{
	uint8_t want[4 + 1518 + 4];
	size_t flen = len < 60 ? 60 : len;
	uint32_t crc;

	memset(want, 0, sizeof(want));
	want[0] = (uint8_t)st;
	want[1] = (uint8_t)(st >> 8);
	want[2] = (uint8_t)(flen + 4);
	want[3] = (uint8_t)((flen + 4) >> 8);
	memcpy(want + 4, f, len);
	crc = crc32_ref(want + 4, flen);
	for (int i = 0; i < 4; i++)
		want[4 + flen + i] = (uint8_t)(crc >> (8 * i));
	for (size_t i = 0; i < 8 + flen; i++)
		if (ring_byte(r, off + (uint32_t)i, ring_len, wrap) != want[i])
			return false;
	return true;
}

/* The guest consumed everything: CAPR = CBR - 16. */
static void guest_consume(struct rig *r)
{
	wr(r, RTL_CAPR, 2, (rd(r, RTL_CBR, 2) - 16) & 0xffff);
}

/* ---- Reset ---------------------------------------------------------------------- */

static void reset_values(void)
{
	struct rig r;

	if (!rig_open(&r, false))
		return;
	CHECK_EQ(crc32_ref((const uint8_t *)"123456789", 9), 0xcbf43926u);
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ(rd(&r, RTL_IDR0 + i, 1), our_mac[i]);
	CHECK_EQ(rd(&r, RTL_IDR0, 4), 0x12005452u);
	CHECK_EQ(rd(&r, RTL_IDR0 + 4, 2), 0x5634u);
	CHECK_EQ(rd(&r, RTL_CR, 1), RTL_CR_BUFE);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(rd(&r, RTL_TSD0 + 4 * i, 4), RTL_TSD_OWN);
	CHECK_EQ(rd(&r, RTL_TSAD, 2), 0x000fu);
	CHECK_EQ(rd(&r, RTL_ISR, 2), 0u);
	CHECK_EQ(rd(&r, RTL_IMR, 2), 0u);
	CHECK_EQ(rd(&r, RTL_CAPR, 2), 0xfff0u);
	CHECK_EQ(rd(&r, RTL_CBR, 2), 0u);
	CHECK_EQ(rd(&r, RTL_TCR, 4) & 0x7cc00000u, RTL_TCR_HWVERID);
	CHECK_EQ(rd(&r, RTL_RCR, 4), 0u);
	CHECK_EQ(rd(&r, RTL_MPC, 4), 0u);
	CHECK(rd(&r, RTL_BMSR, 2) & 0x0004);          /* link up */
	CHECK(rd(&r, RTL_BMSR, 2) & 0x0020);          /* auto-negotiation complete */
	CHECK(rd(&r, RTL_BMCR, 2) & 0x2000);          /* 100 Mb/s */
	CHECK_EQ(rd(&r, RTL_MSR, 1) & 0x0c, 0u);      /* link OK, not 10 Mb/s */
	CHECK_EQ(rd(&r, 0x100 - 1, 2) >> 8, 0xffu);   /* past the region: ones */
	CHECK_EQ(rd(&r, RTL_TCTR, 4), 0u);            /* no clock given */

	/* Change things, then CR.RST. */
	wr(&r, RTL_IDR0, 4, 0x44332211);
	wr(&r, RTL_MAR0, 4, 0xdeadbeef);
	wr(&r, RTL_IMR, 2, 0xffff);
	CHECK_EQ(rd(&r, RTL_IMR, 2), RTL_INT_MASK);
	wr(&r, RTL_CR, 1, RTL_CR_RE | RTL_CR_TE);
	wr(&r, RTL_CAPR, 2, 0x100);
	wr(&r, RTL_TSD0, 4, 100);                     /* TE on: goes out (RAM zeros) */
	wr(&r, RTL_RCR, 4, RTL_RCR_AB);
	CHECK_EQ(rd(&r, RTL_CR, 1), RTL_CR_RE | RTL_CR_TE);
	wr(&r, RTL_CR, 1, RTL_CR_RST);
	CHECK_EQ(rd(&r, RTL_CR, 1), RTL_CR_BUFE);     /* RST done, TE/RE off */
	CHECK_EQ(rd(&r, RTL_IDR0, 4), 0x44332211u);   /* kept */
	CHECK_EQ(rd(&r, RTL_MAR0, 4), 0xdeadbeefu);   /* kept */
	CHECK_EQ(rd(&r, RTL_RCR, 4), RTL_RCR_AB);     /* kept */
	CHECK_EQ(rd(&r, RTL_IMR, 2), 0u);
	CHECK_EQ(rd(&r, RTL_ISR, 2), 0u);
	CHECK_EQ(rd(&r, RTL_CAPR, 2), 0xfff0u);
	CHECK_EQ(rd(&r, RTL_TSD0, 4), RTL_TSD_OWN);
	/* 9346CR auto-load brings the configured MAC back. */
	wr(&r, RTL_9346CR, 1, 0x40);
	CHECK_EQ(rd(&r, RTL_IDR0, 4), 0x12005452u);
	CHECK_EQ(rd(&r, RTL_9346CR, 1), 0u);
	/* CONFIG1 is locked unless 9346CR is in config-write mode. */
	wr(&r, RTL_CONFIG1, 1, 0xff);
	CHECK(rd(&r, RTL_CONFIG1, 1) != 0xff);
	wr(&r, RTL_9346CR, 1, 0xc0);
	wr(&r, RTL_CONFIG1, 1, 0xff);
	CHECK_EQ(rd(&r, RTL_CONFIG1, 1), 0xffu);
	CHECK_EQ(bad_edges, 0u);
	rig_close(&r);
}

/* ---- Transmit ------------------------------------------------------------------- */

static void tx_basic(void)
{
	struct rig r;
	uint8_t f[1792], got[2048];

	if (!rig_open(&r, false))
		return;
	wr(&r, RTL_CR, 1, RTL_CR_TE);
	wr(&r, RTL_IMR, 2, RTL_INT_TOK | RTL_INT_TER);
	for (unsigned k = 0; k < 5; k++) {
		unsigned d = k % 4;
		size_t len = 60 + 100 * k;

		make_frame(f, len, other_mac, k);
		memcpy(r.dma.ram + TXBUF + 0x800 * d, f, len);
		wr(&r, RTL_TSAD0 + 4 * d, 4, TXBUF + 0x800 * d);
		wr(&r, RTL_TSD0 + 4 * d, 4, (uint32_t)len | (8u << 16));   /* OWN = 0 */
		CHECK_EQ(host_recv(&r, got, sizeof(got)), (ssize_t)len);
		CHECK(!memcmp(got, f, len));
		CHECK_EQ(rd(&r, RTL_TSD0 + 4 * d, 4),
			 (uint32_t)len | (8u << 16) | RTL_TSD_OWN | RTL_TSD_TOK);
		CHECK(rd(&r, RTL_ISR, 2) & RTL_INT_TOK);
		CHECK_EQ(pulses, k + 1);
		wr(&r, RTL_ISR, 2, RTL_INT_TOK);          /* acknowledge */
		CHECK_EQ(rd(&r, RTL_ISR, 2), 0u);
	}
	CHECK_EQ(rd(&r, RTL_TSAD, 2), 0xf00fu);           /* TOK and OWN, all four */
	/* The full 1792 bytes are allowed. */
	make_frame(f, 1792, other_mac, 9);
	memcpy(r.dma.ram + TXBUF, f, 1792);
	wr(&r, RTL_TSAD0, 4, TXBUF);
	wr(&r, RTL_TSD0, 4, 1792);
	CHECK_EQ(host_recv(&r, got, sizeof(got)), 1792);
	CHECK(!memcmp(got, f, 1792));
	CHECK_EQ(stats(&r).tx_frames, 6u);
	CHECK_EQ(stats(&r).tx_errors, 0u);
	CHECK_EQ(bad_edges, 0u);
	rig_close(&r);
}

static void tx_vnet_header(void)
{
	struct rig r;
	uint8_t f[100], got[2048], zero[sizeof(struct pvisor_virtio_net_hdr)];
	size_t h = sizeof(struct pvisor_virtio_net_hdr);

	if (!rig_open(&r, true))
		return;
	CHECK_EQ(h, 12u);
	memset(zero, 0, sizeof(zero));
	wr(&r, RTL_CR, 1, RTL_CR_TE);
	make_frame(f, sizeof(f), bcast_mac, 3);
	memcpy(r.dma.ram + TXBUF, f, sizeof(f));
	wr(&r, RTL_TSAD0, 4, TXBUF);
	wr(&r, RTL_TSD0, 4, sizeof(f));
	CHECK_EQ(host_recv(&r, got, sizeof(got)), (ssize_t)(h + sizeof(f)));
	CHECK(!memcmp(got, zero, h));
	CHECK(!memcmp(got + h, f, sizeof(f)));
	/* And receive skips the host's header (flags set, as the kernel may). */
	rx_setup(&r, RTL_RCR_APM | RTL_RCR_AB, 0, false, 0);
	host_send(&r, f, sizeof(f), true);
	rtl8139_rx_ready(r.n);
	CHECK(record_ok(&r, 0, f, sizeof(f), RTL_RX_ROK | RTL_RX_BAR, 8192, true));
	rig_close(&r);
}

static void tx_refused(void)
{
	struct rig r;
	uint8_t got[2048];
	struct {
		uint32_t addr, size;
	} bad[] = {
		{ RAM_BYTES - 10, 60 },      /* runs past the end of RAM */
		{ 0xfffffff0u, 60 },         /* nowhere near RAM */
		{ TXBUF, 0 },                /* empty */
		{ TXBUF, 1793 },             /* too long */
		{ TXBUF, 0x1fff },
	};

	if (!rig_open(&r, false))
		return;
	wr(&r, RTL_CR, 1, RTL_CR_TE);
	wr(&r, RTL_IMR, 2, RTL_INT_TOK | RTL_INT_TER);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned d = i % 4;
		uint32_t tsd;

		wr(&r, RTL_TSAD0 + 4 * d, 4, bad[i].addr);
		wr(&r, RTL_TSD0 + 4 * d, 4, bad[i].size);
		tsd = rd(&r, RTL_TSD0 + 4 * d, 4);
		CHECK(tsd & RTL_TSD_TABT);
		CHECK(tsd & RTL_TSD_OWN);
		CHECK(!(tsd & RTL_TSD_TOK));
		CHECK(rd(&r, RTL_ISR, 2) & RTL_INT_TER);
		CHECK(!(rd(&r, RTL_ISR, 2) & RTL_INT_TOK));
		CHECK_EQ(pulses, i + 1);
		wr(&r, RTL_ISR, 2, 0xffff);
		errno = 0;
		CHECK_EQ(host_recv(&r, got, sizeof(got)), -1);   /* nothing on the wire */
		CHECK_EQ(errno, EAGAIN);
	}
	CHECK_EQ(stats(&r).tx_errors, 5u);
	CHECK_EQ(stats(&r).tx_bad_dma, 2u);
	CHECK_EQ(stats(&r).tx_frames, 0u);
	CHECK_EQ(rd(&r, RTL_TSAD, 2) & 0x00f0, 0x00f0u);       /* TABT, all four */
	/* A good descriptor afterwards works. */
	make_frame(r.dma.ram + TXBUF, 64, other_mac, 1);
	wr(&r, RTL_TSAD0, 4, TXBUF);
	wr(&r, RTL_TSD0, 4, 64);
	CHECK_EQ(host_recv(&r, got, sizeof(got)), 64);
	CHECK_EQ(rd(&r, RTL_TSD0, 4), 64u | RTL_TSD_OWN | RTL_TSD_TOK);
	rig_close(&r);
}

/* Descriptors handed over with TE off wait for TE, then go in order. */
static void tx_enable_later(void)
{
	struct rig r;
	uint8_t got[2048];

	if (!rig_open(&r, false))
		return;
	for (unsigned d = 0; d < 2; d++) {
		make_frame(r.dma.ram + TXBUF + 0x800 * d, 60, other_mac, d);
		wr(&r, RTL_TSAD0 + 4 * d, 4, TXBUF + 0x800 * d);
		wr(&r, RTL_TSD0 + 4 * d, 4, 60 + d);
	}
	CHECK_EQ(host_recv(&r, got, sizeof(got)), -1);
	CHECK_EQ(rd(&r, RTL_TSD0, 4), 60u);                   /* OWN clear: NIC's */
	wr(&r, RTL_CR, 1, RTL_CR_TE);
	CHECK_EQ(host_recv(&r, got, sizeof(got)), 60);
	CHECK_EQ(host_recv(&r, got, sizeof(got)), 61);
	CHECK_EQ(rd(&r, RTL_TSD0 + 4, 4), 61u | RTL_TSD_OWN | RTL_TSD_TOK);
	rig_close(&r);
}

/* ---- Receive ------------------------------------------------------------------------ */

static void rx_basic(void)
{
	struct rig r;
	uint8_t f[1518];

	if (!rig_open(&r, false))
		return;
	rx_setup(&r, RTL_RCR_APM, 0, false, RTL_INT_ROK);
	make_frame(f, 100, our_mac, 1);
	host_send(&r, f, 100, false);
	rtl8139_rx_ready(r.n);
	CHECK(record_ok(&r, 0, f, 100, RTL_RX_ROK | RTL_RX_PAM, 8192, true));
	CHECK_EQ(rd(&r, RTL_CBR, 2), (4u + 104 + 3) & ~3u);
	CHECK_EQ(rd(&r, RTL_ISR, 2), RTL_INT_ROK);
	CHECK_EQ(pulses, 1u);
	CHECK_EQ(rd(&r, RTL_CR, 1) & RTL_CR_BUFE, 0u);        /* something to read */
	guest_consume(&r);
	CHECK_EQ(rd(&r, RTL_CR, 1) & RTL_CR_BUFE, RTL_CR_BUFE);
	wr(&r, RTL_ISR, 2, RTL_INT_ROK);
	/* A short frame: padded to 60, length 64; then a 1518-byte one. */
	make_frame(f, 42, our_mac, 2);
	host_send(&r, f, 42, false);
	{
		uint8_t big[1518];

		make_frame(big, sizeof(big), our_mac, 3);
		host_send(&r, big, sizeof(big), false);
		rtl8139_rx_ready(r.n);
		CHECK(record_ok(&r, 108, f, 42, RTL_RX_ROK | RTL_RX_PAM, 8192, true));
		CHECK_EQ(r.dma.ram[RING + 108 + 2], 64);
		CHECK(record_ok(&r, 108 + 68, big, sizeof(big), RTL_RX_ROK | RTL_RX_PAM, 8192,
				true));
	}
	CHECK_EQ(rd(&r, RTL_CBR, 2), 108u + 68 + ((4 + 1522 + 3) & ~3u));
	CHECK_EQ(pulses, 2u);
	CHECK_EQ(stats(&r).rx_frames, 3u);
	/* Too long, and runts: dropped. */
	{
		uint8_t huge[1519];

		make_frame(huge, sizeof(huge), our_mac, 4);
		host_send(&r, huge, sizeof(huge), false);
		host_send(&r, huge, 13, false);
		rtl8139_rx_ready(r.n);
	}
	CHECK_EQ(stats(&r).rx_frames, 3u);
	CHECK_EQ(stats(&r).rx_dropped, 2u);
	/* Receiver off: read from the TAP and dropped, the ring untouched. */
	wr(&r, RTL_CR, 1, RTL_CR_TE);
	host_send(&r, f, 100, false);
	rtl8139_rx_ready(r.n);
	CHECK_EQ(stats(&r).rx_dropped, 3u);
	CHECK_EQ(recv(r.tap, f, sizeof(f), MSG_DONTWAIT), -1);
	CHECK_EQ(bad_edges, 0u);
	rig_close(&r);
}

/* Fills the 8K ring with 1000-byte frames up to offset 8064, consuming
 * each, so the next record crosses the end. */
static void fill_to_end(struct rig *r, uint8_t *f)
{
	for (unsigned i = 0; i < 8; i++) {
		make_frame(f, 1000, our_mac, i);
		host_send(r, f, 1000, false);
		rtl8139_rx_ready(r->n);
		guest_consume(r);
	}
	CHECK_EQ(rd(r, RTL_CBR, 2), 8064u);
}

static void rx_wrap_modes(void)
{
	struct rig r;
	uint8_t f[1518];

	/* WRAP = 0: the record continues at the start of the ring. */
	if (!rig_open(&r, false))
		return;
	rx_setup(&r, RTL_RCR_APM, 0, false, 0);
	fill_to_end(&r, f);
	make_frame(f, 1000, our_mac, 77);
	host_send(&r, f, 1000, false);
	rtl8139_rx_ready(r.n);
	CHECK(record_ok(&r, 8064, f, 1000, RTL_RX_ROK | RTL_RX_PAM, 8192, true));
	CHECK_EQ(rd(&r, RTL_CBR, 2), (8064u + 1008) % 8192);
	CHECK_EQ(r.dma.ram[RING + 8192], 0);                  /* nothing past the end */
	rig_close(&r);

	/* WRAP = 1: it runs past the end into the slack; the next record
	 * starts at the wrapped offset. */
	if (!rig_open(&r, false))
		return;
	rx_setup(&r, RTL_RCR_APM, 0, true, 0);
	fill_to_end(&r, f);
	memset(r.dma.ram + RING, 0xee, 1024);                 /* the ring's start */
	make_frame(f, 1000, our_mac, 78);
	host_send(&r, f, 1000, false);
	rtl8139_rx_ready(r.n);
	CHECK(record_ok(&r, 8064, f, 1000, RTL_RX_ROK | RTL_RX_PAM, 8192, false));
	CHECK_EQ(r.dma.ram[RING], 0xee);                      /* start untouched */
	CHECK_EQ(r.dma.ram[RING + 1023], 0xee);
	CHECK_EQ(rd(&r, RTL_CBR, 2), 880u);
	guest_consume(&r);
	make_frame(f, 200, our_mac, 79);
	host_send(&r, f, 200, false);
	rtl8139_rx_ready(r.n);
	CHECK(record_ok(&r, 880, f, 200, RTL_RX_ROK | RTL_RX_PAM, 8192, false));
	rig_close(&r);

	/* RBLEN = 1: a 16K ring does not wrap at 8K. */
	if (!rig_open(&r, false))
		return;
	rx_setup(&r, RTL_RCR_APM, 1, false, 0);
	fill_to_end(&r, f);
	make_frame(f, 1000, our_mac, 80);
	host_send(&r, f, 1000, false);
	rtl8139_rx_ready(r.n);
	CHECK(record_ok(&r, 8064, f, 1000, RTL_RX_ROK | RTL_RX_PAM, 16384, true));
	CHECK_EQ(rd(&r, RTL_CBR, 2), 8064u + 1008);
	rig_close(&r);

	/* RBLEN = 3 (64K): wraps at 64K even with WRAP = 1. */
	if (!rig_open(&r, false))
		return;
	rx_setup(&r, RTL_RCR_APM, 3, true, 0);
	for (unsigned i = 0; i < 65; i++) {
		make_frame(f, 1000, our_mac, i);
		host_send(&r, f, 1000, false);
		rtl8139_rx_ready(r.n);
		guest_consume(&r);
	}
	CHECK_EQ(rd(&r, RTL_CBR, 2), 65u * 1008);             /* 65520 */
	make_frame(f, 1000, our_mac, 81);
	host_send(&r, f, 1000, false);
	rtl8139_rx_ready(r.n);
	CHECK(record_ok(&r, 65520, f, 1000, RTL_RX_ROK | RTL_RX_PAM, 65536, true));
	CHECK_EQ(rd(&r, RTL_CBR, 2), (65520u + 1008) % 65536);
	rig_close(&r);
}

static void rx_overflow(void)
{
	struct rig r;
	uint8_t f[1518];
	struct rtl8139_stats s;

	if (!rig_open(&r, false))
		return;
	rx_setup(&r, RTL_RCR_APM, 0, false, RTL_INT_ROK | RTL_INT_RXOVW);
	/* The guest never moves CAPR: 8 records of 1008 bytes fit in 8K. */
	for (unsigned i = 0; i < 8; i++) {
		make_frame(f, 1000, our_mac, i);
		host_send(&r, f, 1000, false);
	}
	rtl8139_rx_ready(r.n);
	CHECK_EQ(stats(&r).rx_frames, 8u);
	CHECK_EQ(rd(&r, RTL_CBR, 2), 8064u);
	CHECK_EQ(pulses, 1u);
	/* The ninth does not fit: dropped, counted, RXOVW; the tenth waits. */
	make_frame(f, 1000, our_mac, 8);
	host_send(&r, f, 1000, false);
	make_frame(f, 1000, our_mac, 9);
	host_send(&r, f, 1000, false);
	rtl8139_rx_ready(r.n);                                 /* returns */
	s = stats(&r);
	CHECK_EQ(s.rx_frames, 8u);
	CHECK_EQ(s.rx_overflows, 1u);
	CHECK_EQ(rd(&r, RTL_MPC, 4), 1u);
	CHECK(rd(&r, RTL_ISR, 2) & RTL_INT_RXOVW);
	CHECK_EQ(pulses, 2u);
	CHECK_EQ(rd(&r, RTL_CBR, 2), 8064u);                   /* ring untouched */
	/* Paused: more calls read nothing. */
	for (int i = 0; i < 100; i++)
		rtl8139_rx_ready(r.n);
	CHECK(recv(r.tap, f, sizeof(f), MSG_PEEK | MSG_DONTWAIT) > 0);
	CHECK_EQ(stats(&r).rx_overflows, 1u);
	/* The guest catches up: the waiting frame arrives, wrapping. */
	guest_consume(&r);
	rtl8139_rx_ready(r.n);
	CHECK_EQ(stats(&r).rx_frames, 9u);
	CHECK(record_ok(&r, 8064, f, 1000, RTL_RX_ROK | RTL_RX_PAM, 8192, true));
	CHECK_EQ(recv(r.tap, f, sizeof(f), MSG_DONTWAIT), -1);
	/* MPC is cleared by any write. */
	wr(&r, RTL_MPC, 4, 1234);
	CHECK_EQ(rd(&r, RTL_MPC, 4), 0u);
	/* A record exactly as large as the free space does not fit either
	 * (the ring would look empty); one 4 bytes smaller does. */
	wr(&r, RTL_CR, 1, RTL_CR_RST);
	rx_setup(&r, RTL_RCR_APM, 0, false, 0);
	for (unsigned i = 0; i < 7; i++) {
		make_frame(f, 1000, our_mac, i);
		host_send(&r, f, 1000, false);
	}
	rtl8139_rx_ready(r.n);                                 /* 7056 used */
	make_frame(f, 1128, our_mac, 1);                       /* record 1136 = free */
	host_send(&r, f, 1128, false);
	rtl8139_rx_ready(r.n);
	CHECK_EQ(stats(&r).rx_overflows, 2u);
	wr(&r, RTL_CAPR, 2, 0xfff0);                           /* unpause, nothing read */
	make_frame(f, 1124, our_mac, 2);                       /* record 1132 */
	host_send(&r, f, 1124, false);
	rtl8139_rx_ready(r.n);
	CHECK_EQ(stats(&r).rx_frames, 9u + 8);
	CHECK_EQ(rd(&r, RTL_CBR, 2), 8188u);
	CHECK_EQ(rd(&r, RTL_CR, 1) & RTL_CR_BUFE, 0u);
	rig_close(&r);
}

static void rx_filtering(void)
{
	struct rig r;
	uint8_t f[100], mc[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
	uint8_t mc2[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
	unsigned bit = mar_bit(mc), bit2 = mar_bit(mc2);
	uint32_t off = 0;

	if (!rig_open(&r, false))
		return;
	rx_setup(&r, RTL_RCR_APM, 0, false, RTL_INT_ROK);
	/* APM only: broadcast, multicast and other unicast are dropped. */
	make_frame(f, 100, bcast_mac, 1);
	host_send(&r, f, 100, false);
	make_frame(f, 100, other_mac, 2);
	host_send(&r, f, 100, false);
	make_frame(f, 100, mc, 3);
	host_send(&r, f, 100, false);
	rtl8139_rx_ready(r.n);
	CHECK_EQ(stats(&r).rx_filtered, 3u);
	CHECK_EQ(stats(&r).rx_frames, 0u);
	CHECK_EQ(rd(&r, RTL_CBR, 2), 0u);
	CHECK_EQ(pulses, 0u);
	/* AB: broadcast with BAR. */
	wr(&r, RTL_RCR, 4, RTL_RCR_APM | RTL_RCR_AB);
	make_frame(f, 100, bcast_mac, 4);
	host_send(&r, f, 100, false);
	rtl8139_rx_ready(r.n);
	CHECK(record_ok(&r, off, f, 100, RTL_RX_ROK | RTL_RX_BAR, 8192, true));
	off += 108;
	/* AM: multicast only if its MAR bit is set. */
	wr(&r, RTL_RCR, 4, RTL_RCR_APM | RTL_RCR_AM);
	CHECK(bit != bit2);
	wr(&r, RTL_MAR0 + bit / 8, 1, 1u << (bit % 8));
	make_frame(f, 100, mc2, 5);
	host_send(&r, f, 100, false);
	rtl8139_rx_ready(r.n);
	CHECK_EQ(stats(&r).rx_filtered, 4u);
	make_frame(f, 100, mc, 6);
	host_send(&r, f, 100, false);
	rtl8139_rx_ready(r.n);
	CHECK(record_ok(&r, off, f, 100, RTL_RX_ROK | RTL_RX_MAR, 8192, true));
	off += 108;
	/* Without APM, even our own address is refused. */
	wr(&r, RTL_RCR, 4, RTL_RCR_AB);
	make_frame(f, 100, our_mac, 7);
	host_send(&r, f, 100, false);
	rtl8139_rx_ready(r.n);
	CHECK_EQ(stats(&r).rx_filtered, 5u);
	/* IDR changes what "our address" is. */
	wr(&r, RTL_RCR, 4, RTL_RCR_APM);
	for (unsigned i = 0; i < 6; i++)
		wr(&r, RTL_IDR0 + i, 1, other_mac[i]);
	make_frame(f, 100, other_mac, 8);
	host_send(&r, f, 100, false);
	rtl8139_rx_ready(r.n);
	CHECK(record_ok(&r, off, f, 100, RTL_RX_ROK | RTL_RX_PAM, 8192, true));
	off += 108;
	/* AAP: anything, unicast to others without PAM. */
	wr(&r, RTL_RCR, 4, RTL_RCR_AAP);
	make_frame(f, 100, our_mac, 9);
	host_send(&r, f, 100, false);
	rtl8139_rx_ready(r.n);
	CHECK(record_ok(&r, off, f, 100, RTL_RX_ROK, 8192, true));
	off += 108;
	make_frame(f, 100, mc2, 10);
	host_send(&r, f, 100, false);
	rtl8139_rx_ready(r.n);
	CHECK(record_ok(&r, off, f, 100, RTL_RX_ROK | RTL_RX_MAR, 8192, true));
	CHECK_EQ(stats(&r).rx_frames, 5u);
	CHECK_EQ(stats(&r).rx_filtered, 5u);
	rig_close(&r);
}

/* A ring outside guest RAM: frames are dropped, nothing is written. */
static void rx_bad_ring(void)
{
	struct rig r;
	uint8_t f[1000];
	uint32_t starts[] = { RAM_BYTES - 100, RAM_BYTES, 0xffffff00u, RAM_BYTES - 8192 };

	if (!rig_open(&r, false))
		return;
	for (unsigned i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		struct rtl8139_stats s0 = stats(&r);

		wr(&r, RTL_CR, 1, RTL_CR_RST);
		wr(&r, RTL_RBSTART, 4, starts[i]);
		wr(&r, RTL_RCR, 4, RTL_RCR_APM | (i == 3 ? RTL_RCR_WRAP : 0));
		wr(&r, RTL_IMR, 2, RTL_INT_ROK);
		wr(&r, RTL_CR, 1, RTL_CR_RE);
		if (i == 3) {
			/* Inside RAM, but WRAP = 1 runs the record past RAM's end. */
			for (unsigned k = 0; k < 8; k++) {
				make_frame(f, 1000, our_mac, k);
				host_send(&r, f, 1000, false);
				rtl8139_rx_ready(r.n);
				guest_consume(&r);
			}
			s0 = stats(&r);
			CHECK_EQ(s0.rx_frames, 8u);
		}
		make_frame(f, 1000, our_mac, i);
		host_send(&r, f, 1000, false);
		rtl8139_rx_ready(r.n);
		CHECK_EQ(stats(&r).rx_bad_dma, s0.rx_bad_dma + 1);
		CHECK_EQ(stats(&r).rx_frames, s0.rx_frames);
		CHECK_EQ(rd(&r, RTL_ISR, 2) & RTL_INT_ROK, i == 3 ? RTL_INT_ROK : 0u);
		CHECK_EQ(rd(&r, RTL_CBR, 2), i == 3 ? 8064u : 0u);
	}
	rig_close(&r);
}

/* ISR: write 1 to clear; the interrupt rule. */
static void isr_and_irq(void)
{
	struct rig r;
	uint8_t f[100];

	if (!rig_open(&r, false))
		return;
	rx_setup(&r, RTL_RCR_APM, 0, false, 0);               /* everything masked */
	make_frame(r.dma.ram + TXBUF, 60, other_mac, 1);
	wr(&r, RTL_TSAD0, 4, TXBUF);
	wr(&r, RTL_TSD0, 4, 60);
	make_frame(f, 100, our_mac, 2);
	host_send(&r, f, 100, false);
	rtl8139_rx_ready(r.n);
	CHECK_EQ(rd(&r, RTL_ISR, 2), RTL_INT_ROK | RTL_INT_TOK);
	CHECK_EQ(pulses, 0u);                                 /* masked */
	/* Writing 0s clears nothing; a byte write of 1s clears those. */
	wr(&r, RTL_ISR, 2, 0);
	CHECK_EQ(rd(&r, RTL_ISR, 2), RTL_INT_ROK | RTL_INT_TOK);
	wr(&r, RTL_ISR + 1, 1, 0xff);                         /* high byte: none set */
	CHECK_EQ(rd(&r, RTL_ISR, 2), RTL_INT_ROK | RTL_INT_TOK);
	/* Unmasking a pending bit pulses. */
	wr(&r, RTL_IMR, 2, RTL_INT_ROK);
	CHECK_EQ(pulses, 1u);
	wr(&r, RTL_IMR, 2, RTL_INT_ROK | RTL_INT_TOK);
	CHECK_EQ(pulses, 2u);
	/* Another ROK while ROK is still set: no new edge. */
	guest_consume(&r);
	host_send(&r, f, 100, false);
	rtl8139_rx_ready(r.n);
	CHECK_EQ(pulses, 2u);
	/* Clear ROK only; TOK stays. */
	wr(&r, RTL_ISR, 2, RTL_INT_ROK);
	CHECK_EQ(rd(&r, RTL_ISR, 2), RTL_INT_TOK);
	/* A ROK after the acknowledgement pulses again. */
	guest_consume(&r);
	host_send(&r, f, 100, false);
	rtl8139_rx_ready(r.n);
	CHECK_EQ(pulses, 3u);
	/* A TOK while TOK is set and unacknowledged: none. */
	wr(&r, RTL_TSD0 + 4, 4, 60);
	CHECK_EQ(pulses, 3u);
	wr(&r, RTL_ISR, 2, 0xffff);
	CHECK_EQ(rd(&r, RTL_ISR, 2), 0u);
	wr(&r, RTL_TSAD0 + 8, 4, TXBUF);
	wr(&r, RTL_TSD0 + 8, 4, 60);
	CHECK_EQ(pulses, 4u);
	CHECK_EQ(stats(&r).interrupts, 4u);
	CHECK_EQ(bad_edges, 0u);
	rig_close(&r);
}

/* Random register traffic with frames in both directions: never a
 * crash (ASan watches the RAM block's bounds), never a hang. */
static void random_traffic(void)
{
	struct rig r;
	uint8_t f[1600], junk[2048];

	if (!rig_open(&r, false))
		return;
	check_rng_state = 4242;
	for (unsigned i = 0; i < 200000; i++) {
		uint64_t x = check_rng();
		unsigned size = 1u << (x % 3), op = (x >> 2) % 16;
		uint16_t off = (uint16_t)((x >> 8) % 0x100);
		uint32_t v = (uint32_t)(x >> 32);

		if (op < 6) {
			if ((x >> 20) % 4 == 0)       /* often: addresses near RAM */
				v = (v % (RAM_BYTES + 0x4000)) & ~3u;
			r.reg.write(r.reg.dev, off, size, v);
		} else if (op < 11) {
			(void)r.reg.read(r.reg.dev, off, size);
		} else if (op < 13) {
			size_t len = (x >> 16) % sizeof(f);

			make_frame(f, len < 14 ? 14 : len, (x >> 30) % 2 ? our_mac : bcast_mac,
				   (unsigned)i);
			(void)send(r.host, f, len, MSG_DONTWAIT);
		} else if (op == 13) {
			rtl8139_rx_ready(r.n);
		} else if (op == 14) {
			while (recv(r.host, junk, sizeof(junk), MSG_DONTWAIT) > 0)
				;
		} else {
			/* Receiver on with a random ring, sometimes at RAM's end. */
			wr(&r, RTL_RBSTART, 4, (x >> 40) % 2 ? RAM_BYTES - (v % 70000) : v % RAM_BYTES);
			wr(&r, RTL_RCR, 4, v | RTL_RCR_APM | RTL_RCR_AB);
			wr(&r, RTL_CR, 1, RTL_CR_RE | RTL_CR_TE);
		}
	}
	CHECK_EQ(bad_edges, 0u);
	CHECK(stats(&r).rx_frames > 0);
	CHECK(stats(&r).tx_frames > 0);
	rig_close(&r);
}

int main(void)
{
	RUN(reset_values);
	RUN(tx_basic);
	RUN(tx_vnet_header);
	RUN(tx_refused);
	RUN(tx_enable_later);
	RUN(rx_basic);
	RUN(rx_wrap_modes);
	RUN(rx_overflow);
	RUN(rx_filtering);
	RUN(rx_bad_ring);
	RUN(isr_and_irq);
	RUN(random_traffic);
	CHECK_EXIT();
}

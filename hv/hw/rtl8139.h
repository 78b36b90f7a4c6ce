/* rtl8139.h: a Realtek RTL8139C Fast Ethernet controller (after the
 * RTL8139C(L) datasheet), its 256 I/O-port registers at a fixed base (no
 * PCI configuration space), bus-mastering through emul_dma, and a host
 * TAP device (hv/net/tap.h) as the wire.
 *
 * Transmit: the four TSAD/TSD descriptor pairs; a TSD write with OWN = 0
 * sends the frame at TSAD (1..1792 bytes inside guest RAM) to the TAP.
 * Receive: frames read from the TAP are filtered by RCR and the MAC/MAR
 * registers and written into the guest's receive ring at RBSTART (8, 16,
 * 32 or 64 KiB, WRAP or not), each as a 4-byte header (status, length),
 * the frame and its 4-byte CRC. The MAC address is fixed when the device
 * is created (there is no 93C46 EEPROM to read it from). Register-level
 * behaviour, the interrupt rule and what is simplified: rtl8139.c.
 *
 * Threads: register accesses come from the vCPU thread and
 * rtl8139_rx_ready() from the event loop; the model locks itself and
 * sends interrupt pulses outside its lock. */
#ifndef PVISOR_EMUL_RTL8139_H
#define PVISOR_EMUL_RTL8139_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/emul.h"

#define RTL8139_REGION_LEN   0x100u
#define RTL8139_TX_MAX       1792u     /* TSD SIZE limit */
#define RTL8139_RX_MAX_FRAME 1518u     /* longest frame delivered (no FCS; VLAN tag fits) */
#define RTL8139_RX_BATCH     64u       /* frames read from the TAP per rx_ready call */

/* Register offsets. */
#define RTL_IDR0     0x00
#define RTL_MAR0     0x08
#define RTL_TSD0     0x10   /* + 4n */
#define RTL_TSAD0    0x20   /* + 4n */
#define RTL_RBSTART  0x30
#define RTL_CR       0x37
#define RTL_CAPR     0x38
#define RTL_CBR      0x3a
#define RTL_IMR      0x3c
#define RTL_ISR      0x3e
#define RTL_TCR      0x40
#define RTL_RCR      0x44
#define RTL_TCTR     0x48
#define RTL_MPC      0x4c
#define RTL_9346CR   0x50
#define RTL_CONFIG0  0x51
#define RTL_CONFIG1  0x52
#define RTL_MSR      0x58
#define RTL_CONFIG3  0x59
#define RTL_CONFIG4  0x5a
#define RTL_TSAD     0x60   /* transmit status of all descriptors */
#define RTL_BMCR     0x62
#define RTL_BMSR     0x64
#define RTL_ANAR     0x66
#define RTL_ANLPAR   0x68
#define RTL_ANER     0x6a
#define RTL_CSCR     0x74
#define RTL_CONFIG5  0xd8

/* CR */
#define RTL_CR_BUFE  0x01
#define RTL_CR_TE    0x04
#define RTL_CR_RE    0x08
#define RTL_CR_RST   0x10

/* ISR / IMR */
#define RTL_INT_ROK    0x0001
#define RTL_INT_RER    0x0002
#define RTL_INT_TOK    0x0004
#define RTL_INT_TER    0x0008
#define RTL_INT_RXOVW  0x0010
#define RTL_INT_PUN    0x0020
#define RTL_INT_FOVW   0x0040
#define RTL_INT_LENCHG 0x2000
#define RTL_INT_TIMEOUT 0x4000
#define RTL_INT_SERR   0x8000
#define RTL_INT_MASK   0xe07f

/* TSD */
#define RTL_TSD_SIZE   0x00001fffu
#define RTL_TSD_OWN    0x00002000u
#define RTL_TSD_TUN    0x00004000u
#define RTL_TSD_TOK    0x00008000u
#define RTL_TSD_ERTXTH 0x003f0000u
#define RTL_TSD_TABT   0x40000000u

/* RCR */
#define RTL_RCR_AAP    0x00000001u
#define RTL_RCR_APM    0x00000002u
#define RTL_RCR_AM     0x00000004u
#define RTL_RCR_AB     0x00000008u
#define RTL_RCR_WRAP   0x00000080u
#define RTL_RCR_RBLEN_SHIFT 11
#define RTL_RCR_RBLEN_MASK  0x00001800u

/* Receive packet header status */
#define RTL_RX_ROK     0x0001
#define RTL_RX_BAR     0x2000
#define RTL_RX_PAM     0x4000
#define RTL_RX_MAR     0x8000

/* TCR: the RTL8139C's hardware version bits (read-only). */
#define RTL_TCR_HWVERID 0x74000000u

struct rtl8139_config {
	const struct emul_irq *irq;   /* kept by pointer: must outlive the NIC */
	unsigned irq_nr;
	const struct emul_dma *dma;   /* guest RAM, kept by pointer */
	int tap_fd;                   /* non-blocking; owned by the caller */
	bool tap_vnet_hdr;            /* every TAP frame carries a 12-byte
				       * struct pvisor_virtio_net_hdr (tap_open) */
	uint8_t mac[6];
	struct emul_loop *loop;       /* watches tap_fd; NULL: nobody does (tests
				       * call rtl8139_rx_ready themselves) */
	emul_clock_fn clock;          /* TCTR's time base; NULL: TCTR reads 0 */
};

struct rtl8139_stats {
	uint64_t rx_frames, rx_bytes;   /* delivered into the ring */
	uint64_t tx_frames, tx_bytes;   /* written to the TAP */
	uint64_t rx_filtered;           /* not addressed to us (RCR) */
	uint64_t rx_dropped;            /* receiver off, runt or too long, read error */
	uint64_t rx_overflows;          /* ring full (also counted in MPC) */
	uint64_t rx_bad_dma;            /* ring outside guest RAM */
	uint64_t tx_errors;             /* descriptors refused: size or address */
	uint64_t tx_bad_dma;            /*   of which: buffer outside guest RAM */
	uint64_t tx_dropped;            /* the TAP refused the frame */
	uint64_t interrupts;            /* pulses sent */
};

struct rtl8139;

/* A NIC in its power-on state. With cfg->loop, it watches cfg->tap_fd on
 * the loop (and pauses that watch while the receive ring is full).
 * Returns NULL if memory runs out or the watch cannot be made. */
struct rtl8139 *rtl8139_create(const struct rtl8139_config *cfg);
/* Frees the NIC. The loop must be stopped (emul_loop_destroy) first when
 * one was given; the TAP fd stays open. */
void rtl8139_destroy(struct rtl8139 *n);

/* Fills the NIC's region: RTL8139_REGION_LEN ports at base. */
void rtl8139_region(struct rtl8139 *n, uint16_t base, struct emul_pio_region *out);

/* The TAP is readable: delivers up to RTL8139_RX_BATCH frames (what the
 * loop watch calls; returns at once while the ring is full). */
void rtl8139_rx_ready(struct rtl8139 *n);

/* A consistent snapshot of the counters (any thread). */
void rtl8139_get_stats(struct rtl8139 *n, struct rtl8139_stats *out);

#endif

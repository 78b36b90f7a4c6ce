/* rtl8139.h: the RTL8139 driver's handle, shared by its parts:
 *
 *   rtl8139.c      probing, reset and setup, the IRQ handler, open and
 *                  close, the device's facts and counters
 *   rtl8139_rx.c   the receive ring
 *   rtl8139_tx.c   the four transmit descriptors
 *
 * Locking as in the virtio frontend: rx.lock serializes receivers,
 * tx.lock senders; the IRQ handler only reads and acknowledges ISR and
 * posts the semaphore of the direction it concerns, if a thread of that
 * direction is waiting (so no stale posts pile up while nobody waits). */
#ifndef GUEST_PC_RTL8139_H
#define GUEST_PC_RTL8139_H

#include <stdbool.h>
#include <stdint.h>
#include <pv/net.h>
#include <pv/sync.h>
#include "drivers/net_driver.h"
#include "rtl8139_regs.h"

struct rtl_rx {
	struct pv_mutex lock;
	struct pv_sem wake;		/* posted by the IRQ handler ... */
	volatile bool waiting;		/* ... only while a receiver may sleep */
	uint8_t *ring;			/* RTL_RING_BYTES, physically contiguous */
	uint16_t read;			/* ring offset of the next record */
	uint16_t end;			/* CBR as last read: records up to here */
};

struct rtl_tx {
	struct pv_mutex lock;
	struct pv_sem wake;		/* posted by the IRQ handler ... */
	volatile bool waiting;		/* ... only while a sender waits */
	uint8_t *bufs;			/* RTL_TX_DESCS slots of RTL_TX_SLOT bytes */
	unsigned cur;			/* next descriptor to fill (mod 4) */
	unsigned dirty;			/* oldest descriptor in flight */
};

struct rtl8139 {
	struct pv_net base;		/* net.c's handle: first */
	uint16_t io;			/* I/O base */
	unsigned index;			/* 0: the first NIC's base, 1: the second */
	bool irq_bound;			/* else waits poll in short slices */
	uint8_t mac[PV_NET_ALEN];
	struct rtl_rx rx;
	struct rtl_tx tx;
	struct pv_net_stats stats;
};

/* Receive (rtl8139_rx.c): the ring's memory, its state after a reset,
 * and pv_net_recv_batch(). */
int rtl_rx_alloc(struct rtl8139 *nic);
void rtl_rx_free(struct rtl8139 *nic);
void rtl_rx_start(struct rtl8139 *nic);
int rtl_rx_batch(struct pv_net *base, struct pv_net_frame *frames, unsigned n,
		 uint64_t timeout_ns);

/* Transmit (rtl8139_tx.c): the descriptors' buffers, their addresses in
 * TSAD0-3 after a reset, and pv_net_send_batch(). */
int rtl_tx_alloc(struct rtl8139 *nic);
void rtl_tx_free(struct rtl8139 *nic);
void rtl_tx_start(struct rtl8139 *nic);
int rtl_tx_batch(struct pv_net *base, const struct pv_net_frame *frames, unsigned n);

/* Sleeps on wake until it is posted, the deadline (0: none) passes or a
 * slice ends (so a lost interrupt costs a slice); -ETIMEDOUT only for
 * the deadline. */
int rtl_wait(const struct rtl8139 *nic, struct pv_sem *wake, uint64_t deadline);

/* The guest-physical address of identity-mapped memory (pv_pages_alloc). */
uint32_t rtl_phys(const void *p);

#endif

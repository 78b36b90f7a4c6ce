/* uart16550.c: COM1, the console of a machine without PV devices.
 *
 * Output is polled: wait until the transmit holding register is empty,
 * then hand up to 16 bytes (the FIFO) to one `rep outsb`. Input is
 * interrupt-driven: the first read binds IRQ 4 (pv_irq_bind) and enables
 * the receive interrupt; its handler drains the receiver into a ring and
 * raises VIRQ_CONSOLE, which wakes pv_console_read()'s waiters as in PV
 * mode. A UART has no end of input: a reader of a closed stdin waits
 * forever. A byte that arrived before uart_init() sits in the 16450-mode
 * holding register; switching the FIFOs on clears the receiver (16550D
 * datasheet, FCR bit 0; QEMU's UART and pvisor's both do), so init moves
 * it into the ring first (one arriving between that and the switch is
 * lost, as on any 16550). */
#include <errno.h>
#include <pv/io.h>
#include <pv/irq.h>
#include <pvisor/platform.h>
#include "pc.h"
#include "native.h"

#define COM1		PVISOR_PORT_COM1
#define REG_DATA	0	/* RBR / THR; DLL with DLAB */
#define REG_IER		1	/* DLM with DLAB */
#define REG_FCR		2
#define REG_LCR		3
#define REG_MCR		4
#define REG_LSR		5
#define LCR_DLAB	0x80
#define LCR_8N1		0x03
#define FCR_ENABLE_CLEAR 0x07	/* FIFOs on, both cleared */
#define MCR_DTR_RTS_OUT2 0x0b	/* OUT2 gates the interrupt line on a PC */
#define IER_RX		0x01
#define LSR_DATA_READY	0x01
#define LSR_THR_EMPTY	0x20
#define LSR_IDLE	0x40	/* transmitter empty */
#define FIFO_BYTES	16
#define WAIT_POLLS	100000
#define RING_BYTES	4096

static char ring[RING_BYTES];
static unsigned int ring_head, ring_tail;	/* free-running */
static bool input_started;

static void reg_write(unsigned int reg, uint8_t v)
{
	outb((uint16_t)(COM1 + reg), v);
}

static uint8_t reg_read(unsigned int reg)
{
	return inb((uint16_t)(COM1 + reg));
}

static unsigned int drain(void);

void uart_init(void)
{
	reg_write(REG_IER, 0);
	reg_write(REG_LCR, LCR_DLAB);
	reg_write(REG_DATA, 1);		/* divisor 1: 115200 baud */
	reg_write(REG_IER, 0);
	reg_write(REG_LCR, LCR_8N1);
	drain();			/* what the FIFO switch would lose */
	reg_write(REG_FCR, FCR_ENABLE_CLEAR);
	reg_write(REG_MCR, MCR_DTR_RTS_OUT2);
}

/* Bounded: a missing UART reads all ones, which looks ready. */
static void wait_lsr(uint8_t bits)
{
	int i;

	for (i = 0; i < WAIT_POLLS && (reg_read(REG_LSR) & bits) != bits; i++)
		;
}

/* One write leaves the UART whole: events stay off across its FIFO loads,
 * so a thread preempted between two of them cannot have its line cut by
 * another thread's (seen under QEMU with KVM, where the loads take real
 * time). */
long uart_write(const void *buf, size_t len)
{
	unsigned long flags = pv_events_disable();
	const char *p = buf;
	size_t left = len;

	while (left) {
		size_t n = left < FIFO_BYTES ? left : FIFO_BYTES;

		wait_lsr(LSR_THR_EMPTY);
		outsb(COM1 + REG_DATA, p, n);
		p += n;
		left -= n;
	}
	pv_events_restore(flags);
	return (long)len;
}

void uart_flush(void)
{
	wait_lsr(LSR_THR_EMPTY | LSR_IDLE);
}

/* ---- Input ------------------------------------------------------------- */

/* Moves received bytes into the ring while there is room; events masked. */
static unsigned int drain(void)
{
	unsigned int got = 0;

	while (ring_head - ring_tail < RING_BYTES && (reg_read(REG_LSR) & LSR_DATA_READY)) {
		ring[ring_head++ % RING_BYTES] = (char)reg_read(REG_DATA);
		got++;
	}
	return got;
}

static void rx_interrupt(unsigned int port, void *arg)
{
	(void)port;
	(void)arg;
	if (drain())
		native_virq_raise(PVISOR_VIRQ_CONSOLE);
}

static void start_input(void)
{
	if (input_started || pv_irq_bind(PVISOR_IRQ_COM1, rx_interrupt, NULL) < 0)
		return;
	input_started = true;
	reg_write(REG_IER, IER_RX);
}

long uart_read(void *buf, size_t len)
{
	unsigned long flags = pv_events_disable();
	char *out = buf;
	size_t n = 0;

	start_input();
	drain();
	while (n < len && ring_tail != ring_head)
		out[n++] = ring[ring_tail++ % RING_BYTES];
	pv_events_restore(flags);
	return n ? (long)n : -EAGAIN;
}

/* uart16550.h: a 16550A UART (COM1 in full-virtualization mode): eight
 * byte-wide registers, divisor latch, 16-byte FIFOs, interrupts.
 *
 * The host end is infinitely fast: a byte written to THR goes straight to
 * the output callback, and THR/TSR are empty again at once (THRE and TEMT
 * always read 1; a THRE interrupt follows every THR write when enabled).
 * The receiver pulls bytes from the input callback only while its FIFO
 * has room (16 bytes with FIFOs enabled, 1 without) and pauses its loop
 * watch while full, so the host never drops an input byte; reading RBR
 * refills it at once. Only loopback mode, where the guest feeds its own
 * receiver, can overrun (LSR.OE). Bytes the guest itself discards (an FCR
 * receive-FIFO reset) are gone, as on hardware.
 *
 * Interrupts: the line is pulsed (emul_irq_pulse, ISA edge) whenever an
 * enabled interrupt condition becomes pending that was not pending at the
 * previous register access: line status > received data (FIFO at trigger
 * level: IIR 0x04; below it: character timeout, IIR 0x0c, reported as
 * soon as the host has nothing more to give) > THR empty > modem status.
 * MCR.OUT2 does not gate the line (most PCs wire it so; guests set it).
 *
 * Simplified: no line timing (divisor and LCR are stored and read back,
 * nothing is paced); no parity/framing errors or breaks (LSR.PE/FE/BI and
 * LSR bit 7 stay 0); the TX FIFO is never observable; DMA mode bits are
 * stored and ignored; modem status lines read DCD, DSR and CTS asserted
 * and never change outside loopback (where they follow MCR as on the chip). */
#ifndef PVISOR_EMUL_UART16550_H
#define PVISOR_EMUL_UART16550_H

#include <stddef.h>
#include <stdint.h>

#include "hw/emul.h"

#define UART16550_NR_PORTS   8
#define UART16550_FIFO_SIZE  16
#define UART16550_RESET_DIVISOR 12   /* 9600 baud, what QEMU resets to */

struct uart16550_config {
	const struct emul_irq *irq;   /* copied; NULL: no interrupts */
	unsigned irq_nr;
	/* Guest output, one call per byte written to THR (vCPU thread); a
	 * non-zero return counts as an output error, the byte is dropped. */
	int (*output)(void *ctx, const void *buf, size_t len);
	/* Host input: copies up to len bytes, returns the count, 0 at the
	 * end of input (never asked again), -1 when nothing is ready yet.
	 * Must not block. Called from the loop thread or, on RBR reads, from
	 * the vCPU thread (never both at once). NULL: no input. */
	long (*input)(void *ctx, void *buf, size_t len);
	/* An eventfd that becomes readable when input may be available, or
	 * -1. The model watches it on loop, drains it (it is made
	 * non-blocking) before each pull, and pauses the watch while full. */
	int input_event_fd;
	struct emul_loop *loop;       /* NULL: no watch (unit tests) */
	void *ctx;
};

struct uart16550_stats {
	uint64_t bytes_out;
	uint64_t bytes_in;            /* host input bytes pulled into the FIFO */
	uint64_t irqs;                /* interrupt pulses */
	uint64_t overruns;            /* loopback bytes lost to a full FIFO */
	uint64_t output_errors;
};

/* NULL on failure (out of memory, or the loop refused the watch). */
struct uart16550 *uart16550_create(const struct uart16550_config *cfg);
/* Destroy the machine's emul_loop first when the UART watches an fd. */
void uart16550_destroy(struct uart16550 *u);
/* Fills *out with the UART's 8-port region at base (e.g. 0x3f8). */
void uart16550_region(struct uart16550 *u, uint16_t base, struct emul_pio_region *out);
/* "Input may be available": drains the input eventfd, pulls input while
 * the FIFO has room, raises RDA. The loop watch calls this; tests too. */
void uart16550_input_ready(struct uart16550 *u);
void uart16550_get_stats(struct uart16550 *u, struct uart16550_stats *out);

#endif

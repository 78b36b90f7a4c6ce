/* pv/console.h: the pvisor console: the virtio console's rings when the
 * device runs (guest/drivers/vconsole.c), the platform's console before
 * that or without it (the console hypercall; the 16550 UART in full mode,
 * docs/guest.md "One binary, three platforms").
 *
 * printf() and friends write here too. Each write of up to
 * PVISOR_CONSOLE_IO_MAX bytes reaches the console in one piece, so lines
 * printed by different threads with one printf() each never interleave. */
#ifndef PV_CONSOLE_H
#define PV_CONSOLE_H

#include <stddef.h>

/* Writes all len bytes; returns len, or -errno (e.g. -EFAULT) if the
 * hypervisor refused the buffer (nothing more is written then). */
long pv_console_write(const void *buf, size_t len);

/* Waits until every byte written so far has left the guest (the virtio
 * console's backend took it; a no-op on the hypercall path). */
void pv_console_flush(void);

/* Reads console input, blocking the calling thread until some is
 * available. Returns the byte count (at least 1), 0 at end of input, or
 * -errno. On the UART (full mode) end of input cannot be seen: a reader
 * waits for more. */
long pv_console_read(void *buf, size_t len);

/* Like pv_console_read() but never blocks: -EAGAIN when nothing is pending. */
long pv_console_read_nonblock(void *buf, size_t len);

#endif

/* vconsole.h: the kernel's virtio-console frontend (vconsole.c). The
 * console functions of pv/console.h use it when the device runs and fall
 * back to the console hypercall otherwise. */
#ifndef PV_DRIVERS_VCONSOLE_H
#define PV_DRIVERS_VCONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/* Starts the console device if there is one: 0 or -errno. */
int pv_vconsole_init(void);
/* Is it running (and not broken)? */
bool pv_vconsole_ready(void);
/* Queues len bytes (copied); returns len, or a short count / -errno when
 * the ring cannot take them (-EBUSY from an event handler that
 * interrupted another writer): the caller writes the rest another way. */
long pv_vconsole_write(const void *buf, size_t len);
/* Waits (bounded) until the backend has taken every queued byte. */
void pv_vconsole_flush(void);
/* Input: as pv_console_read() / pv_console_read_nonblock(). */
long pv_vconsole_read(void *buf, size_t len);
long pv_vconsole_read_nonblock(void *buf, size_t len);

#endif

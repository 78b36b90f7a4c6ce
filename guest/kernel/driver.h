/* driver.h: what the kernel offers device drivers beyond the public pv/
 * API. The kernel knows no particular driver: a driver that the kernel
 * needs at boot or for its console registers itself here. */
#ifndef PV_KERNEL_DRIVER_H
#define PV_KERNEL_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

/* ---- Boot-time starts (main.c). kernel_start() calls each registered
 * function once, in link order, when pages, scheduler, events, traps and
 * timers are up, events still masked, before the command line is parsed
 * and main() starts. The result is ignored: a driver that cannot start
 * leaves the platform's services in charge. The list is the section
 * .kernel_boot_start (guest/arch/x86_64/guest.ld). */
typedef int (*kernel_boot_start_fn)(void);
#define KERNEL_BOOT_START(fn)						\
	static const kernel_boot_start_fn __kernel_boot_start_##fn	\
	__attribute__((__used__, __section__(".kernel_boot_start"))) = fn

/* ---- The console sink (console.c). Console output and input go to the
 * sink while one is set and ready, else to the platform's console, which
 * also serves what the sink cannot take; kernel diagnostics (kprintf)
 * always use the platform's, after flushing the sink. */
struct console_sink {
	/* Queues len bytes; returns len, or a short count / -errno for what
	 * it cannot take now (the rest goes to the platform's console). */
	long (*write)(const void *buf, size_t len);
	/* Waits (bounded) until the device has taken every queued byte. */
	void (*flush)(void);
	/* Running? Input comes from the platform's console otherwise. */
	bool (*ready)(void);
	/* Input: as pv_console_read() / pv_console_read_nonblock(). */
	long (*read)(void *buf, size_t len);
	long (*read_nonblock)(void *buf, size_t len);
};

/* Sets the sink: once, by a driver's boot-time start, when its device
 * runs. */
void console_set_sink(const struct console_sink *sink);

/* sched.c: is an event handler running (the caller must not sleep)? */
bool sched_in_handler(void);

#endif

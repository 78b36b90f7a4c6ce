/* console.c: console output and input, and __console_write(), the hook
 * the C library's stdio writes through. They go through the console sink
 * a driver registers (driver.h: the virtio console, guest/drivers/
 * vconsole.c, when that device runs), else through the platform's console
 * (platform.h: PVISOR_HC_CONSOLE_IO, or the UART on an emulated PC).
 * Kernel diagnostics (kprintf) always use the platform's console, after
 * flushing the sink, so they come out even when the ring cannot be used. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include "kernel.h"
#include "driver.h"

static const struct console_sink *sink;

void console_set_sink(const struct console_sink *s)
{
	sink = s;
}

long pv_console_write(const void *buf, size_t len)
{
	long n = sink ? sink->write(buf, len) : -ENODEV;

	if (n < 0)
		n = 0;
	if ((size_t)n == len)
		return n;
	n = platform->console_write((const char *)buf + n, len - (size_t)n);
	return n < 0 ? n : (long)len;
}

void pv_console_flush(void)
{
	if (sink)
		sink->flush();
	platform->console_flush();
}

long __console_write(const char *buf, unsigned long len)
{
	return pv_console_write(buf, len);
}

void kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (sink)
		sink->flush();
	platform->console_write(buf, (size_t)n);
}

/* ---- Input -------------------------------------------------------------
 * VIRQ_CONSOLE is bound on first use; its handler posts input_ready so a
 * reader blocked in pv_console_read() wakes up. A post that races with a
 * successful read only causes one extra loop. */
static struct pv_sem input_ready;
static int input_port;

static void console_virq(unsigned int port, void *arg)
{
	(void)port;
	(void)arg;
	if (input_ready.count == 0)
		pv_sem_post(&input_ready);
}

static int console_bind_input(void)
{
	int port;

	if (input_port > 0)
		return 0;
	port = pv_evtchn_bind_virq(PVISOR_VIRQ_CONSOLE, console_virq, NULL);
	if (port < 0)
		return port;
	input_port = port;
	return 0;
}

long pv_console_read_nonblock(void *buf, size_t len)
{
	if (sink && sink->ready())
		return sink->read_nonblock(buf, len);
	return platform->console_read(buf, len);
}

long pv_console_read(void *buf, size_t len)
{
	long n;
	int err;

	if (sink && sink->ready())
		return sink->read(buf, len);
	err = console_bind_input();
	if (err < 0)
		return err;
	for (;;) {
		n = pv_console_read_nonblock(buf, len);
		if (n != -EAGAIN)
			return n;
		pv_sem_wait(&input_ready);
	}
}

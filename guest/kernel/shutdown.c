/* shutdown.c: the ways a domain ends: exit(), pv_poweroff(), pv_reboot(),
 * abort(), failed assertions, pv_panic() and crashes with a frame. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "kernel.h"
#include "thread_internal.h"

static __attribute__((__noreturn__)) void shutdown(unsigned int reason, unsigned int status,
						   const struct pvisor_frame *frame)
{
	for (;;)
		platform->shutdown(reason, status, frame);
}

void pv_poweroff(int status)
{
	pv_console_flush();
	shutdown(PVISOR_SHUTDOWN_POWEROFF, (unsigned int)status & 0xff, NULL);
}

void pv_reboot(void)
{
	pv_console_flush();
	shutdown(PVISOR_SHUTDOWN_REBOOT, 0, NULL);
}

void exit(int status)
{
	pv_poweroff(status);
}

void crash_with_frame(const struct pvisor_frame *frame)
{
	pv_events_disable();
	shutdown(PVISOR_SHUTDOWN_CRASH, 0, frame);
}

/* Crashes with a frame describing the caller of the function that called
 * this one (rip = inside the call instruction, rbp = the caller's frame
 * pointer), so the crash report's backtrace starts where the trouble is.
 * rip is the return address minus one: the calls that get here are to
 * noreturn functions, whose return address may lie past the end of the
 * calling function. Relies on frame pointers, which guest code keeps. */
static __attribute__((__noreturn__, __noinline__)) void crash_in_caller(void)
{
	uint64_t *own = __builtin_frame_address(0);
	uint64_t *fp = (uint64_t *)(uintptr_t)own[0];	/* the caller's frame */
	struct pvisor_frame frame = { 0 };

	frame.rip = fp[1] - 1;
	frame.rbp = fp[0];
	frame.rsp = (uint64_t)(uintptr_t)(fp + 2);
	frame.rflags = 0x202;
	frame.upcall_mask = 1;
	crash_with_frame(&frame);
}

void pv_panic(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	pv_events_disable();
	n = snprintf(buf, sizeof(buf), "pvisor-guest: panic: ");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	kprintf("%s\n", buf);
	crash_in_caller();
}

void abort(void)
{
	pv_events_disable();
	kprintf("pvisor-guest: abort() called in thread '%s'\n", current->name);
	crash_in_caller();
}

void __assert_fail(const char *expr, const char *file, int line, const char *func)
{
	pv_events_disable();
	kprintf("pvisor-guest: assertion failed: %s (%s:%d: %s) in thread '%s'\n",
		expr, file, line, func, current->name);
	crash_in_caller();
}

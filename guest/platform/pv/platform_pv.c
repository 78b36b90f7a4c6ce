/* platform_pv.c: the PV platform: the kernel at CPL3 on pvisor, where every
 * operation is a hypercall (docs/abi.md) and time comes from the PV clock
 * in the shared info page without any exit.
 *
 * The console, event channel, device and statistics hypercalls are also
 * what the hybrid platform uses (they work at CPL0 too). */
#include <errno.h>
#include <pv/hypercall.h>
#include "kernel/kernel.h"
#include "platform/platform.h"

/* arch/x86_64/pv_kick.S: the kick, a bare exit after which pvisor delivers pending
 * events (if upcall_mask is clear). */
void pv_kick_entry(void);
extern const char pv_kick_end[];

/* ---- Console ----------------------------------------------------------- */

/* One hypercall for up to PVISOR_CONSOLE_IO_MAX bytes; loops on partial
 * counts. Returns len, or the error of the first refused piece. */
long hypercall_console_write(const void *buf, size_t len)
{
	const char *p = buf;
	size_t left = len;

	while (left) {
		size_t chunk = left < PVISOR_CONSOLE_IO_MAX ? left : PVISOR_CONSOLE_IO_MAX;
		long n = hc_console_io(PVISOR_CONSOLE_WRITE, p, chunk);

		if (n < 0)
			return n;
		if (n == 0)
			return -EIO;
		p += n;
		left -= (size_t)n;
	}
	return (long)len;
}

long hypercall_console_read(void *buf, size_t len)
{
	if (len > PVISOR_CONSOLE_IO_MAX)
		len = PVISOR_CONSOLE_IO_MAX;
	return hc_console_io(PVISOR_CONSOLE_READ, buf, len);
}

/* Each console hypercall returns once the bytes are out. */
void no_console_flush(void)
{
}

/* pvisor lends the page-table pages (start info pt_pool_pages). */
static size_t no_table_pages(void)
{
	return 0;
}

/* ---- Time ----------------------------------------------------------------- */

static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	/* lfence keeps rdtsc from running ahead of the loads before it. */
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* System time by the formula in shared_info.h, read under its seqlock. */
static uint64_t pvclock_read(void)
{
	volatile struct pvisor_vcpu_time *t = &pv_vcpu0()->time;
	uint64_t tsc_timestamp, system_time, tsc, delta;
	uint32_t version, mul;
	int8_t shift;

	do {
		version = t->version;
		__asm__ volatile("" ::: "memory");
		tsc_timestamp = t->tsc_timestamp;
		system_time = t->system_time;
		mul = t->tsc_to_system_mul;
		shift = t->tsc_shift;
		tsc = rdtsc_ordered();
		__asm__ volatile("" ::: "memory");
	} while ((version & 1) || version != t->version);

	delta = tsc > tsc_timestamp ? tsc - tsc_timestamp : 0;
	if (shift >= 0)
		delta <<= shift;
	else
		delta >>= -shift;
	return system_time + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/* The wall clock at system time 0, under its own seqlock. */
static void pv_wallclock_base(uint64_t *sec, uint32_t *nsec)
{
	volatile struct pvisor_shared_info *si = SHARED_INFO;
	uint32_t version;

	do {
		version = si->wc_version;
		__asm__ volatile("" ::: "memory");
		*sec = si->wc_sec;
		*nsec = si->wc_nsec;
		__asm__ volatile("" ::: "memory");
	} while ((version & 1) || version != si->wc_version);
}

static void hypercall_set_timer(uint64_t deadline)
{
	hc_set_timer(deadline);
}

static void hypercall_block(uint64_t deadline)
{
	hc_sched_op(PVISOR_SCHED_BLOCK, deadline, 0, 0);
}

/* ---- Events ----------------------------------------------------------------- */

static long hypercall_upcall_register(void (*entry)(void))
{
	return hc_callback_op(PVISOR_CALLBACK_UPCALL, (unsigned long)entry, 0, 0);
}

long hypercall_evtchn_op(unsigned int cmd, unsigned long a, unsigned long b)
{
	return hc_evtchn_op(cmd, a, b);
}

static int no_irq_bind(unsigned int irq, pv_event_handler_t fn, void *arg)
{
	(void)irq;
	(void)fn;
	(void)arg;
	return -ENODEV;
}

/* ---- Memory, traps, devices ------------------------------------------------------ */

static long hypercall_mmu_update(const struct pvisor_mmu_update *reqs, size_t n, uint64_t *done)
{
	return hc_mmu_update(reqs, n, done);
}

static long hypercall_memory_op(unsigned int cmd, const uint64_t *pfns, size_t n)
{
	return hc_memory_op(cmd, pfns, n);
}

static long hypercall_trap_register(void (*entry)(void), uintptr_t alt_stack_top,
			     uint64_t vector_mask)
{
	return hc_callback_op(PVISOR_CALLBACK_TRAP, (unsigned long)entry, alt_stack_top,
			      vector_mask);
}

long hypercall_device_op(unsigned int cmd, unsigned int index)
{
	return hc_device_op(cmd, index);
}

/* ---- The end, statistics ----------------------------------------------------------- */

static void hypercall_shutdown(unsigned int reason, unsigned int status,
			const struct pvisor_frame *frame)
{
	for (;;)
		hc_sched_op(PVISOR_SCHED_SHUTDOWN, reason, status, (unsigned long)frame);
}

uint64_t hypercall_exits(void)
{
	return (uint64_t)pv_hypercall1(PVISOR_HC_VCPU_INFO, PVISOR_VCPU_INFO_EXITS);
}

/* pvisor has set everything up: tables, clock, masked events. */
static void pv_init(const struct pvisor_start_info *si)
{
	(void)si;
}

const struct platform_ops platform_pv = {
	.name = "pv",
	.init = pv_init,
	.console_write = hypercall_console_write,
	.console_read = hypercall_console_read,
	.console_flush = no_console_flush,
	.clock_ns = pvclock_read,
	.wallclock_base = pv_wallclock_base,
	.set_timer = hypercall_set_timer,
	.block = hypercall_block,
	.upcall_register = hypercall_upcall_register,
	.evtchn_op = hypercall_evtchn_op,
	.kick_entry = pv_kick_entry,
	.kick_window_end = pv_kick_end,
	.irq_bind = no_irq_bind,
	.has_irq_controller = false,
	.mmu_update = hypercall_mmu_update,
	.memory_op = hypercall_memory_op,
	.trap_register = hypercall_trap_register,
	.device_op = hypercall_device_op,
	.shutdown = hypercall_shutdown,
	.exits = hypercall_exits,
	.table_pages = no_table_pages,
};

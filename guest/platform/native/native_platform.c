/* native_platform.c: the native platform's three operation tables
 * (platform.h), for a kernel entered at CPL0 on pvisor's emulated PC
 * (docs/full-virt.md):
 *
 *   hybrid  pvisor's interface is offered for devices only: the shared
 *           info page, event channels (ports raised by pvisor arrive as
 *           IRQ 5), virtio devices, and the console hypercall for early
 *           output; everything else is the kernel's own.
 *   full    no pvisor interface: the shared info page is RAM the kernel
 *           owns, ports are local, the console is the UART.
 *   native  full mode's machine on a PC that is not pvisor's (QEMU's),
 *           entered through PVH (pvh_boot.c); only the end differs.
 *
 * Both run on their own GDT, IDT and page tables, take interrupts through
 * the LAPIC and IOAPIC, tell time with the TSC calibrated on the PIT and
 * the CMOS clock, time out with PIT channel 0 and idle in hlt. What differs is only what the machine offers. */
#include <errno.h>
#include <string.h>
#include <pv/io.h>
#include <pvisor/platform.h>
#include "native.h"
#include "kernel/kernel.h"
#include "pc.h"

static uint64_t wallclock_sec;	/* UTC at clock 0 */
static bool ending;		/* shutdown has begun */

/* ---- Bring-up ------------------------------------------------------------------ */

static volatile struct pvisor_shared_info *shared(void)
{
	return (volatile struct pvisor_shared_info *)PVISOR_SHARED_INFO_GVA;
}

/* CPU tables, memory and interrupt controllers; interrupts stay off. */
static void cpu_init(const struct pvisor_start_info *si)
{
	shared()->vcpu_info[0].upcall_mask = 1;
	native_gdt_init();
	native_idt_init();
	native_paging_init(si->nr_pages);
	pic_mask_all();
	lapic_init(NATIVE_VECTOR_SPURIOUS);
}

/* The clocks; then interrupts on (events stay masked until the kernel is
 * ready: until then an interrupt only marks its port). */
static void time_init(void)
{
	uint64_t rtc;

	tsc_calibrate();
	rtc = rtc_unix_seconds();
	wallclock_sec = rtc - tsc_clock_ns() / 1000000000ull;
	__asm__ volatile("sti" ::: "memory");
}

/* Full mode: the shared info page is the kernel's own, starting empty;
 * the UART comes first, so that a panic during bring-up is seen. */
static void full_init(const struct pvisor_start_info *si)
{
	memset((void *)shared(), 0, sizeof(struct pvisor_shared_info));
	uart_init();
	cpu_init(si);
	native_irq_init(local_evtchn_op);
	time_init();
}

/* Hybrid mode: ports come from pvisor, which raises IRQ 5 for them. */
static void hybrid_init(const struct pvisor_start_info *si)
{
	cpu_init(si);
	native_irq_init(hypercall_evtchn_op);
	native_irq_reserve_for_events(PVISOR_IRQ_EVENTS);
	time_init();
}

/* ---- Time ----------------------------------------------------------------------- */

static void native_wallclock_base(uint64_t *sec, uint32_t *nsec)
{
	*sec = wallclock_sec;
	*nsec = 0;
}

/* sti's one-instruction shadow makes "unmasked, nothing pending, halt"
 * atomic: an interrupt arriving meanwhile ends the hlt. */
static void native_block(uint64_t deadline)
{
	volatile struct pvisor_vcpu_info *v = pv_vcpu0();

	native_timer_arm_for_block(deadline);
	__asm__ volatile("cli" ::: "memory");
	__atomic_store_n((uint8_t *)&v->upcall_mask, 0, __ATOMIC_SEQ_CST);
	if (v->upcall_pending) {
		__asm__ volatile("sti" ::: "memory");
		platform_kick();
	} else {
		__asm__ volatile("sti; hlt" ::: "memory");
	}
}

/* ---- Events, memory, devices --------------------------------------------------- */

/* The stubs call upcall_handler() themselves. */
static long native_upcall_register(void (*entry)(void))
{
	(void)entry;
	return 0;
}

static long no_memory_op(unsigned int cmd, const uint64_t *pfns, size_t n)
{
	(void)cmd;
	(void)pfns;
	(void)n;
	return -ENOSYS;
}

static long no_device_op(unsigned int cmd, unsigned int index)
{
	(void)cmd;
	(void)index;
	return -ENODEV;
}

static uint64_t no_exits(void)
{
	return 0;
}

/* ---- The end ------------------------------------------------------------------------ */

static uint32_t exit_reason(unsigned int reason)
{
	switch (reason) {
	case PVISOR_SHUTDOWN_REBOOT:	return PVISOR_EXITPORT_REBOOT;
	case PVISOR_SHUTDOWN_CRASH:	return PVISOR_EXITPORT_CRASH;
	default:			return PVISOR_EXITPORT_POWEROFF;
	}
}

/* The exit port write. rdi holds the crash frame's address (0 if none),
 * for a hypervisor that wants to report from it as SCHED_SHUTDOWN's frame
 * argument allows in PV mode; docs/full-virt.md does not ask for it yet. */
static void exit_port(uint32_t value, const struct pvisor_frame *frame)
{
	__asm__ volatile("outl %0, %w1"
			 : : "a"(value), "d"(PVISOR_EXIT_PORT), "D"(frame) : "memory");
}

/* Interrupts off, a crash report first (once: a fault while reporting
 * just ends), every console byte out. */
static void end_begin(unsigned int reason, unsigned int status,
		      const struct pvisor_frame *frame)
{
	__asm__ volatile("cli" ::: "memory");
	if (reason == PVISOR_SHUTDOWN_CRASH && !ending) {
		ending = true;
		native_crash_report(frame, status);
	}
	ending = true;
	platform->console_flush();
}

static __attribute__((__noreturn__)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

/* pvisor's PC: out through the exit port. */
static void full_shutdown(unsigned int reason, unsigned int status,
			  const struct pvisor_frame *frame)
{
	end_begin(reason, status, frame);
	exit_port(exit_reason(reason) << PVISOR_EXITPORT_REASON_SHIFT |
		  (status & PVISOR_EXITPORT_STATUS_MASK), frame);
	halt_forever();
}

/* Another PC (QEMU's): poweroff writes the status to isa-debug-exit (QEMU
 * then exits with (status << 1) | 1), a crash writes 126, the exit status
 * `pvisor run` gives a crashed guest (PVISOR_EXIT_CRASH); without that
 * device, ACPI S5 through the PM1a control register at SeaBIOS's PM base
 * (the status is lost). Reboot resets through the PIIX/ICH reset control
 * register, then the keyboard controller. */
#define PC_DEBUG_EXIT_PORT	0xf4
#define PC_RESET_CONTROL	0xcf9
#define PC_RESET_HARD		0x06
#define PC_KBC_COMMAND		0x64
#define PC_KBC_PULSE_RESET	0xfe
#define PC_ACPI_PM1A_CNT	0x604
#define PC_ACPI_SLEEP_S5	0x2000	/* SLP_EN, SLP_TYP 0 (QEMU's _S5) */
#define PC_CRASH_STATUS		126

static void pc_shutdown(unsigned int reason, unsigned int status,
			const struct pvisor_frame *frame)
{
	end_begin(reason, status, frame);
	if (reason == PVISOR_SHUTDOWN_REBOOT) {
		outb(PC_RESET_CONTROL, PC_RESET_HARD);
		outb(PC_KBC_COMMAND, PC_KBC_PULSE_RESET);
	} else {
		if (reason == PVISOR_SHUTDOWN_CRASH)
			status = PC_CRASH_STATUS;
		outb(PC_DEBUG_EXIT_PORT, (uint8_t)status);
		outw(PC_ACPI_PM1A_CNT, PC_ACPI_SLEEP_S5);
	}
	halt_forever();
}

/* ---- The tables ------------------------------------------------------------------------
 * Both native platforms run the CPU the same way: own tables, PIT and TSC
 * time, the IOAPIC, own page tables. They differ only in where the console
 * and the devices are (hypercall + virtio vs UART + emulated hardware). */

#define NATIVE_CPU_OPS \
	.clock_ns = tsc_clock_ns, \
	.wallclock_base = native_wallclock_base, \
	.set_timer = native_set_timer, \
	.block = native_block, \
	.upcall_register = native_upcall_register, \
	.evtchn_op = native_evtchn_op, \
	.kick_entry = native_kick_entry, \
	.kick_window_end = native_kick_window_end, \
	.irq_bind = native_irq_bind, \
	.has_irq_controller = true, \
	.mmu_update = native_mmu_update, \
	.memory_op = no_memory_op, \
	.trap_register = native_trap_register, \
	.table_pages = native_table_pages

/* The PC's own devices, where pvisor's interface is absent: the UART for
 * the console, no PV devices, no exit counter. */
#define NATIVE_PC_DEVICE_OPS \
	.init = full_init, \
	.console_write = uart_write, \
	.console_read = uart_read, \
	.console_flush = uart_flush, \
	.device_op = no_device_op, \
	.exits = no_exits

const struct platform_ops platform_hybrid = {
	.name = "hybrid",
	.init = hybrid_init,
	.console_write = hypercall_console_write,
	.console_read = hypercall_console_read,
	.console_flush = no_console_flush,
	.device_op = hypercall_device_op,
	.exits = hypercall_exits,
	.shutdown = full_shutdown,
	NATIVE_CPU_OPS,
};

const struct platform_ops platform_full = {
	.name = "full",
	.shutdown = full_shutdown,
	NATIVE_PC_DEVICE_OPS,
	NATIVE_CPU_OPS,
};

/* Full mode's machine, but not pvisor's: entered through PVH. */
const struct platform_ops platform_native = {
	.name = "native",
	.shutdown = pc_shutdown,
	NATIVE_PC_DEVICE_OPS,
	NATIVE_CPU_OPS,
};

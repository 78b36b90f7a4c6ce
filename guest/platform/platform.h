/* platform.h: the paravirt-ops table. Everything the kernel asks of the
 * machine it runs on goes through `platform`, installed once at boot
 * (platform.c) after detecting which machine this is:
 *
 *   pv      pvisor at CPL3: hypercalls, upcalls, PV clock and MMU
 *           (guest/platform/pv/platform_pv.c)
 *   hybrid  CPL0 with the kernel's own tables and emulated timer and
 *           interrupt controller, plus pvisor's event channels and virtio
 *           devices (guest/platform/native/native_platform.c)
 *   full    CPL0, emulated PC hardware only (the same file)
 *   native  the same kernel on a PC that is not pvisor's, entered through
 *           the PVH boot protocol (native/pvh_boot.c): full mode's CPU and
 *           devices, PCI-discovered NICs, the end through isa-debug-exit
 *
 * No other kernel file knows which one runs: they call these operations
 * (or the pv_* functions built on them). The event model is the same on
 * all three: upcall_mask/upcall_pending and the pending/mask bitmaps of
 * the shared info page at PVISOR_SHARED_INFO_GVA (in full mode that page is
 * ordinary RAM the kernel owns), and every interrupt, hypercall-raised or
 * hardware, ends in upcall_handler(). */
#ifndef PV_PLATFORM_PLATFORM_H
#define PV_PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pvisor/pvisor.h>
#include <pv/events.h>

struct platform_ops {
	const char *name;		/* "pv", "hybrid", "full" or "native" */

	/* Brings the platform up; called first thing, on the boot stack,
	 * events masked, before anything else of the kernel runs. */
	void (*init)(const struct pvisor_start_info *si);

	/* ---- The console of last resort: kernel diagnostics, and everything
	 * when there is no virtio console (drivers/vconsole.c). */
	long (*console_write)(const void *buf, size_t len);	/* len or -errno */
	/* Never blocks: bytes read, 0 at end of input, -EAGAIN if none yet.
	 * VIRQ_CONSOLE is raised when input arrives. */
	long (*console_read)(void *buf, size_t len);
	void (*console_flush)(void);		/* every byte has left the guest */

	/* ---- Time. */
	uint64_t (*clock_ns)(void);		/* ns since boot (time.c keeps it monotonic) */
	void (*wallclock_base)(uint64_t *sec, uint32_t *nsec);	/* UTC at clock 0 */
	/* One-shot timer raising VIRQ_TIMER at deadline (clock ns; 0 cancels).
	 * It may fire early: the timer code re-programs. */
	void (*set_timer)(uint64_t deadline);
	/* Sleeps until an event is pending or the deadline (0: none) passes,
	 * atomically with clearing upcall_mask; returns with events unmasked
	 * and whatever was pending delivered. */
	void (*block)(uint64_t deadline);

	/* ---- Events. */
	long (*upcall_register)(void (*entry)(void));
	long (*evtchn_op)(unsigned int cmd, unsigned long a, unsigned long b);
	/* Assembly routine, entered with `call`: delivers the pending events
	 * now if upcall_mask is clear. Preserves every register and the
	 * flags (frame_restore relies on it). An upcall can arrive inside it
	 * only in [kick_entry, kick_window_end), where the return address is
	 * at [rsp] (guest/kernel/restore_fold.c relies on that). */
	void (*kick_entry)(void);
	const void *kick_window_end;
	/* Hardware interrupt lines (pv/irq.h); -ENODEV without a controller. */
	int (*irq_bind)(unsigned int irq, pv_event_handler_t fn, void *arg);
	bool has_irq_controller;

	/* ---- Memory (docs/abi.md section 5 semantics). */
	long (*mmu_update)(const struct pvisor_mmu_update *reqs, size_t n, uint64_t *done);
	long (*memory_op)(unsigned int cmd, const uint64_t *pfns, size_t n);

	/* ---- Exceptions: vectors in mask go to trap_handler(), on the
	 * faulting stack or, when that is not writable, on alt_stack_top. */
	long (*trap_register)(void (*entry)(void), uintptr_t alt_stack_top, uint64_t vector_mask);

	/* ---- PV devices on the device page (pv/device.h). */
	long (*device_op)(unsigned int cmd, unsigned int index);

	/* ---- The end: reason PVISOR_SHUTDOWN_*, status for poweroff; a crash
	 * with a frame reports that context. Never returns. */
	void (*shutdown)(unsigned int reason, unsigned int status,
			 const struct pvisor_frame *frame);

	/* Exits this vCPU has taken so far; 0 when the machine cannot tell. */
	uint64_t (*exits)(void);

	/* Pages of page tables taken from the page allocator (pv/mm.h). */
	size_t (*table_pages)(void);
};

extern const struct platform_ops *platform;

/* platform->kick_entry, where assembly can call it without a register. */
extern void (*platform_kick_entry)(void);

/* Delivers pending events now if events are unmasked. */
static inline void platform_kick(void)
{
	__asm__ volatile("call *%0" : : "m"(platform_kick_entry) : "memory");
}

/* platform.c: detects the machine and installs its operations. */
void platform_install(const struct pvisor_start_info *si);

/* The four implementations: pv/platform_pv.c and
 * native/native_platform.c. */
extern const struct platform_ops platform_pv;
extern const struct platform_ops platform_hybrid;
extern const struct platform_ops platform_full;
extern const struct platform_ops platform_native;

/* Set by native/pvh_boot.c before kernel_start(): the kernel came in
 * through the PVH entry, so the PC is not pvisor's. */
extern bool platform_pvh_entered;

/* pv/platform_pv.c: hypercall-based operations the hybrid platform shares. */
long hypercall_console_write(const void *buf, size_t len);
long hypercall_console_read(void *buf, size_t len);
long hypercall_evtchn_op(unsigned int cmd, unsigned long a, unsigned long b);
long hypercall_device_op(unsigned int cmd, unsigned int index);
uint64_t hypercall_exits(void);
void no_console_flush(void);

#endif

/* native.h: the pieces of the native platform (hybrid and full mode: the
 * kernel at CPL0 with its own descriptor tables, page tables and interrupt
 * stubs; docs/full-virt.md is the machine), shared between its files.
 * Usable from assembly for the constants. */
#ifndef PV_PLATFORM_NATIVE_H
#define PV_PLATFORM_NATIVE_H

/* Selectors of the kernel's GDT (the boot loader's are the same values). */
#define NATIVE_CS		0x08
#define NATIVE_DS		0x10
#define NATIVE_TSS		0x18

/* Vectors: 0-31 exceptions, ISA IRQ n at 0x20 + n, the LAPIC's spurious
 * vector, and the vector number frames built by the kick carry. */
#define NATIVE_NR_EXCEPTIONS	32
#define NATIVE_VECTOR_IRQ0	0x20
#define NATIVE_NR_IRQS		16
#define NATIVE_VECTOR_KICK	0x81
#define NATIVE_VECTOR_SPURIOUS	0xff
/* native_stub_table (native_entry.S): exceptions, IRQs, spurious. */
#define NATIVE_NR_STUBS		(NATIVE_NR_EXCEPTIONS + NATIVE_NR_IRQS + 1)

/* Interrupt stack table slots of the TSS. */
#define NATIVE_IST_FATAL	1	/* #DF, NMI, #MC: always a crash */
#define NATIVE_IST_PAGE_FAULT	2	/* #PF: works even on a broken stack */

#ifndef __ASSEMBLY__

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pvisor/pvisor.h>
#include <pv/events.h>

/* native_entry.S */
extern const uint64_t native_stub_table[NATIVE_NR_STUBS];
void native_kick_entry(void);
extern const char native_kick_window_end[];	/* after pushfq; cli */

/* native_gdt.c: GDT, TSS and interrupt stacks, loaded. */
void native_gdt_init(void);
bool native_on_page_fault_stack(uintptr_t addr);

/* native_idt.c: the IDT, loaded. */
void native_idt_init(void);

/* native_paging.c: the kernel's own page tables. */
void native_paging_init(uint64_t nr_pages);
long native_mmu_update(const struct pvisor_mmu_update *reqs, size_t n, uint64_t *done);
bool native_va_writable(uintptr_t va);
size_t native_table_pages(void);	/* taken from the page allocator */

/* native_vectors.c: the C side of every stub. Returns the frame to
 * deliver (where it must be: it may have to move) or NULL to resume the
 * interrupted code as it was. */
struct pvisor_frame *native_dispatch(struct pvisor_frame *frame);

/* native_trap.c: exceptions. */
long native_trap_register(void (*entry)(void), uintptr_t alt_stack_top, uint64_t vector_mask);
struct pvisor_frame *native_exception(struct pvisor_frame *frame);

/* native_irq.c: ISA IRQs and virtual IRQs as event ports. ports_op is
 * where ports come from: pvisor's event channels (hybrid) or
 * local_evtchn_op (full). */
void native_irq_init(long (*ports_op)(unsigned int cmd, unsigned long a, unsigned long b));
void native_irq_reserve_for_events(unsigned int irq);
long native_evtchn_op(unsigned int cmd, unsigned long a, unsigned long b);
int native_irq_bind(unsigned int irq, pv_event_handler_t fn, void *arg);
void native_irq(unsigned int irq);
void native_virq_raise(unsigned int virq);

/* native_evtchn.c: raising a port in the shared info page, and the local
 * event channels of a machine without pvisor (full mode). */
void native_port_raise(unsigned int port);
long local_evtchn_op(unsigned int cmd, unsigned long a, unsigned long b);

/* native_timer.c: the platform timer on PIT channel 0. */
void native_set_timer(uint64_t deadline);
void native_timer_arm_for_block(uint64_t deadline);
void native_timer_fired(void);

/* native_crash.c: the crash report natively printed by the guest. */
void native_crash_report(const struct pvisor_frame *frame, unsigned int status);

#endif /* __ASSEMBLY__ */
#endif

/* pv/trap.h: page-fault handlers.
 *
 * The kernel takes page faults (vector 14) itself, on the faulting stack or,
 * when that is not writable, on a 16 KiB alternate stack. For each fault it
 *   1. kills the current thread if the fault is a stack overflow (see
 *      pv/thread.h);
 *   2. asks the registered handlers: first those whose range contains the
 *      fault address, then the global ones, each in registration order;
 *      the first to return PV_FAULT_HANDLED resumes the faulting context
 *      (as the handler left the frame: it may change registers and rip);
 *   3. otherwise ends the domain with a crash report made from the frame.
 * Other exceptions are not routed to the guest: the hypervisor reports
 * them as a crash (natively, the kernel prints that report itself). The
 * error code has PV_PF_USER set on every platform: the program runs at
 * the kernel's privilege level, CPL3 in PV mode.
 *
 * Handlers run with events masked, on the faulting thread's stack or the
 * alternate stack; they may map pages (pv/mm.h) and print, but not block.
 * The compiler does not know that a memory access can run a handler:
 * variables a handler changes must be volatile to be seen after the access. */
#ifndef PV_TRAP_H
#define PV_TRAP_H

#include <stdint.h>
#include <pvisor/pvisor.h>

#define PV_FAULT_UNHANDLED	0
#define PV_FAULT_HANDLED	1

/* Page-fault error code bits (frame->error_code). */
#define PV_PF_PRESENT	(1u << 0)	/* protection violation, not a missing page */
#define PV_PF_WRITE	(1u << 1)
#define PV_PF_USER	(1u << 2)
#define PV_PF_RSVD	(1u << 3)
#define PV_PF_INSTR	(1u << 4)

/* frame->cr2 is the fault address, frame->error_code the PV_PF_* bits. */
typedef int (*pv_fault_handler_t)(struct pvisor_frame *frame, void *arg);

#define PV_FAULT_HANDLERS_MAX 16

/* Registers fn for faults at addresses in [start, end), or for every
 * fault when start == end == 0. Returns a handle >= 0, or -EINVAL /
 * -ENOSPC. */
int pv_fault_handler_add(uintptr_t start, uintptr_t end, pv_fault_handler_t fn, void *arg);
int pv_fault_handler_remove(int handle);

/* Number of page faults handled so far (by any means but a crash). */
uint64_t pv_fault_count(void);

#endif

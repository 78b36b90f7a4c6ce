/* hypercall.h: hypercall numbers and the arguments of each.
 *
 * Register names give the argument position (rdi, rsi, rdx, r10, r8); the
 * result is in rax. Every hypercall returns -PVISOR_ENOSYS for an unknown
 * number or sub-command and -PVISOR_EFAULT when a pointer argument does not
 * name guest memory mapped with the access the call needs. */
#ifndef PVISOR_HYPERCALL_H
#define PVISOR_HYPERCALL_H

#include "abi.h"

/* PVISOR_HC_VERSION(cmd) -> value.
 *   cmd PVISOR_VERSION_ABI: returns PVISOR_ABI_VERSION.
 *   cmd PVISOR_VERSION_FEATURES: returns the PVISOR_FEAT_* bits.
 * Also the cheapest hypercall: benchmarks use it as the null hypercall. */
#define PVISOR_HC_VERSION         0
#define PVISOR_VERSION_ABI        0
#define PVISOR_VERSION_FEATURES   1

/* PVISOR_HC_CONSOLE_IO(cmd, gva buf, len) -> bytes.
 *   PVISOR_CONSOLE_WRITE: writes min(len, PVISOR_CONSOLE_IO_MAX) bytes from
 *     buf to the console in one piece and returns that count. The whole
 *     range is checked before anything is written: -PVISOR_EFAULT writes
 *     nothing.
 *   PVISOR_CONSOLE_READ: copies up to len (at most PVISOR_CONSOLE_IO_MAX)
 *     bytes of pending input into buf; returns the count, 0 at end of input,
 *     -PVISOR_EAGAIN when no input is pending. VIRQ_CONSOLE fires when input
 *     arrives. */
#define PVISOR_HC_CONSOLE_IO      1
#define PVISOR_CONSOLE_WRITE      0
#define PVISOR_CONSOLE_READ       1
#define PVISOR_CONSOLE_IO_MAX     65536u

/* PVISOR_HC_SCHED_OP(cmd, ...) -> 0.
 *   PVISOR_SCHED_YIELD: gives up the physical CPU; returns 0.
 *   PVISOR_SCHED_BLOCK(deadline): clears this vCPU's upcall_mask and sleeps
 *     until an event is pending on the vCPU or system time reaches deadline
 *     (ns, PV clock; 0 = no deadline). Returns 0 at once if an event is
 *     already pending. Clearing the mask and checking happen atomically
 *     with respect to event delivery, so no wakeup is lost. Pending events
 *     are delivered as an upcall on return.
 *   PVISOR_SCHED_SHUTDOWN(reason, status, gva frame): ends the domain.
 *     reason PVISOR_SHUTDOWN_POWEROFF: pvisor exits with status & 0xff.
 *     reason PVISOR_SHUTDOWN_REBOOT: the domain restarts from its image.
 *     reason PVISOR_SHUTDOWN_CRASH: pvisor prints a crash report; if frame
 *       is not 0 it names a struct pvisor_frame (callback.h) describing the
 *       faulting context, which the report uses. Does not return. */
#define PVISOR_HC_SCHED_OP        2
#define PVISOR_SCHED_YIELD        0
#define PVISOR_SCHED_BLOCK        1
#define PVISOR_SCHED_SHUTDOWN     2
#define PVISOR_SHUTDOWN_POWEROFF  0
#define PVISOR_SHUTDOWN_REBOOT    1
#define PVISOR_SHUTDOWN_CRASH     2

/* PVISOR_HC_SET_TIMER(deadline) -> 0.
 *   One-shot timer: at system time deadline (ns, PV clock) VIRQ_TIMER is
 *   raised. A deadline in the past fires at once; 0 cancels. Setting a new
 *   deadline replaces the old one. */
#define PVISOR_HC_SET_TIMER       3

/* PVISOR_HC_EVENT_CHANNEL_OP(cmd, a, b) -> port or 0. See event_channel.h. */
#define PVISOR_HC_EVENT_CHANNEL_OP 4

/* PVISOR_HC_MMU_UPDATE(gva reqs, count, gva done) -> 0. See mmu.h. */
#define PVISOR_HC_MMU_UPDATE      5

/* PVISOR_HC_MEMORY_OP(cmd, gva pfns, count) -> pages done. See memory.h. */
#define PVISOR_HC_MEMORY_OP       6

/* PVISOR_HC_CALLBACK_OP(cmd, ...) -> 0. See callback.h. */
#define PVISOR_HC_CALLBACK_OP     7

/* PVISOR_HC_VCPU_INFO(cmd) -> value. Facts the hypervisor keeps per vCPU:
 *   PVISOR_VCPU_INFO_TIME: system time in ns, as the PV clock gives it;
 *     exists so that reading time through an exit can be measured against
 *     the PV clock (guests should use the PV clock).
 *   PVISOR_VCPU_INFO_EXITS: exits of this vCPU so far, including doorbell
 *     writes that KVM handled in the kernel (benchmarks count
 *     exits per operation with it). */
#define PVISOR_HC_VCPU_INFO       8
#define PVISOR_VCPU_INFO_TIME     0
#define PVISOR_VCPU_INFO_EXITS    1

/* PVISOR_HC_DEVICE_OP(cmd, device) -> 0. See device.h. */
#define PVISOR_HC_DEVICE_OP       9

#define PVISOR_HC_COUNT           10

#endif

/* pv/kernel.h: the guest kernel's view of its domain: start info, command
 * line, shutdown.
 *
 * A program is an ordinary `int main(int argc, char **argv)`. The kernel
 * boots, starts main in the "main" thread (priority PV_PRIO_DEFAULT) with
 * argv[0] = "guest" and the start-info command line split on spaces, and
 * powers the domain off with main's return value as the exit status. */
#ifndef PV_KERNEL_H
#define PV_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include <pvisor/pvisor.h>

/* A copy of the start info page, taken before anything else ran. */
const struct pvisor_start_info *pv_start_info(void);

/* The argument vector main() received (argv[argc] is NULL). */
int pv_argc(void);
char **pv_argv(void);

/* End the domain: pvisor exits with status & 0xff. exit() is the same. */
__attribute__((__noreturn__)) void pv_poweroff(int status);

/* Restart the domain from its image. */
__attribute__((__noreturn__)) void pv_reboot(void);

/* The toolstack's requests (`pvisor shutdown` / `pvisor reboot`, which
 * arrive as VIRQ_CONTROL with PVISOR_CONTROL_POWEROFF or _REBOOT). By
 * default the kernel powers off with status 0 or reboots at once. A
 * program that must finish something first installs a handler: it runs
 * in event context (pv/events.h: short, never blocks), typically posts a
 * semaphore its own thread waits on, and that thread ends the domain when
 * it is ready. If nobody does, the toolstack destroys the domain after its
 * grace period. NULL restores the default. */
typedef void (*pv_control_handler_t)(unsigned int request);
void pv_on_control_request(pv_control_handler_t handler);

/* Print "pvisor-guest: panic: MESSAGE" and end the domain with a crash
 * report whose registers are those of the caller. */
__attribute__((__noreturn__, __format__(__printf__, 1, 2)))
void pv_panic(const char *fmt, ...);

/* The machine this kernel found at boot: "pv" (pvisor, paravirtualized),
 * "hybrid" (CPL0 on an emulated PC with pvisor's virtio devices) or "full"
 * (CPL0, emulated PC hardware only). docs/guest.md, "One binary, three
 * platforms". For messages and tests; programs need not care. */
const char *pv_platform_name(void);

/* Exits this vCPU has taken so far (hypercalls, doorbells, port I/O): the
 * unit of virtualization cost. 0 when the machine cannot tell (full mode). */
uint64_t pv_vcpu_exits(void);

/* Stack size of the main thread. A program may define this variable to get a
 * different size (bytes; rounded up to pages): const size_t pv_main_stack_size
 * = 1 << 20; */
extern const size_t pv_main_stack_size;

#endif

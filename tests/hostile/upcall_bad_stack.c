/* pvisor-test: exit=0 timeout=60 */
/* upcall_bad_stack.c (hostile): an event due while rsp points into the
 * hypervisor's half of the address space. With events masked, the timer
 * event is made pending; then, with no stack in use, rsp moves to
 * PVISOR_GUEST_VA_END + 1 MiB, events are unmasked and three kicks (bare
 * exits) ask the hypervisor to deliver. It must not write the upcall frame
 * there (the guest may not write that half; guest_copy_to checks before a
 * byte moves), must not crash the domain or spin: the event stays pending
 * (docs/abi.md §6). The upcall count is read before rsp comes back: no
 * upcall may have run. Once the stack is good again, the event arrives. */
#define TEST_NAME "upcall_bad_stack"
#include <stdint.h>
#include <pv/hypercall.h>
#include "kernel/thread_internal.h"	/* sched_stats: the live upcall count */
#include "pvtest.h"

static uint64_t upcalls(void)
{
	struct pv_sched_stats s;

	pv_sched_stats(&s);
	return s.upcalls;
}

int main(void)
{
	volatile struct pvisor_vcpu_info *vi = pv_vcpu0();
	uint64_t before, during, deadline;
	unsigned long flags;

	flags = pv_events_disable();
	before = upcalls();
	CHECK(hc_set_timer(pv_clock_ns() + PV_NSEC_PER_MSEC) == 0, "SET_TIMER failed");
	deadline = pv_clock_ns() + 10 * PV_NSEC_PER_SEC;
	while (!vi->upcall_pending && pv_clock_ns() < deadline)
		;
	CHECK(vi->upcall_pending, "the timer event never became pending");
	__asm__ volatile("mov %%rsp, %%r12\n\t"
			 "mov %[bad], %%rsp\n\t"
			 "movb $0, (%[mask])\n\t"
			 "outb %%al, %[kick]\n\t"
			 "outb %%al, %[kick]\n\t"
			 "outb %%al, %[kick]\n\t"
			 "mov (%[count]), %[during]\n\t"
			 "movb $1, (%[mask])\n\t"
			 "mov %%r12, %%rsp"
			 : [during] "=&r"(during)
			 : [bad] "r"(PVISOR_GUEST_VA_END + (1ul << 20)), [mask] "r"(&vi->upcall_mask),
			   [kick] "i"(PVISOR_PORT_KICK), [count] "r"(&sched_stats.upcalls)
			 : "r12", "memory");
	CHECK(during == before, "an upcall ran while rsp was in the hypervisor's half (%llu -> %llu)",
	      (unsigned long long)before, (unsigned long long)during);
	CHECK(vi->upcall_pending, "the event was consumed without an upcall");
	pv_events_restore(flags);	/* unmasks and kicks: delivered now */
	CHECK(upcalls() > before, "the deferred event was not delivered on the good stack");
	return test_pass();
}

/* pvisor-test: exit=126 stderr=guest crashed stderr=page fault */
/* unmapped_stack.c (hostile): a page fault with nowhere to deliver it.
 * The trap entry is re-registered without an alternate stack, then rsp is
 * pointed at unmapped memory and a push faults: the frame cannot be
 * written on the faulting stack and there is no alternate stack, so the
 * hypervisor must end the domain with a crash report. */
#include <stdio.h>
#include <pv/hypercall.h>

void trap_entry(void);		/* guest/arch/x86_64/entry.S */

int main(void)
{
	long r = hc_callback_op(PVISOR_CALLBACK_TRAP, (unsigned long)trap_entry, 0,
				1ul << 14);

	printf("unmapped_stack: re-registered the trap entry without a stack: %ld\n", r);
	__asm__ volatile("mov %0, %%rsp\n\tpush %%rax" : : "r"(0xdead0000000ull) : "memory");
	printf("FAIL unmapped_stack: survived a push to an unmapped stack\n");
	return 1;
}

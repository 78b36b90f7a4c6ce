/* pvisor-test: exit=126 stderr=guest crashed stderr=no writable stack */
/* readonly_stack.c (hostile): a trap frame aimed at memory the guest may
 * only read. A page of the guest's own is mapped read-only, the trap entry
 * is re-registered without an alternate stack, rsp is pointed at the top
 * of that page, and a read of unmapped memory faults. Delivering the fault
 * means writing a frame below rsp: the hypervisor writes with its own
 * mapping of guest RAM, so it must check the guest's write permission
 * itself (guest_copy_to), find none, and end the domain with a crash
 * report, never write the frame into a page the guest cannot write (a
 * page table, mapped read-only, would otherwise be the target). */
#include <stdio.h>
#include <string.h>
#include <pv/hypercall.h>
#include <pv/mm.h>

void trap_entry(void);		/* guest/arch/x86_64/entry.S */

int main(void)
{
	unsigned char *frame = pv_pages_alloc(1);
	unsigned char *ro = pv_vmap_reserve(1);
	long r;

	if (!frame || !ro) {
		printf("FAIL readonly_stack: allocation failed\n");
		return 1;
	}
	memset(frame, 0x5a, PV_PAGE_SIZE);
	if (pv_map_range(ro, pv_virt_to_pfn(frame), 1, PV_MAP_READ) != 0 || ro[100] != 0x5a) {
		printf("FAIL readonly_stack: cannot map the page read-only\n");
		return 1;
	}
	r = hc_callback_op(PVISOR_CALLBACK_TRAP, (unsigned long)trap_entry, 0, 1ul << 14);
	printf("readonly_stack: re-registered the trap entry without a stack: %ld\n", r);
	__asm__ volatile("mov %0, %%rsp\n\tmov 0x10, %%rax"
			 : : "r"(ro + PV_PAGE_SIZE) : "rax", "memory");
	printf("FAIL readonly_stack: survived a fault with a read-only stack\n");
	return 1;
}

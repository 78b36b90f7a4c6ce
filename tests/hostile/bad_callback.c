/* pvisor-test: exit=0 */
/* bad_callback.c (hostile): callback entry points and alternate trap
 * stacks outside the guest's half of the address space are refused with
 * -EINVAL (as are vector masks beyond vector 31), an unknown callback
 * command with -ENOSYS; the refused calls change nothing, so upcalls and
 * traps still reach the kernel afterwards. */
#define TEST_NAME "bad_callback"
#include <errno.h>
#include <pv/hypercall.h>
#include "pvtest.h"

void trap_entry(void);

static long trap_cb(uint64_t entry, uint64_t stack, uint64_t mask)
{
	return hc_callback_op(PVISOR_CALLBACK_TRAP, entry, stack, mask);
}

static volatile int faults;

static int fault_fixer(struct pvisor_frame *frame, void *arg)
{
	faults++;
	return pv_map_range((void *)(frame->cr2 & ~(PV_PAGE_SIZE - 1)),
			    pv_virt_to_pfn(arg), 1, PV_MAP_WRITE) ? PV_FAULT_UNHANDLED :
			    PV_FAULT_HANDLED;
}

int main(void)
{
	uint64_t kernel_half = 0xffff800000000000ull, hv = 0xffffff8000000000ull;
	uint64_t entry = (uintptr_t)trap_entry;
	volatile uint64_t *probe = pv_vmap_reserve(1);
	void *frame = pv_pages_alloc(1);
	long r;

	r = hc_callback_op(PVISOR_CALLBACK_UPCALL, kernel_half, 0, 0);
	CHECK(r == -EINVAL, "upcall entry in the upper half returned %ld", r);
	r = hc_callback_op(PVISOR_CALLBACK_UPCALL, hv + 0x5000, 0, 0);
	CHECK(r == -EINVAL, "upcall entry in the hv area returned %ld", r);
	r = hc_callback_op(PVISOR_CALLBACK_UPCALL, PVISOR_GUEST_VA_END, 0, 0);
	CHECK(r == -EINVAL, "upcall entry at PVISOR_GUEST_VA_END returned %ld", r);
	CHECK(trap_cb(kernel_half, 0, 1ul << 14) == -EINVAL, "trap entry in the upper half accepted");
	CHECK(trap_cb(entry, kernel_half + 0x1000, 1ul << 14) == -EINVAL,
	      "alternate stack in the upper half accepted");
	CHECK(trap_cb(entry, PVISOR_GUEST_VA_END + 4096, 1ul << 14) == -EINVAL,
	      "alternate stack above PVISOR_GUEST_VA_END accepted");
	CHECK(trap_cb(entry, 0x1000, 1ul << 40) == -EINVAL, "vector mask bit 40 accepted");
	r = hc_callback_op(7, entry, 0, 0);
	CHECK(r == -ENOSYS, "unknown callback command returned %ld", r);

	/* Upcalls still arrive (the timer), and page faults still reach us. */
	pv_sleep_ms(3);
	CHECK(probe && frame, "allocation failed");
	CHECK(pv_fault_handler_add(0, 0, fault_fixer, frame) >= 0, "handler add failed");
	probe[1] = 5;
	CHECK(faults == 1 && probe[1] == 5, "page fault did not reach the kernel");
	return test_pass();
}

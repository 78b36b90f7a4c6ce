/* pvisor-test: exit=0 */
/* bad_pointers.c (hostile): pointer arguments that do not name guest
 * memory with the needed access are refused with -EFAULT and nothing
 * happens: console writes from NULL, an unmapped address, the hypervisor's
 * half of the address space, a range that wraps around 2^64 and a range
 * running off the end of RAM; console reads into read-only memory; MMU and
 * memory ops with bad request, result and pfn-array pointers. */
#define TEST_NAME "bad_pointers"
#include <errno.h>
#include <pv/hypercall.h>
#include "pvtest.h"

static const char readonly_buf[64] = "this is .rodata";

static int expect_efault(const char *what, long r)
{
	CHECK(r == -EFAULT, "%s returned %ld, expected -EFAULT", what, r);
	return 0;
}

int main(void)
{
	const struct pvisor_start_info *si = pv_start_info();
	uint64_t ram_end = si->nr_pages * PV_PAGE_SIZE;
	struct pvisor_mmu_update req;
	uint64_t pfn;
	int bad = 0;

	bad |= expect_efault("write from NULL",
			     hc_console_io(PVISOR_CONSOLE_WRITE, NULL, 10));
	bad |= expect_efault("write from an unmapped address",
			     hc_console_io(PVISOR_CONSOLE_WRITE, (void *)0xdead0000000ull, 16));
	bad |= expect_efault("write from the upper half",
			     hc_console_io(PVISOR_CONSOLE_WRITE, (void *)0xffff800000000000ull, 16));
	bad |= expect_efault("write from the top of the address space",
			     hc_console_io(PVISOR_CONSOLE_WRITE, (void *)0xfffffffffffff000ull, 16));
	bad |= expect_efault("write wrapping around 2^64",
			     hc_console_io(PVISOR_CONSOLE_WRITE, (void *)(~0ull - 10), 100));
	bad |= expect_efault("write running off the end of RAM",
			     hc_console_io(PVISOR_CONSOLE_WRITE, (void *)(ram_end - 8), 64));
	bad |= expect_efault("write from the unmapped page 0",
			     hc_console_io(PVISOR_CONSOLE_WRITE, (void *)0x10, 8));
	bad |= expect_efault("read into .rodata",
			     hc_console_io(PVISOR_CONSOLE_READ, readonly_buf, sizeof(readonly_buf)));
	bad |= expect_efault("read into the hypercall page",
			     hc_console_io(PVISOR_CONSOLE_READ,
					   (void *)PVISOR_HYPERCALL_PAGE_GVA, 16));

	bad |= expect_efault("MMU_UPDATE with requests at NULL", hc_mmu_update(NULL, 1, NULL));
	bad |= expect_efault("MMU_UPDATE with requests in the upper half",
			     hc_mmu_update((void *)0xffff800000001000ull, 1, NULL));
	req.va = (uintptr_t)pv_vmap_reserve(1);
	req.pte = pv_pte(pv_virt_to_pfn(pv_pages_alloc(1)), PV_MAP_WRITE);
	bad |= expect_efault("MMU_UPDATE with `done` in .rodata",
			     hc_mmu_update(&req, 1, (uint64_t *)readonly_buf));
	bad |= expect_efault("MEMORY_OP with pfns at an unmapped address",
			     hc_memory_op(PVISOR_MEM_DECREASE_RESERVATION,
					  (void *)0xdead0000000ull, 1));
	pfn = 0;
	bad |= expect_efault("MEMORY_OP with pfns wrapping around",
			     hc_memory_op(PVISOR_MEM_INCREASE_RESERVATION,
					  (void *)(~0ull - 3), 1));
	(void)pfn;
	if (bad)
		return 1;
	CHECK(pv_console_write("bad_pointers: console still works\n", 34) == 34,
	      "console broke");
	return test_pass();
}

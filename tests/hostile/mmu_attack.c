/* pvisor-test: exit=0 */
/* mmu_attack.c (hostile): page-table updates that would give the guest what
 * is not its own are refused: a writable mapping of a hypervisor frame (the
 * hypervisor area at guest-physical 64 GiB, the page-table pool at 65 GiB)
 * -EPERM; frames beyond RAM, virtual addresses in the upper half or below
 * PVISOR_GUEST_VA_MIN, unaligned addresses, reserved PTE bits and
 * non-present non-zero PTEs -EINVAL; oversized batches -E2BIG. A batch stops
 * at its first bad request and reports how many were applied. */
#define TEST_NAME "mmu_attack"
#include <errno.h>
#include <pv/hypercall.h>
#include "pvtest.h"

#define HV_AREA_PFN 0x1000000ull	/* guest-physical 0x1000000000 (hv/core/layout.h) */
#define PT_POOL_PFN 0x1040000ull	/* guest-physical 0x1040000000 */
#define P PVISOR_PTE_P
#define W PVISOR_PTE_W

static long one(uint64_t va, uint64_t pte)
{
	struct pvisor_mmu_update req = { va, pte };

	return hc_mmu_update(&req, 1, NULL);
}

#define EXPECT(va, pte, err, what)						\
	do {									\
		long r_ = one((va), (pte));					\
		CHECK(r_ == (err), "%s returned %ld, expected %d", (what), r_, (err)); \
	} while (0)

int main(void)
{
	uint64_t va = (uintptr_t)pv_vmap_reserve(4), nr = pv_start_info()->nr_pages;
	uint64_t good = pv_virt_to_pfn(pv_pages_alloc(1));
	struct pvisor_mmu_update batch[3];
	uint64_t done = 99;
	long r;

	CHECK(va && good, "allocation failed");
	EXPECT(va, (HV_AREA_PFN << 12) | P | W, -EPERM, "writable map of the hypervisor area");
	EXPECT(va, ((HV_AREA_PFN + 2) << 12) | P | W, -EPERM, "writable map of the TSS");
	r = one(va, (PT_POOL_PFN << 12) | P | W);
	CHECK(r == -EPERM || r == -EINVAL, "writable map of the page-table pool returned %ld", r);
	EXPECT(va, (nr << 12) | P, -EINVAL, "map of the first frame beyond RAM");
	EXPECT(va, ((HV_AREA_PFN - 1) << 12) | P, -EINVAL, "map of a frame below the hv area");
	EXPECT(va, PVISOR_PTE_FRAME | P, -EINVAL, "map of the highest frame number");
	EXPECT(0xffff800000000000ull, (good << 12) | P, -EINVAL, "map in the upper half");
	EXPECT(0x0000800000000000ull, (good << 12) | P, -EINVAL, "map at the first non-guest va");
	EXPECT(0xffffff8000000000ull, (good << 12) | P | W, -EINVAL, "map over the hv area va");
	EXPECT(0, (good << 12) | P, -EINVAL, "map at va 0");
	EXPECT(va + 8, (good << 12) | P, -EINVAL, "map at an unaligned va");
	EXPECT(va, (good << 12) | P | (1ull << 7), -EINVAL, "PTE with the PS bit");
	EXPECT(va, (good << 12) | P | (1ull << 8), -EINVAL, "PTE with the G bit");
	EXPECT(va, (good << 12) | P | (1ull << 3), -EINVAL, "PTE with the PWT bit");
	EXPECT(va, (good << 12) | P | (1ull << 55), -EINVAL, "PTE with bit 55");
	EXPECT(va, (good << 12) | W, -EINVAL, "non-present non-zero PTE");

	r = hc_mmu_update(batch, PVISOR_MMU_BATCH_MAX + 1ul, NULL);
	CHECK(r == -E2BIG, "oversized batch returned %ld", r);

	batch[0] = (struct pvisor_mmu_update){ va, (good << 12) | P | W };
	batch[1] = (struct pvisor_mmu_update){ va + 4096, (HV_AREA_PFN << 12) | P | W };
	batch[2] = (struct pvisor_mmu_update){ va + 8192, (good << 12) | P | W };
	r = hc_mmu_update(batch, 3, &done);
	CHECK(r == -EPERM, "mixed batch returned %ld, expected -EPERM", r);
	CHECK(done == 1, "mixed batch applied %lu, expected 1", done);
	*(volatile uint64_t *)va = 77;
	CHECK(*(volatile uint64_t *)pv_pfn_to_virt(good) == 77, "the good request did not apply");
	CHECK(pv_unmap_pages((void *)va, 1) == 0, "unmap failed");
	return test_pass();
}

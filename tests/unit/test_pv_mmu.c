/* test_pv_mmu.c: validation and bookkeeping of PV MMU updates (pv_mmu.c,
 * pagetable.c) on a plain buffer, without KVM. */
#include <stdint.h>
#include <stdlib.h>

#include <pvisor/errno.h>
#include <pvisor/mmu.h>

#include "check.h"
#include "core/layout.h"
#include "core/pv_mmu.h"

#define NR_PAGES 1024
#define POOL_PAGES 16

static struct pv_mmu mmu;
static void *pool;

static void setup(uint64_t pool_pages)
{
	free(pool);
	pool = aligned_alloc(PAGE_SIZE, pool_pages * PAGE_SIZE);
	pv_mmu_destroy(&mmu);
	if (pv_mmu_init(&mmu, pool, PT_AREA_GPA, pool_pages, NR_PAGES) < 0)
		abort();
}

static uint64_t ram_pte(uint64_t pfn)
{
	return (pfn << PAGE_SHIFT) | PVISOR_PTE_P | PVISOR_PTE_W;
}

static int map(uint64_t va, uint64_t pte, bool *flush)
{
	int rc = pv_mmu_check(&mmu, va, pte);

	return rc ? rc : pv_mmu_set(&mmu, va, pte, flush);
}

static void rejects_bad_virtual_addresses(void)
{
	setup(POOL_PAGES);
	CHECK_EQ(pv_mmu_check(&mmu, 0x400001, ram_pte(5)), -PVISOR_EINVAL);
	CHECK_EQ(pv_mmu_check(&mmu, 0, ram_pte(5)), -PVISOR_EINVAL);
	CHECK_EQ(pv_mmu_check(&mmu, PVISOR_GUEST_VA_END, ram_pte(5)), -PVISOR_EINVAL);
	CHECK_EQ(pv_mmu_check(&mmu, HV_AREA_VA, ram_pte(5)), -PVISOR_EINVAL);
	CHECK_EQ(pv_mmu_check(&mmu, 0xffffffffffff000ull, 0), -PVISOR_EINVAL);
	CHECK_EQ(pv_mmu_check(&mmu, PVISOR_GUEST_VA_END - PAGE_SIZE, ram_pte(5)), 0);
}

static void rejects_bad_entries(void)
{
	setup(POOL_PAGES);
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, ram_pte(5) | (1ull << 7)), -PVISOR_EINVAL); /* PS */
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, ram_pte(5) | (1ull << 8)), -PVISOR_EINVAL); /* G */
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, ram_pte(5) | (1ull << 3)), -PVISOR_EINVAL); /* PWT */
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, ram_pte(5) | (1ull << 52)), -PVISOR_EINVAL);
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, ram_pte(5) & ~PVISOR_PTE_P), -PVISOR_EINVAL);
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, ram_pte(NR_PAGES)), -PVISOR_EINVAL);
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, ram_pte(NR_PAGES - 1) | PVISOR_PTE_NX), 0);
}

static void hypervisor_frames_only_read_only(void)
{
	setup(POOL_PAGES);
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, HV_AREA_GPA | PVISOR_PTE_P | PVISOR_PTE_W), -PVISOR_EPERM);
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, PT_AREA_GPA | PVISOR_PTE_P | PVISOR_PTE_W), -PVISOR_EPERM);
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, HV_AREA_GPA | PVISOR_PTE_P), 0);
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, PT_AREA_GPA | PVISOR_PTE_P), 0);
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, (PT_AREA_GPA + POOL_PAGES * PAGE_SIZE) | PVISOR_PTE_P),
		 -PVISOR_EINVAL);
}

static void flush_only_when_present_entry_changes(void)
{
	bool flush = false;

	setup(POOL_PAGES);
	CHECK_EQ(map(0x400000, ram_pte(5), &flush), 0);
	CHECK(!flush);
	CHECK_EQ(pt_lookup(&mmu.pool, 0x400000) & PTE_FRAME_MASK, 5 << PAGE_SHIFT);
	CHECK(pt_lookup(&mmu.pool, 0x400000) & PTE_U);
	CHECK_EQ(map(0x400000, ram_pte(5), &flush), 0);
	CHECK(!flush);
	CHECK_EQ(map(0x400000, ram_pte(6), &flush), 0);
	CHECK(flush);
	flush = false;
	CHECK_EQ(map(0x400000, 0, &flush), 0);
	CHECK(flush);
	CHECK_EQ(pt_lookup(&mmu.pool, 0x400000), 0);
	flush = false;
	CHECK_EQ(map(0x800000, 0, &flush), 0);  /* unmapping nothing */
	CHECK(!flush);
}

static void map_counts_follow_entries(void)
{
	bool flush = false;

	setup(POOL_PAGES);
	map(0x400000, ram_pte(7), &flush);
	map(0x401000, ram_pte(7), &flush);
	CHECK_EQ(mmu.mapcount[7], 2);
	map(0x401000, ram_pte(8), &flush);
	CHECK_EQ(mmu.mapcount[7], 1);
	CHECK_EQ(mmu.mapcount[8], 1);
	map(0x400000, 0, &flush);
	CHECK_EQ(mmu.mapcount[7], 0);
}

static void balloon_needs_unmapped_pages(void)
{
	bool flush = false;

	setup(POOL_PAGES);
	map(0x400000, ram_pte(9), &flush);
	CHECK_EQ(pv_mmu_decrease(&mmu, 9), -PVISOR_EBUSY);
	map(0x400000, 0, &flush);
	CHECK_EQ(pv_mmu_decrease(&mmu, 9), 0);
	CHECK_EQ(mmu.ballooned_pages, 1);
	CHECK_EQ(pv_mmu_decrease(&mmu, 9), -PVISOR_EINVAL);
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, ram_pte(9)), -PVISOR_ENOENT);
	CHECK_EQ(pv_mmu_increase(&mmu, 9), 0);
	CHECK_EQ(pv_mmu_increase(&mmu, 9), -PVISOR_EINVAL);
	CHECK_EQ(pv_mmu_check(&mmu, 0x400000, ram_pte(9)), 0);
	CHECK_EQ(pv_mmu_decrease(&mmu, NR_PAGES), -PVISOR_EINVAL);
	CHECK_EQ(pv_mmu_decrease(&mmu, PVISOR_SHARED_INFO_GVA >> PAGE_SHIFT), -PVISOR_EPERM);
}

static void pool_exhaustion_is_an_error(void)
{
	bool flush = false;
	int rc = 0;

	setup(4);
	/* Each 512 GiB apart: every map needs three new tables. */
	for (uint64_t i = 1; i < 8 && rc == 0; i++)
		rc = map(i << 39, ram_pte(1), &flush);
	CHECK_EQ(rc, -PVISOR_ENOMEM);
	CHECK(mmu.pool.used <= mmu.pool.pages);
	CHECK_EQ(map(1ull << 39, 0, &flush), 0);
}

int main(void)
{
	RUN(rejects_bad_virtual_addresses);
	RUN(rejects_bad_entries);
	RUN(hypervisor_frames_only_read_only);
	RUN(flush_only_when_present_entry_changes);
	RUN(map_counts_follow_entries);
	RUN(balloon_needs_unmapped_pages);
	RUN(pool_exhaustion_is_an_error);
	pv_mmu_destroy(&mmu);
	free(pool);
	CHECK_EXIT();
}

/* pv_mmu.c: validation and bookkeeping of guest page-table updates. */
#include <stdlib.h>

#include <pvisor/errno.h>
#include <pvisor/mmu.h>

#include "core/layout.h"
#include "core/pv_mmu.h"

int pv_mmu_init(struct pv_mmu *mmu, void *pool_host, uint64_t pool_gpa, uint64_t pool_pages,
		uint64_t nr_pages)
{
	pt_pool_init(&mmu->pool, pool_host, pool_gpa, pool_pages);
	mmu->nr_pages = nr_pages;
	mmu->pt_gpa_end = pool_gpa + pool_pages * PAGE_SIZE;
	mmu->mapcount = calloc(nr_pages, sizeof(*mmu->mapcount));
	mmu->ballooned = calloc(nr_pages, 1);
	mmu->ballooned_pages = 0;
	mmu->max_pages = nr_pages;
	mmu->protected_pfn = PVISOR_SHARED_INFO_GVA >> PAGE_SHIFT;
	if (!mmu->mapcount || !mmu->ballooned) {
		pv_mmu_destroy(mmu);
		return -1;
	}
	return 0;
}

void pv_mmu_destroy(struct pv_mmu *mmu)
{
	free(mmu->mapcount);
	free(mmu->ballooned);
	mmu->mapcount = NULL;
	mmu->ballooned = NULL;
}

static bool is_hypervisor_frame(const struct pv_mmu *mmu, uint64_t gpa)
{
	return (gpa >= HV_AREA_GPA && gpa < HV_AREA_GPA + HV_AREA_SIZE) ||
	       (gpa >= mmu->pool.gpa && gpa < mmu->pt_gpa_end);
}

static int check_frame(const struct pv_mmu *mmu, uint64_t pte)
{
	uint64_t gpa = pte & PVISOR_PTE_FRAME;
	uint64_t pfn = gpa >> PAGE_SHIFT;

	if (pfn < mmu->nr_pages)
		return mmu->ballooned[pfn] ? -PVISOR_ENOENT : 0;
	if (is_hypervisor_frame(mmu, gpa))
		return (pte & PVISOR_PTE_W) ? -PVISOR_EPERM : 0;
	return -PVISOR_EINVAL;
}

int pv_mmu_check(const struct pv_mmu *mmu, uint64_t va, uint64_t pte)
{
	if (va & (PAGE_SIZE - 1) || va < PVISOR_GUEST_VA_MIN || va >= PVISOR_GUEST_VA_END)
		return -PVISOR_EINVAL;
	if (pte == 0)
		return 0;
	if ((pte & ~PVISOR_PTE_ALLOWED) || !(pte & PVISOR_PTE_P))
		return -PVISOR_EINVAL;
	return check_frame(mmu, pte);
}

static void count_mapping(struct pv_mmu *mmu, uint64_t pte, int delta)
{
	uint64_t pfn = (pte & PTE_FRAME_MASK) >> PAGE_SHIFT;

	if ((pte & PTE_P) && pfn < mmu->nr_pages)
		mmu->mapcount[pfn] += delta;
}

int pv_mmu_set(struct pv_mmu *mmu, uint64_t va, uint64_t pte, bool *flush)
{
	uint64_t *entry = pt_leaf(&mmu->pool, va, pte != 0);
	uint64_t old;

	if (!entry)
		return pte ? -PVISOR_ENOMEM : 0;
	if (pte && !(va >> 63))
		pte |= PTE_U;
	old = *entry;
	if (old == pte)
		return 0;
	count_mapping(mmu, old, -1);
	count_mapping(mmu, pte, +1);
	*entry = pte;
	if (old & PTE_P)
		*flush = true;
	return 0;
}

int pv_mmu_decrease(struct pv_mmu *mmu, uint64_t pfn)
{
	if (pfn >= mmu->nr_pages || mmu->ballooned[pfn])
		return -PVISOR_EINVAL;
	if (pfn == mmu->protected_pfn)
		return -PVISOR_EPERM;
	if (mmu->mapcount[pfn])
		return -PVISOR_EBUSY;
	/* Atomic: device backends read these from their own threads. */
	__atomic_store_n(&mmu->ballooned[pfn], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mmu->ballooned_pages, 1, __ATOMIC_RELAXED);
	return 0;
}

int pv_mmu_increase(struct pv_mmu *mmu, uint64_t pfn)
{
	if (pfn >= mmu->nr_pages || !mmu->ballooned[pfn])
		return -PVISOR_EINVAL;
	if (mmu->nr_pages - mmu->ballooned_pages >= __atomic_load_n(&mmu->max_pages, __ATOMIC_RELAXED))
		return -PVISOR_ENOMEM;  /* held to its mem-max */
	__atomic_store_n(&mmu->ballooned[pfn], 0, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&mmu->ballooned_pages, 1, __ATOMIC_RELAXED);
	return 0;
}

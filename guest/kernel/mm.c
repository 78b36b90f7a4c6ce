/* mm.c: the PV MMU: building PTEs and applying batches of leaf-PTE updates
 * (platform.h mmu_update: PVISOR_HC_MMU_UPDATE in PV mode, one hypercall and
 * one TLB flush per batch; the kernel's own page tables natively). */
#include <errno.h>
#include "kernel.h"

uint64_t pv_pte(uint64_t pfn, unsigned int flags)
{
	uint64_t pte = (pfn << PV_PAGE_SHIFT) | PVISOR_PTE_P | PVISOR_PTE_A;

	if (flags & PV_MAP_WRITE)
		pte |= PVISOR_PTE_W | PVISOR_PTE_D;
	if (!(flags & PV_MAP_EXEC))
		pte |= PVISOR_PTE_NX;
	return pte;
}

int pv_mmu_update(const struct pvisor_mmu_update *reqs, size_t n, size_t *done)
{
	uint64_t applied = 0;
	long err = platform->mmu_update(reqs, n, &applied);

	if (done)
		*done = applied;
	return err < 0 ? (int)err : 0;
}

void pv_mmu_batch_init(struct pv_mmu_batch *b, struct pvisor_mmu_update *buf, size_t cap)
{
	b->reqs = buf;
	b->count = 0;
	b->cap = cap;
	b->error = 0;
	b->applied = 0;
}

int pv_mmu_batch_flush(struct pv_mmu_batch *b)
{
	size_t done = 0;
	int err;

	if (b->error || b->count == 0) {
		b->count = 0;
		return b->error;
	}
	err = pv_mmu_update(b->reqs, b->count, &done);
	b->applied += done;
	b->count = 0;
	if (err)
		b->error = err;
	return b->error;
}

int pv_mmu_batch_set(struct pv_mmu_batch *b, uintptr_t va, uint64_t pte)
{
	if (b->error)
		return b->error;
	if (b->count == b->cap && pv_mmu_batch_flush(b))
		return b->error;
	b->reqs[b->count].va = va;
	b->reqs[b->count].pte = pte;
	b->count++;
	return 0;
}

int pv_mmu_batch_map(struct pv_mmu_batch *b, uintptr_t va, uint64_t pfn, unsigned int flags)
{
	return pv_mmu_batch_set(b, va, pv_pte(pfn, flags));
}

int pv_mmu_batch_unmap(struct pv_mmu_batch *b, uintptr_t va)
{
	return pv_mmu_batch_set(b, va, 0);
}

/* The entries of n pages at va, in batches: page i maps frame pfns[i], or
 * first_pfn + i without pfns; with map false every page is unmapped. */
static int set_pages(void *va, size_t n, bool map, const uint64_t *pfns, uint64_t first_pfn,
		     unsigned int flags)
{
	struct pvisor_mmu_update buf[PV_MMU_CHUNK];
	struct pv_mmu_batch b;
	uintptr_t at = (uintptr_t)va;
	size_t i;

	if (at & (PV_PAGE_SIZE - 1))
		return -EINVAL;
	pv_mmu_batch_init(&b, buf, PV_MMU_CHUNK);
	for (i = 0; i < n; i++)
		pv_mmu_batch_set(&b, at + i * PV_PAGE_SIZE,
				 map ? pv_pte(pfns ? pfns[i] : first_pfn + i, flags) : 0);
	return pv_mmu_batch_flush(&b);
}

int pv_map_pages(void *va, const uint64_t *pfns, size_t n, unsigned int flags)
{
	return set_pages(va, n, true, pfns, 0, flags);
}

int pv_map_range(void *va, uint64_t first_pfn, size_t n, unsigned int flags)
{
	return set_pages(va, n, true, NULL, first_pfn, flags);
}

int pv_unmap_pages(void *va, size_t n)
{
	return set_pages(va, n, false, NULL, 0, 0);
}

/* vmap.c: the vmap area [PV_VMAP_START, PV_VMAP_END): address space with
 * nothing mapped at boot, handed out in page runs, and thread stacks built
 * in it.
 *
 * Free address space is a break pointer plus a small sorted table of
 * released extents (first fit, merged with their neighbours). Reusing low
 * addresses keeps the hypervisor's page-table pool usage down. If the table
 * is full a released extent is simply not reused. */
#include <errno.h>
#include "kernel.h"

#define VMAP_EXTENTS 256

struct extent {
	uintptr_t start;
	size_t pages;
};

static struct extent extents[VMAP_EXTENTS];	/* sorted by start */
static unsigned int nr_extents;
static uintptr_t vmap_brk = PV_VMAP_START;

static void extent_delete(unsigned int i)
{
	for (; i + 1 < nr_extents; i++)
		extents[i] = extents[i + 1];
	nr_extents--;
}

static uintptr_t extent_take(size_t npages)
{
	unsigned int i;

	for (i = 0; i < nr_extents; i++) {
		struct extent *e = &extents[i];
		uintptr_t va = e->start;

		if (e->pages < npages)
			continue;
		e->start += npages * PV_PAGE_SIZE;
		e->pages -= npages;
		if (e->pages == 0)
			extent_delete(i);
		return va;
	}
	return 0;
}

void *pv_vmap_reserve(size_t npages)
{
	unsigned long flags;
	uintptr_t va;

	if (npages == 0 || npages > (PV_VMAP_END - PV_VMAP_START) / PV_PAGE_SIZE)
		return NULL;
	flags = pv_events_disable();
	va = extent_take(npages);
	if (!va && PV_VMAP_END - vmap_brk >= npages * PV_PAGE_SIZE) {
		va = vmap_brk;
		vmap_brk += npages * PV_PAGE_SIZE;
	}
	pv_events_restore(flags);
	return (void *)va;
}

/* Inserts [start, start + pages) into the table, merging neighbours, and
 * gives the top extent back to the break. */
static void extent_insert(uintptr_t start, size_t pages)
{
	unsigned int i = 0, j;
	uintptr_t end = start + pages * PV_PAGE_SIZE;

	while (i < nr_extents && extents[i].start < start)
		i++;
	if (i > 0 && extents[i - 1].start + extents[i - 1].pages * PV_PAGE_SIZE == start) {
		extents[i - 1].pages += pages;
		if (i < nr_extents && extents[i].start == end) {
			extents[i - 1].pages += extents[i].pages;
			extent_delete(i);
		}
		i--;
	} else if (i < nr_extents && extents[i].start == end) {
		extents[i].start = start;
		extents[i].pages += pages;
	} else if (nr_extents < VMAP_EXTENTS) {
		for (j = nr_extents; j > i; j--)
			extents[j] = extents[j - 1];
		extents[i].start = start;
		extents[i].pages = pages;
		nr_extents++;
	} else {
		return;		/* table full: leak the address space */
	}
	if (i == nr_extents - 1 &&
	    extents[i].start + extents[i].pages * PV_PAGE_SIZE == vmap_brk) {
		vmap_brk = extents[i].start;
		nr_extents--;
	}
}

void pv_vmap_release(void *va, size_t npages)
{
	unsigned long flags;
	uintptr_t start = (uintptr_t)va;

	if (!va || npages == 0)
		return;
	if (start < PV_VMAP_START || start >= vmap_brk || start & (PV_PAGE_SIZE - 1))
		pv_panic("pv_vmap_release(%p): not vmap address space", va);
	flags = pv_events_disable();
	extent_insert(start, npages);
	pv_events_restore(flags);
}

/* ---- Thread stacks ----------------------------------------------------------
 * [guard page, unmapped][pages mapped RW+NX to contiguous frames]. */
int stack_alloc(size_t pages, uintptr_t *guard, uintptr_t *lo, uint64_t *pfn)
{
	uintptr_t va = (uintptr_t)pv_vmap_reserve(pages + 1);
	void *frames;
	int err;

	if (!va)
		return -ENOMEM;
	frames = pv_pages_alloc(pages);
	if (!frames) {
		pv_vmap_release((void *)va, pages + 1);
		return -ENOMEM;
	}
	err = pv_map_range((void *)(va + PV_PAGE_SIZE), pv_virt_to_pfn(frames), pages,
			   PV_MAP_WRITE);
	if (err) {
		pv_unmap_pages((void *)(va + PV_PAGE_SIZE), pages);
		pv_pages_free(frames, pages);
		pv_vmap_release((void *)va, pages + 1);
		return err;
	}
	*guard = va;
	*lo = va + PV_PAGE_SIZE;
	*pfn = pv_virt_to_pfn(frames);
	return 0;
}

void stack_free(uintptr_t guard, size_t pages, uint64_t pfn)
{
	int err = pv_unmap_pages((void *)(guard + PV_PAGE_SIZE), pages);

	if (err)
		pv_panic("cannot unmap a thread stack at %#lx (error %d)",
			 (unsigned long)guard, err);
	pv_pages_free(pv_pfn_to_virt(pfn), pages);
	pv_vmap_release((void *)guard, pages + 1);
}

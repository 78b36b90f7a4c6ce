/* pages.c: the physical page allocator and the C library's memory hooks.
 *
 * Manages the free RAM pfns [first_free_pfn, nr_pages) the start info
 * hands over, with one bit per page (1 = in use). The bitmap itself
 * occupies the first pages of that range. Every page is usable at its
 * identity address (pfn << 12). Allocations are first fit from a moving
 * hint; multi-page allocations are physically contiguous. */
#include <string.h>
#include "kernel.h"

static uint64_t *bitmap;
static uint64_t base_pfn, nr_managed, nr_free, hint;

static bool bit_test(uint64_t i)
{
	return (bitmap[i / 64] >> (i % 64)) & 1;
}

static void bit_set(uint64_t i)
{
	bitmap[i / 64] |= 1ull << (i % 64);
}

static void bit_clear(uint64_t i)
{
	bitmap[i / 64] &= ~(1ull << (i % 64));
}

void pages_init(uint64_t first_free_pfn, uint64_t nr_pages)
{
	uint64_t n, bitmap_pages, i;

	if (first_free_pfn >= nr_pages)
		pv_panic("no free memory (first free pfn %#lx, %lu pages)",
			 (unsigned long)first_free_pfn, (unsigned long)nr_pages);
	n = nr_pages - first_free_pfn;
	bitmap_pages = (n + 8 * PV_PAGE_SIZE - 1) / (8 * PV_PAGE_SIZE);
	if (bitmap_pages >= n)
		pv_panic("too little free memory (%lu pages)", (unsigned long)n);
	bitmap = pv_pfn_to_virt(first_free_pfn);
	memset(bitmap, 0, bitmap_pages * PV_PAGE_SIZE);
	base_pfn = first_free_pfn;
	nr_managed = n;
	nr_free = n;
	for (i = 0; i < bitmap_pages; i++)
		bit_set(i);
	nr_free -= bitmap_pages;
	/* Bits past the end stay "used" so the word scan never hands them out. */
	for (i = n; i % 64; i++)
		bit_set(i);
	hint = bitmap_pages;
}

/* First index >= from whose bit is clear, or nr_managed. */
static uint64_t next_free(uint64_t from)
{
	while (from < nr_managed) {
		uint64_t word = bitmap[from / 64] | ((1ull << (from % 64)) - 1);

		if (~word)
			return from / 64 * 64 + (uint64_t)__builtin_ctzll(~word);
		from = (from / 64 + 1) * 64;
	}
	return nr_managed;
}

/* A run of n clear bits starting in [from, limit), or nr_managed. */
static uint64_t find_run(uint64_t from, uint64_t limit, uint64_t n)
{
	uint64_t start = next_free(from), len;

	while (start < limit && start + n <= nr_managed) {
		for (len = 1; len < n && !bit_test(start + len); len++)
			;
		if (len == n)
			return start;
		start = next_free(start + len);
	}
	return nr_managed;
}

void *pv_pages_alloc(size_t npages)
{
	unsigned long flags;
	uint64_t start, i;

	if (npages == 0)
		return NULL;
	flags = pv_events_disable();
	if (npages > nr_free) {
		pv_events_restore(flags);
		return NULL;
	}
	start = find_run(hint, nr_managed, npages);
	if (start == nr_managed)
		start = find_run(0, hint, npages);
	if (start == nr_managed) {
		pv_events_restore(flags);
		return NULL;
	}
	for (i = 0; i < npages; i++)
		bit_set(start + i);
	nr_free -= npages;
	hint = start + npages;
	pv_events_restore(flags);
	return pv_pfn_to_virt(base_pfn + start);
}

void pv_pages_free(void *p, size_t npages)
{
	uint64_t first = pv_virt_to_pfn(p), i;
	unsigned long flags;

	if (!p || first < base_pfn || first - base_pfn + npages > nr_managed)
		pv_panic("pv_pages_free(%p, %zu): not allocator memory", p, npages);
	flags = pv_events_disable();
	for (i = first - base_pfn; i < first - base_pfn + npages; i++) {
		if (!bit_test(i))
			pv_panic("pv_pages_free: pfn %#lx is not allocated",
				 (unsigned long)(base_pfn + i));
		bit_clear(i);
	}
	nr_free += npages;
	if (first - base_pfn < hint)
		hint = first - base_pfn;
	pv_events_restore(flags);
}

size_t pv_pages_free_count(void)
{
	return nr_free;
}

size_t pv_pages_managed(void)
{
	return nr_managed;
}

size_t pv_page_table_pages(void)
{
	return platform->table_pages();
}

/* ---- C library hooks (override guest/lib's weak defaults) ------------------ */

void *__pages_alloc(unsigned long npages)
{
	return pv_pages_alloc(npages);
}

void __pages_free(void *p, unsigned long npages)
{
	pv_pages_free(p, npages);
}

/* malloc's lock is the event mask (one vCPU). It nests: only the outermost
 * unlock restores the mask the outermost lock found. */
static unsigned int malloc_depth;
static unsigned long malloc_saved_mask;

void __malloc_lock(void)
{
	unsigned long old = pv_events_disable();

	if (malloc_depth++ == 0)
		malloc_saved_mask = old;
}

void __malloc_unlock(void)
{
	if (malloc_depth == 0)
		pv_panic("__malloc_unlock without __malloc_lock");
	if (--malloc_depth == 0)
		pv_events_restore(malloc_saved_mask);
}

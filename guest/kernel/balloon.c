/* balloon.c: giving RAM back to the hypervisor and taking it back
 * (PVISOR_HC_MEMORY_OP), the basis of ballooning.
 *
 * Giving a page back: remove every mapping of it first (the hypervisor
 * refuses a mapped page with -EBUSY), here its identity mapping, then
 * DECREASE_RESERVATION. Taking it back: INCREASE_RESERVATION (the page
 * reads as zero), then restore the identity mapping.
 *
 * pv_balloon_inflate() takes pages from the allocator and remembers their
 * pfns in a list of page-sized chunks (themselves ordinary pages). */
#include <errno.h>
#include "kernel.h"

#define CHUNK_PFNS ((PV_PAGE_SIZE - 2 * sizeof(void *)) / sizeof(uint64_t))
#define OP_BATCH 256

struct balloon_chunk {
	struct balloon_chunk *next;
	uint64_t count;
	uint64_t pfns[CHUNK_PFNS];
};

_Static_assert(sizeof(struct balloon_chunk) <= PV_PAGE_SIZE, "chunk fits a page");

static struct balloon_chunk *chunks;
static size_t balloon_pages;

long pv_memory_op(unsigned int cmd, const uint64_t *pfns, size_t n)
{
	return platform->memory_op(cmd, pfns, n);
}

/* Sets the identity mapping of each pfn to RW+NX (map) or nothing. */
static int identity_set(const uint64_t *pfns, size_t n, bool map)
{
	struct pvisor_mmu_update buf[OP_BATCH];
	struct pv_mmu_batch b;
	size_t i;

	pv_mmu_batch_init(&b, buf, OP_BATCH);
	for (i = 0; i < n; i++) {
		uintptr_t va = (uintptr_t)pv_pfn_to_virt(pfns[i]);

		if (map)
			pv_mmu_batch_map(&b, va, pfns[i], PV_MAP_WRITE);
		else
			pv_mmu_batch_unmap(&b, va);
	}
	return pv_mmu_batch_flush(&b);
}

/* One MEMORY_OP per OP_BATCH pfns. Returns the number of pages done; when
 * that is less than n, *err is the error of the first page that failed. */
static size_t memory_op_all(unsigned int cmd, const uint64_t *pfns, size_t n, int *err)
{
	size_t done = 0;

	*err = 0;
	while (done < n) {
		size_t chunk = n - done < OP_BATCH ? n - done : OP_BATCH;
		long r = pv_memory_op(cmd, pfns + done, chunk);

		if (r < 0) {
			*err = (int)r;
			break;
		}
		if (r == 0) {
			*err = -EIO;
			break;
		}
		done += (size_t)r;
	}
	return done;
}

/* Unmap, then DECREASE. On failure everything is put back as it was. */
static int give_back(const uint64_t *pfns, size_t n)
{
	size_t given;
	int err = identity_set(pfns, n, false), ignored;

	if (err) {
		identity_set(pfns, n, true);
		return err;
	}
	given = memory_op_all(PVISOR_MEM_DECREASE_RESERVATION, pfns, n, &err);
	if (given == n)
		return 0;
	memory_op_all(PVISOR_MEM_INCREASE_RESERVATION, pfns, given, &ignored);
	identity_set(pfns, n, true);
	return err;
}

/* INCREASE, then map what was taken back. */
static int take_back(const uint64_t *pfns, size_t n)
{
	int err;
	size_t taken = memory_op_all(PVISOR_MEM_INCREASE_RESERVATION, pfns, n, &err);
	int map_err = taken ? identity_set(pfns, taken, true) : 0;

	return err ? err : map_err;
}

static int for_each_batch(void *p, size_t npages, int (*op)(const uint64_t *, size_t))
{
	uint64_t pfns[OP_BATCH], first = pv_virt_to_pfn(p);
	size_t done = 0, i;

	if ((uintptr_t)p & (PV_PAGE_SIZE - 1))
		return -EINVAL;
	while (done < npages) {
		size_t n = npages - done < OP_BATCH ? npages - done : OP_BATCH;
		int err;

		for (i = 0; i < n; i++)
			pfns[i] = first + done + i;
		err = op(pfns, n);
		if (err)
			return err;
		done += n;
	}
	return 0;
}

int pv_balloon_release(void *p, size_t npages)
{
	return for_each_batch(p, npages, give_back);
}

int pv_balloon_reclaim(void *p, size_t npages)
{
	return for_each_batch(p, npages, take_back);
}

/* ---- The balloon ---------------------------------------------------------- */

static struct balloon_chunk *chunk_with_room(void)
{
	struct balloon_chunk *c = chunks;

	if (c && c->count < CHUNK_PFNS)
		return c;
	c = pv_pages_alloc(1);
	if (!c)
		return NULL;
	c->next = chunks;
	c->count = 0;
	chunks = c;
	return c;
}

static long inflate(size_t npages)
{
	size_t done = 0;
	int err = 0;

	while (done < npages && !err) {
		struct balloon_chunk *c = chunk_with_room();
		size_t room, n = 0;

		if (!c) {
			err = -ENOMEM;
			break;
		}
		room = CHUNK_PFNS - c->count;
		if (room > OP_BATCH)
			room = OP_BATCH;
		while (n < room && done + n < npages) {
			void *page = pv_pages_alloc(1);

			if (!page)
				break;
			c->pfns[c->count + n++] = pv_virt_to_pfn(page);
		}
		if (n == 0) {
			err = -ENOMEM;
		} else if ((err = give_back(&c->pfns[c->count], n)) != 0) {
			while (n)
				pv_pages_free(pv_pfn_to_virt(c->pfns[c->count + --n]), 1);
		} else {
			c->count += n;
			balloon_pages += n;
			done += n;
		}
		if (c->count == 0) {
			chunks = c->next;
			pv_pages_free(c, 1);
		}
	}
	return done ? (long)done : err;
}

static long deflate(size_t npages)
{
	size_t done = 0;

	while (done < npages && chunks) {
		struct balloon_chunk *c = chunks;
		size_t n = c->count < npages - done ? c->count : npages - done;
		uint64_t *last;
		size_t i;

		if (n > OP_BATCH)
			n = OP_BATCH;
		last = &c->pfns[c->count - n];
		if (take_back(last, n))
			break;
		for (i = 0; i < n; i++)
			pv_pages_free(pv_pfn_to_virt(last[i]), 1);
		c->count -= n;
		balloon_pages -= n;
		done += n;
		if (c->count == 0) {
			chunks = c->next;
			pv_pages_free(c, 1);
		}
	}
	return (long)done;
}

/* The balloon is shared with the kernel's target driver (control.c),
 * which runs in event context: hold events off while it changes. */
long pv_balloon_inflate(size_t npages)
{
	unsigned long flags = pv_events_disable();
	long n = inflate(npages);

	pv_events_restore(flags);
	return n;
}

long pv_balloon_deflate(size_t npages)
{
	unsigned long flags = pv_events_disable();
	long n = deflate(npages);

	pv_events_restore(flags);
	return n;
}

size_t pv_balloon_size(void)
{
	return balloon_pages;
}

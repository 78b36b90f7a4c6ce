/* pagetable.h: x86-64 4-level page tables built from a fixed pool of pages.
 *
 * The pool is a contiguous range of guest-physical pages that the host can
 * also reach through a pointer. Page 0 of the pool is the root (CR3). Only
 * the hypervisor writes these tables; the guest changes them through the PV
 * MMU (pv_mmu.h). Pure memory manipulation: no KVM here, so unit tests can
 * drive it on a plain buffer. */
#ifndef PVISOR_PAGETABLE_H
#define PVISOR_PAGETABLE_H

#include <stdbool.h>
#include <stdint.h>

#define PTE_P   (1ull << 0)
#define PTE_W   (1ull << 1)
#define PTE_U   (1ull << 2)
#define PTE_PS  (1ull << 7)
#define PTE_NX  (1ull << 63)
#define PTE_FRAME_MASK 0x000ffffffffff000ull

struct pt_pool {
	uint8_t *host;        /* host address of pool page 0            */
	uint64_t gpa;         /* guest-physical address of pool page 0  */
	uint64_t pages;       /* pool size                               */
	uint64_t used;        /* pages handed out (root included)        */
};

/* Starts an empty address space in the pool (zeroes the root). */
void pt_pool_init(struct pt_pool *pool, void *host, uint64_t gpa, uint64_t pages);

static inline uint64_t pt_root(const struct pt_pool *pool)
{
	return pool->gpa;
}

/* Finds the leaf entry for va, creating intermediate tables from the pool
 * when create is set. Returns a pointer to the entry, or NULL when a table
 * is missing (create false) or the pool is exhausted (create true). */
uint64_t *pt_leaf(struct pt_pool *pool, uint64_t va, bool create);

/* Returns the leaf entry mapping va (0 when unmapped). */
uint64_t pt_lookup(const struct pt_pool *pool, uint64_t va);

#endif

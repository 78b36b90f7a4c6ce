/* mmu.h: the PV MMU: the guest's page tables belong to the hypervisor and
 * change only through PVISOR_HC_MMU_UPDATE.
 *
 * PVISOR_HC_MMU_UPDATE(gva reqs, count, gva done) applies `count` requests
 * (at most PVISOR_MMU_BATCH_MAX) in order. Each sets the 4 KiB leaf mapping
 * of reqs[i].va to reqs[i].pte; pte 0 removes the mapping. It stops at the
 * first invalid request and returns its error; the number of requests
 * applied is stored in the uint64_t at `done` when done is not 0. Both
 * pointers are checked before any request is applied: a request array that
 * is not all readable, or a `done` that is not writable, fails the call
 * with -EFAULT and nothing applied; and a batch may unmap the pages that
 * hold its own requests or `done` (they are read and written where they
 * were when the call began). All
 * applied requests are visible when the call returns: one TLB flush covers
 * the whole batch, and none is needed when the batch only added mappings.
 *
 * A request is valid when:
 *   - va is 4 KiB aligned and in [PVISOR_GUEST_VA_MIN, PVISOR_GUEST_VA_END);
 *   - pte has no bits outside PVISOR_PTE_ALLOWED, and P set unless pte == 0;
 *   - the frame (pte >> 12, 40 bits) is a populated RAM pfn below nr_pages,
 *     or a hypervisor page mapped without PVISOR_PTE_W (else -EPERM);
 * otherwise -EINVAL (-ENOENT for a ballooned-out RAM pfn, -ENOMEM when the
 * hypervisor's page-table pool is exhausted). The hypervisor always adds
 * the user bit. */
#ifndef PVISOR_MMU_H
#define PVISOR_MMU_H

#include "abi.h"

struct pvisor_mmu_update {
	uint64_t va;
	uint64_t pte;
};

#define PVISOR_PTE_P        (1ull << 0)
#define PVISOR_PTE_W        (1ull << 1)
#define PVISOR_PTE_U        (1ull << 2)   /* implied; accepted */
#define PVISOR_PTE_A        (1ull << 5)
#define PVISOR_PTE_D        (1ull << 6)
#define PVISOR_PTE_NX       (1ull << 63)
#define PVISOR_PTE_FRAME    0x000ffffffffff000ull
#define PVISOR_PTE_ALLOWED  (PVISOR_PTE_P | PVISOR_PTE_W | PVISOR_PTE_U | \
			     PVISOR_PTE_A | PVISOR_PTE_D | PVISOR_PTE_NX | \
			     PVISOR_PTE_FRAME)

#define PVISOR_MMU_BATCH_MAX 65536u

#endif

/* pv_mmu.h: the PV MMU: validated changes to a domain's page tables and
 * the per-page bookkeeping (how often each RAM page is mapped, which pages
 * are ballooned out) that makes them safe. Pure logic over memory: the
 * caller flushes the TLB when told to. The contract is include/pvisor/mmu.h
 * and include/pvisor/memory.h. */
#ifndef PVISOR_PV_MMU_H
#define PVISOR_PV_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pagetable.h"

struct pv_mmu {
	struct pt_pool pool;
	uint64_t nr_pages;      /* guest RAM pfns [0, nr_pages)              */
	uint64_t pt_gpa_end;    /* end of the pool in guest-physical space   */
	uint32_t *mapcount;     /* per RAM pfn: leaf entries mapping it      */
	uint8_t *ballooned;     /* per RAM pfn: 1 when given back to host    */
	uint64_t ballooned_pages;
	uint64_t max_pages;     /* the most RAM pages it may hold (mem-max)  */
	uint64_t protected_pfn; /* a RAM page the guest may not give back    */
};

int pv_mmu_init(struct pv_mmu *mmu, void *pool_host, uint64_t pool_gpa, uint64_t pool_pages,
		uint64_t nr_pages);
void pv_mmu_destroy(struct pv_mmu *mmu);

/* Validates one guest request (va, pte) against include/pvisor/mmu.h.
 * Returns 0 or a negated PVISOR_E* code. */
int pv_mmu_check(const struct pv_mmu *mmu, uint64_t va, uint64_t pte);

/* Installs pte (already validated, or built by the hypervisor) as the leaf
 * for va, keeping map counts. Sets *flush when a present entry changed.
 * Returns 0 or -PVISOR_ENOMEM when the table pool is exhausted. */
int pv_mmu_set(struct pv_mmu *mmu, uint64_t va, uint64_t pte, bool *flush);

/* Memory reservation for one pfn; 0 or a negated PVISOR_E* code. The
 * caller releases (decrease) the host page after a 0 return. Increase
 * fails with -PVISOR_ENOMEM when the guest already holds max_pages. */
int pv_mmu_decrease(struct pv_mmu *mmu, uint64_t pfn);
int pv_mmu_increase(struct pv_mmu *mmu, uint64_t pfn);

#endif

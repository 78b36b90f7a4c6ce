/* pv/mm.h: memory: physical pages, the PV MMU, the vmap area, ballooning.
 *
 * The guest's page tables belong to the hypervisor (include/pvisor/mmu.h):
 * the guest changes mappings only through PVISOR_HC_MMU_UPDATE, which
 * applies a batch of leaf-PTE updates with a single TLB flush. Natively
 * (hybrid and full mode) the kernel applies the same batches, with the
 * same rules, to its own page tables; ballooning is not available there
 * (pv_memory_op() returns -ENOSYS). Guest RAM
 * is identity-mapped at boot (virtual address == pfn << 12), so a page
 * from pv_pages_alloc() is usable at once at the address returned.
 *
 * Functions returning int return 0 or a negative errno value. */
#ifndef PV_MM_H
#define PV_MM_H

#include <stddef.h>
#include <stdint.h>
#include <pvisor/pvisor.h>

#define PV_PAGE_SHIFT	12
#define PV_PAGE_SIZE	4096ul
#define PV_PAGE_ALIGN(x) (((x) + PV_PAGE_SIZE - 1) & ~(PV_PAGE_SIZE - 1))

/* ---- Physical pages (identity-mapped) ------------------------------------ */

/* npages physically contiguous pages, page-aligned at their identity
 * address, contents undefined; NULL when there is no such run. */
void *pv_pages_alloc(size_t npages);
void pv_pages_free(void *p, size_t npages);
size_t pv_pages_free_count(void);	/* pages free now         */
size_t pv_pages_managed(void);		/* pages the allocator owns */
/* Pages the kernel's own page tables took from the allocator: on the
 * native platforms, which grow their tables as address space is used
 * (and keep them); 0 under PV, where the hypervisor holds the tables. */
size_t pv_page_table_pages(void);

static inline uint64_t pv_virt_to_pfn(const void *identity_va)
{
	return (uint64_t)(uintptr_t)identity_va >> PV_PAGE_SHIFT;
}

static inline void *pv_pfn_to_virt(uint64_t pfn)
{
	return (void *)(uintptr_t)(pfn << PV_PAGE_SHIFT);
}

/* ---- Mapping pages --------------------------------------------------------
 * flags: PV_MAP_READ alone maps read-only, no-execute. */
#define PV_MAP_READ	0u
#define PV_MAP_WRITE	1u	/* writable            */
#define PV_MAP_EXEC	2u	/* executable (not NX) */

/* The PTE for mapping frame pfn with the given PV_MAP_* flags. */
uint64_t pv_pte(uint64_t pfn, unsigned int flags);

/* A batch of MMU updates, applied by one hypercall. The caller provides the
 * request buffer; a batch flushes itself when the buffer is full. */
struct pv_mmu_batch {
	struct pvisor_mmu_update *reqs;
	size_t count, cap;
	int error;		/* first error seen; later calls are no-ops */
	size_t applied;		/* requests applied by all flushes so far   */
};

void pv_mmu_batch_init(struct pv_mmu_batch *b, struct pvisor_mmu_update *buf, size_t cap);
int pv_mmu_batch_map(struct pv_mmu_batch *b, uintptr_t va, uint64_t pfn, unsigned int flags);
int pv_mmu_batch_unmap(struct pv_mmu_batch *b, uintptr_t va);
int pv_mmu_batch_set(struct pv_mmu_batch *b, uintptr_t va, uint64_t pte);
/* Applies what is queued (one MMU_UPDATE hypercall; none if empty);
 * returns b->error. */
int pv_mmu_batch_flush(struct pv_mmu_batch *b);

/* Maps n pages at va (page aligned) to frames pfns[0..n) / to the
 * contiguous frames first_pfn.. . Replaces existing mappings (the TLB is
 * flushed). One hypercall per PV_MMU_CHUNK pages. */
#define PV_MMU_CHUNK 256
int pv_map_pages(void *va, const uint64_t *pfns, size_t n, unsigned int flags);
int pv_map_range(void *va, uint64_t first_pfn, size_t n, unsigned int flags);

/* Removes the mappings of n pages at va. Touching them afterwards faults. */
int pv_unmap_pages(void *va, size_t n);

/* The raw hypercall: applies reqs[0..n); *done (if not NULL) = applied. */
int pv_mmu_update(const struct pvisor_mmu_update *reqs, size_t n, size_t *done);

/* ---- The vmap area -----------------------------------------------------------
 * [PV_VMAP_START, PV_VMAP_END) is guest virtual address space that nothing
 * is mapped in at boot. Thread stacks live here; programs can take ranges
 * of it to map pages of their own. */
#define PV_VMAP_START	0x0000100000000000ull
#define PV_VMAP_END	0x0000200000000000ull

/* Reserves npages of address space (nothing is mapped); NULL if exhausted. */
void *pv_vmap_reserve(size_t npages);
void pv_vmap_release(void *va, size_t npages);

/* Reserves guard + npages of address space, maps npages fresh contiguous
 * frames writable after `guard` unmapped pages, returns the first mapped
 * byte. pv_vunmap() undoes it (unmaps, frees frames and address space). */
void *pv_vmap_pages(size_t npages, size_t guard);
void pv_vunmap_pages(void *va, size_t npages, size_t guard);

/* ---- Ballooning ------------------------------------------------------------
 * A page given back to the hypervisor is unmapped (touching it faults) and
 * reads as zero when taken back. */

/* Gives the npages identity-mapped pages at p (from pv_pages_alloc) back:
 * removes their identity mapping, then MEMORY_OP DECREASE. */
int pv_balloon_release(void *p, size_t npages);

/* Takes them back (MEMORY_OP INCREASE) and restores the identity mapping. */
int pv_balloon_reclaim(void *p, size_t npages);

/* Grows the balloon by up to npages free pages; returns the number given
 * back (the allocator no longer has them), or -errno if none. */
long pv_balloon_inflate(size_t npages);

/* Shrinks the balloon by up to npages, returning them to the allocator;
 * returns the number taken back. */
long pv_balloon_deflate(size_t npages);

/* Pages currently in the balloon (pv_balloon_inflate's). */
size_t pv_balloon_size(void);

/* The kernel's balloon driver follows the toolstack's memory target
 * (`pvisor mem-set`: the shared info page's mem_target_pages, announced by
 * VIRQ_CONTROL), inflating or deflating the balloon until the guest holds
 * that many RAM pages, as far as free pages allow. on = 0 stops it (a
 * program that drives the balloon itself); 1 (the default) resumes it. */
void pv_balloon_follow_target(int on);

/* The raw hypercall: cmd PVISOR_MEM_*, n pfns; pages done or -errno. */
long pv_memory_op(unsigned int cmd, const uint64_t *pfns, size_t n);

#endif

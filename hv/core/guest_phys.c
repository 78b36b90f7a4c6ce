/* guest_phys.c: bounds and balloon checks for guest-physical ranges. */
#include <pvisor/device.h>

#include "core/layout.h"
#include "core/guest_phys.h"

/* Is any page of the non-empty range [gpa, gpa + len) ballooned out? */
static int range_ballooned(const struct pv_mmu *mmu, uint64_t gpa, uint64_t len)
{
	uint64_t last = (gpa + len - 1) >> PAGE_SHIFT;

	/* Backend threads call this while the vCPU thread may balloon. */
	if (__atomic_load_n(&mmu->ballooned_pages, __ATOMIC_RELAXED) == 0)
		return 0;
	for (uint64_t pfn = gpa >> PAGE_SHIFT; pfn <= last; pfn++)
		if (pfn >= mmu->nr_pages || __atomic_load_n(&mmu->ballooned[pfn], __ATOMIC_RELAXED))
			return 1;
	return 0;
}

void *guest_phys_ptr(const struct guest_view *g, uint64_t gpa, uint64_t len, int write)
{
	const struct guest_memory *gm = g->gm;

	/* gpa <= size and len <= size - gpa: the end cannot wrap. */
	if (gpa > gm->ram_size || len > gm->ram_size - gpa)
		return NULL;
	/* A device never writes the pages the hypervisor owns in guest RAM
	 * (start info .. device page): the hypercall page stays read+exec. */
	if (write && len > 0 && gpa < GUEST_PHYS_FIXED_END)
		return NULL;
	if (len > 0 && range_ballooned(g->mmu, gpa, len))
		return NULL;
	return gm->base + gpa;
}

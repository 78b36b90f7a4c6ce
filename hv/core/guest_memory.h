/* guest_memory.h: a domain's memory: one memfd holding guest RAM, the
 * hypervisor area and the page-table pool, mapped once into pvisor and
 * registered with KVM as three memslots (layout.h). A memfd so that
 * backends and snapshots can share the same pages later. */
#ifndef PVISOR_GUEST_MEMORY_H
#define PVISOR_GUEST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_memory {
	int memfd;
	int vm_fd;
	uint8_t *base;        /* host mapping of the whole memfd            */
	uint64_t map_size;
	uint64_t ram_size;    /* bytes of guest RAM, a multiple of 4 KiB    */
	uint64_t pt_pages;    /* size of the page-table pool                */
	uint8_t *hv;          /* host address of the hypervisor area        */
	uint8_t *pt;          /* host address of the page-table pool        */
};

/* Creates the memfd and the mapping. Returns 0 or -1 after logging. */
int gmem_create(struct guest_memory *gm, uint64_t ram_size, uint64_t pt_pages);
/* Registers the three memslots with a VM. Returns 0 or -1 after logging. */
int gmem_register(struct guest_memory *gm, int vm_fd);
/* Makes every page-table change visible to the guest: KVM drops all shadow
 * page tables when their memslot goes away. Returns 0 or -1. */
int gmem_flush_tlb(struct guest_memory *gm);
/* Gives one RAM page back to the host. Returns 0 or -1. */
int gmem_discard_page(struct guest_memory *gm, uint64_t pfn);
void gmem_destroy(struct guest_memory *gm);

/* Host pointer to guest RAM at gpa, valid for len bytes, or NULL. */
static inline void *gmem_ram(const struct guest_memory *gm, uint64_t gpa, uint64_t len)
{
	if (gpa >= gm->ram_size || len > gm->ram_size - gpa)
		return NULL;
	return gm->base + gpa;
}

#endif

/* native_paging.c: the kernel's own page tables on the native platform.
 *
 * At boot: an identity map of RAM, in 2 MiB pages except for the first
 * 2 MiB (4 KiB pages, so that page 0 stays unmapped and a NULL access
 * faults, as in PV mode) and a partial last 2 MiB; plus the IOAPIC and
 * LAPIC pages, uncached. Built in static tables (BSS: the loader zeroed
 * them) and loaded into cr3; the loader's tables are never used again.
 *
 * Afterwards mmu_update() applies {va, pte} batches with the rules of
 * docs/abi.md section 5 (va in the guest half and aligned, pte of P, W,
 * NX, A, D and a frame inside RAM), creating intermediate tables from the
 * page allocator and splitting a 2 MiB page when a 4 KiB page inside it
 * changes. A changed present entry is flushed with invlpg. */
#include <errno.h>
#include <string.h>
#include <pv/mm.h>
#include <pv/kernel.h>
#include "native.h"

#define PTE_P		(1ull << 0)
#define PTE_W		(1ull << 1)
#define PTE_U		(1ull << 2)
#define PTE_PWT		(1ull << 3)
#define PTE_PCD		(1ull << 4)
#define PTE_PS		(1ull << 7)
#define PTE_NX		(1ull << 63)
#define PTE_FRAME	0x000ffffffffff000ull
#define ENTRIES		512
#define SIZE_2M		(1ull << 21)
#define SIZE_1G		(1ull << 30)
#define BOOT_GIBS	4	/* the static tables cover [0, 4 GiB) */

typedef uint64_t table_t[ENTRIES] __attribute__((aligned(4096)));

static table_t pml4, pdpt_low, pd_low[BOOT_GIBS], pt_first, pt_last;
static uint64_t ram_pages;
static size_t tables_taken;	/* pages new_table() took from the allocator */

static uint64_t phys(const void *table)
{
	return (uint64_t)(uintptr_t)table;	/* the kernel is identity-mapped */
}

static uint64_t *table_at(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & PTE_FRAME);
}

/* ---- The boot map ------------------------------------------------------------ */

/* 4 KiB pages of RAM in the 2 MiB region at base, via pt (page 0 never). */
static uint64_t small_pages(table_t pt, uint64_t base)
{
	unsigned int i;

	for (i = 0; i < ENTRIES; i++) {
		uint64_t addr = base + (uint64_t)i * PV_PAGE_SIZE;

		if (addr != 0 && addr / PV_PAGE_SIZE < ram_pages)
			pt[i] = addr | PTE_P | PTE_W;
	}
	return phys(pt) | PTE_P | PTE_W;
}

static void map_ram(void)
{
	uint64_t base, end = ram_pages * PV_PAGE_SIZE;

	for (base = 0; base < end; base += SIZE_2M) {
		uint64_t *pde = &pd_low[base / SIZE_1G][(base / SIZE_2M) % ENTRIES];

		if (base == 0)
			*pde = small_pages(pt_first, base);
		else if (base + SIZE_2M > end)
			*pde = small_pages(pt_last, base);
		else
			*pde = base | PTE_P | PTE_W | PTE_PS;
	}
}

static void map_mmio_2m(uint64_t addr)
{
	uint64_t base = addr & ~(SIZE_2M - 1);

	pd_low[base / SIZE_1G][(base / SIZE_2M) % ENTRIES] =
		base | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT | PTE_NX;
}

void native_paging_init(uint64_t nr_pages)
{
	unsigned int g;

	if (nr_pages * PV_PAGE_SIZE > PVISOR_IOAPIC_GPA)
		pv_panic("%lu MiB of RAM: the native platform maps at most %u MiB",
			 (unsigned long)(nr_pages >> 8), PVISOR_IOAPIC_GPA >> 20);
	ram_pages = nr_pages;
	pml4[0] = phys(pdpt_low) | PTE_P | PTE_W;
	for (g = 0; g < BOOT_GIBS; g++)
		pdpt_low[g] = phys(pd_low[g]) | PTE_P | PTE_W;
	map_ram();
	map_mmio_2m(PVISOR_IOAPIC_GPA);
	map_mmio_2m(PVISOR_LAPIC_GPA);
	__asm__ volatile("mov %0, %%cr3" : : "r"(phys(pml4)) : "memory");
}

/* ---- Walking and changing ------------------------------------------------------- */

static unsigned int index_at(uintptr_t va, int level)	/* level 3 = PML4 ... 0 = PT */
{
	return (unsigned int)(va >> (12 + 9 * level)) & (ENTRIES - 1);
}

static uint64_t *new_table(void)
{
	uint64_t *t = pv_pages_alloc(1);

	if (t) {
		memset(t, 0, PV_PAGE_SIZE);
		tables_taken++;
	}
	return t;
}

size_t native_table_pages(void)
{
	return tables_taken;
}

/* Replaces the 2 MiB page *pde by a table of the same 512 small pages. */
static bool split(uint64_t *pde)
{
	uint64_t *pt = new_table(), flags = *pde & ~PTE_FRAME & ~PTE_PS;
	unsigned int i;

	if (!pt)
		return false;
	for (i = 0; i < ENTRIES; i++)
		pt[i] = ((*pde & PTE_FRAME) + (uint64_t)i * PV_PAGE_SIZE) | flags;
	*pde = phys(pt) | PTE_P | PTE_W;
	return true;
}

/* The leaf entry of va, creating tables on the way; NULL without memory. */
static uint64_t *leaf_for_update(uintptr_t va)
{
	uint64_t *t = pml4;
	int level;

	for (level = 3; level > 0; level--) {
		uint64_t *e = &t[index_at(va, level)];

		if (!(*e & PTE_P)) {
			uint64_t *next = new_table();

			if (!next)
				return NULL;
			*e = phys(next) | PTE_P | PTE_W;
		} else if ((*e & PTE_PS) && !split(e)) {
			return NULL;
		}
		t = table_at(*e);
	}
	return &t[index_at(va, 0)];
}

static int check(uintptr_t va, uint64_t pte)
{
	if (va & (PV_PAGE_SIZE - 1) || va < PVISOR_GUEST_VA_MIN || va >= PVISOR_GUEST_VA_END)
		return -EINVAL;
	if (pte == 0)
		return 0;
	if ((pte & ~PVISOR_PTE_ALLOWED) || !(pte & PVISOR_PTE_P))
		return -EINVAL;
	if ((pte & PVISOR_PTE_FRAME) / PV_PAGE_SIZE >= ram_pages)
		return -EINVAL;
	return 0;
}

static int apply(uintptr_t va, uint64_t pte)
{
	int err = check(va, pte);
	uint64_t *leaf, old;

	if (err)
		return err;
	leaf = leaf_for_update(va);
	if (!leaf)
		return -ENOMEM;
	old = *leaf;
	*leaf = pte & ~PTE_U;	/* the kernel's pages are supervisor pages */
	if (old & PTE_P)
		__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	return 0;
}

/* Events masked: no other thread changes the tables halfway. */
long native_mmu_update(const struct pvisor_mmu_update *reqs, size_t n, uint64_t *done)
{
	unsigned long flags;
	size_t i;
	int err = 0;

	if (n > PVISOR_MMU_BATCH_MAX)
		return -E2BIG;
	flags = pv_events_disable();
	for (i = 0; i < n && !err; i++)
		err = apply((uintptr_t)reqs[i].va, reqs[i].pte);
	pv_events_restore(flags);
	if (done)
		*done = err ? i - 1 : i;
	return err;
}

bool native_va_writable(uintptr_t va)
{
	uint64_t *t = pml4;
	int level;

	if (va >= PVISOR_GUEST_VA_END)
		return false;
	for (level = 3; level >= 0; level--) {
		uint64_t e = t[index_at(va, level)];

		if (!(e & PTE_P) || !(e & PTE_W))
			return false;
		if (level == 0 || (e & PTE_PS))
			return true;
		t = table_at(e);
	}
	return false;
}

/* test_guest_access.c: the guest-pointer checks every hypercall relies on
 * (guest_access.c): bounds, wrap-around, permissions, all-or-nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pvisor/errno.h>
#include <pvisor/mmu.h>

#include "check.h"
#include "core/guest_access.h"
#include "core/layout.h"

#define NR_PAGES 64

static struct pv_mmu mmu;
static struct guest_memory gm;
static struct guest_view view = { &mmu, &gm };
static uint8_t *ram;

static void setup(void)
{
	bool flush = false;
	void *pool = aligned_alloc(PAGE_SIZE, 16 * PAGE_SIZE);

	ram = aligned_alloc(PAGE_SIZE, NR_PAGES * PAGE_SIZE);
	memset(ram, 0xee, NR_PAGES * PAGE_SIZE);
	memset(&gm, 0, sizeof(gm));
	gm.base = ram;
	gm.ram_size = NR_PAGES * PAGE_SIZE;
	pv_mmu_init(&mmu, pool, PT_AREA_GPA, 16, NR_PAGES);
	/* 0x10000: RW page 1; 0x11000: RW page 2; 0x12000: read-only page 3. */
	pv_mmu_set(&mmu, 0x10000, (1 << 12) | PTE_P | PTE_W, &flush);
	pv_mmu_set(&mmu, 0x11000, (2 << 12) | PTE_P | PTE_W, &flush);
	pv_mmu_set(&mmu, 0x12000, (3 << 12) | PTE_P, &flush);
	/* A supervisor-only mapping the guest must not reach through us. */
	*pt_leaf(&mmu.pool, 0x13000, true) = (4 << 12) | PTE_P | PTE_W;
	/* A read-only mapping of a hypervisor frame (allowed for the guest). */
	pv_mmu_set(&mmu, 0x14000, PT_AREA_GPA | PTE_P, &flush);
}

static void copies_across_pages(void)
{
	uint8_t in[6000], out[6000];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7);
	CHECK_EQ(guest_copy_to(&view, 0x10800, in, sizeof(in)), 0);
	CHECK(memcmp(ram + 0x1800, in, 0x800) == 0);
	CHECK(memcmp(ram + 0x2000, in + 0x800, sizeof(in) - 0x800) == 0);
	CHECK_EQ(guest_copy_from(&view, out, 0x10800, sizeof(out)), 0);
	CHECK(memcmp(in, out, sizeof(in)) == 0);
}

static void refuses_unmapped_and_partial(void)
{
	uint8_t buf[16] = { 1 };

	CHECK_EQ(guest_copy_from(&view, buf, 0x20000, 8), -PVISOR_EFAULT);
	CHECK_EQ(guest_copy_from(&view, buf, 0, 8), -PVISOR_EFAULT);
	CHECK_EQ(guest_copy_from(&view, buf, 0x12ff8, 16), -PVISOR_EFAULT); /* runs into unmapped 0x13000 */
	/* all-or-nothing: the writable first page stays untouched */
	memset(ram + 0x2ff8, 0x5a, 8);
	CHECK_EQ(guest_copy_to(&view, 0x11ff8, buf, 16), -PVISOR_EFAULT);
	CHECK_EQ(ram[0x2ff8], 0x5a);
}

static void respects_permissions(void)
{
	uint8_t buf[8] = { 0 };

	CHECK_EQ(guest_copy_from(&view, buf, 0x12000, 8), 0);
	CHECK_EQ(guest_copy_to(&view, 0x12000, buf, 8), -PVISOR_EFAULT);
	CHECK_EQ(guest_copy_from(&view, buf, 0x13000, 8), -PVISOR_EFAULT);
	CHECK_EQ(guest_copy_from(&view, buf, 0x14000, 8), -PVISOR_EFAULT); /* not guest RAM */
	CHECK_EQ(guest_check(&view, 0x10000, 0x2000, 1), 0);
	CHECK_EQ(guest_check(&view, 0x10000, 0x3000, 1), -PVISOR_EFAULT);
}

static void refuses_wrap_and_upper_half(void)
{
	uint8_t buf[8];

	CHECK_EQ(guest_copy_from(&view, buf, 0x10000, ~0ull), -PVISOR_EFAULT);
	CHECK_EQ(guest_copy_from(&view, buf, ~0ull - 3, 8), -PVISOR_EFAULT);
	CHECK_EQ(guest_copy_from(&view, buf, 0xffff800000000000ull, 8), -PVISOR_EFAULT);
	CHECK_EQ(guest_copy_from(&view, buf, PVISOR_GUEST_VA_END - 4, 8), -PVISOR_EFAULT);
	CHECK_EQ(guest_copy_from(&view, buf, 0x10000, 1ull << 40), -PVISOR_EFAULT);
	CHECK_EQ(guest_copy_from(&view, buf, 0x10000, 0), 0);
}

int main(void)
{
	setup();
	RUN(copies_across_pages);
	RUN(refuses_unmapped_and_partial);
	RUN(respects_permissions);
	RUN(refuses_wrap_and_upper_half);
	free(mmu.pool.host);
	pv_mmu_destroy(&mmu);
	free(ram);
	CHECK_EXIT();
}

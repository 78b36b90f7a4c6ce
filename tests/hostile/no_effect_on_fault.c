/* pvisor-test: exit=0 */
/* no_effect_on_fault.c (hostile): a hypercall that fails on a pointer has
 * had no effect, and a batch may unmap the pages that hold its own
 * arguments (docs/abi.md section 2):
 *   - MMU_UPDATE whose `done` is read-only: -EFAULT, the mapping not made;
 *   - MMU_UPDATE whose request array runs onto an unmapped page: -EFAULT,
 *     not even its first (readable) request applied;
 *   - MEMORY_OP whose pfn list runs onto an unmapped page: -EFAULT, its
 *     first pfn still populated;
 *   - a 300-request batch whose first request unmaps the page holding
 *     requests 256-299 and `done`: all applied, `done` = 300 written. */
#define TEST_NAME "no_effect_on_fault"
#include <errno.h>
#include <stdbool.h>
#include <pv/hypercall.h>
#include "pvtest.h"

#define P PVISOR_PTE_P
#define W PVISOR_PTE_W
#define BIG 300

static const uint64_t read_only_done;	/* .rodata: mapped without W */

/* Mapped (writable)? A console read checks its buffer before it takes
 * any input: -EFAULT only when va is not. */
static bool mapped(uint64_t va)
{
	return hc_console_io(PVISOR_CONSOLE_READ, (const void *)va, 1) != -EFAULT;
}

static uint64_t page(void)
{
	void *p = pv_pages_alloc(1);

	return p ? pv_virt_to_pfn(p) : 0;
}

/* Two virtual pages: the first mapped onto a fresh frame, the second not.
 * Returns the first's address; *frame is its frame. */
static uint8_t *half_mapped(uint64_t *frame)
{
	uint8_t *va = pv_vmap_reserve(2);

	*frame = page();
	if (!va || !*frame || pv_map_pages(va, frame, 1, PV_MAP_WRITE) < 0)
		return NULL;
	return va;
}

static int done_read_only(uint64_t target, uint64_t good)
{
	struct pvisor_mmu_update req = { target, (good << 12) | P | W };
	long r = hc_mmu_update(&req, 1, (uint64_t *)&read_only_done);

	CHECK(r == -EFAULT, "read-only done returned %ld, expected -EFAULT", r);
	CHECK(!mapped(target), "the update was applied although the call failed");
	return 0;
}

static int requests_run_off(uint64_t target, uint64_t good)
{
	uint64_t frame;
	uint8_t *va = half_mapped(&frame);
	struct pvisor_mmu_update *reqs;
	long r;

	CHECK(va, "setup failed");
	reqs = (struct pvisor_mmu_update *)(va + 4096 - sizeof(*reqs));
	reqs[0] = (struct pvisor_mmu_update){ target, (good << 12) | P | W };
	r = hc_mmu_update(reqs, 2, NULL);
	CHECK(r == -EFAULT, "a request array onto an unmapped page returned %ld", r);
	CHECK(!mapped(target), "its first request was applied although the call failed");
	return 0;
}

static int pfn_list_runs_off(void)
{
	uint64_t frame, victim = page(), check_va = (uint64_t)(uintptr_t)pv_vmap_reserve(1);
	uint8_t *va = half_mapped(&frame);
	struct pvisor_mmu_update req;
	uint64_t *list;
	long r;

	CHECK(va && victim && check_va, "setup failed");
	CHECK(pv_unmap_pages(pv_pfn_to_virt(victim), 1) == 0, "cannot unmap the victim");
	list = (uint64_t *)(va + 4096 - sizeof(uint64_t));
	list[0] = victim;
	r = hc_memory_op(PVISOR_MEM_DECREASE_RESERVATION, list, 2);
	CHECK(r == -EFAULT, "a pfn list onto an unmapped page returned %ld", r);
	req = (struct pvisor_mmu_update){ check_va, (victim << 12) | P | W };
	r = hc_mmu_update(&req, 1, NULL);
	CHECK(r == 0, "the first pfn was ballooned out although the call failed (map: %ld)", r);
	return 0;
}

static int batch_unmaps_its_arguments(uint64_t target, uint64_t good)
{
	uint8_t *va = pv_vmap_reserve(2);
	uint64_t frames[2] = { page(), page() };
	struct pvisor_mmu_update *reqs;
	volatile uint64_t *done_seen;
	long r;

	CHECK(va && frames[0] && frames[1] && pv_map_pages(va, frames, 2, PV_MAP_WRITE) == 0,
	      "setup failed");
	reqs = (struct pvisor_mmu_update *)va;
	reqs[0] = (struct pvisor_mmu_update){ (uint64_t)(uintptr_t)(va + 4096), 0 };
	for (int i = 1; i < BIG; i++)
		reqs[i] = (struct pvisor_mmu_update){ target, (good << 12) | P | W };
	/* done sits in the second page, after the requests. */
	r = hc_mmu_update(reqs, BIG, (uint64_t *)(va + BIG * sizeof(*reqs)));
	CHECK(r == 0, "the self-unmapping batch returned %ld", r);
	done_seen = (volatile uint64_t *)((uint8_t *)pv_pfn_to_virt(frames[1]) +
					  BIG * sizeof(*reqs) - 4096);
	CHECK(*done_seen == BIG, "done reads %lu, expected %d", (unsigned long)*done_seen, BIG);
	CHECK(mapped(target), "the requests after the unmap were not applied");
	return 0;
}

int main(void)
{
	uint64_t target = (uint64_t)(uintptr_t)pv_vmap_reserve(1), good = page();

	CHECK(target && good, "allocation failed");
	if (done_read_only(target, good) || requests_run_off(target, good) ||
	    pfn_list_runs_off() || batch_unmaps_its_arguments(target, good))
		return 1;
	return test_pass();
}

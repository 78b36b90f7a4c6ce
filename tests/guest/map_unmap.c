/* pvisor-test: exit=0 */
/* map_unmap.c: the PV MMU. Map two frames at new virtual addresses (two
 * aliases of one frame see each other's writes), unmap one and catch the
 * access with a fault handler, change a present mapping to another frame
 * and read the new frame's content at once (proving the TLB was flushed),
 * catch a write to a read-only mapping, and map 64 pages in one batch. */
#define TEST_NAME "map_unmap"
#include <string.h>
#include "pvtest.h"

static volatile uint64_t fault_addr, fault_error;
static volatile int faults;
static uint64_t replacement_pfn;

/* Maps the replacement frame (writable) where the fault happened. */
static int fix_fault(struct pvisor_frame *frame, void *arg)
{
	uintptr_t page = frame->cr2 & ~(PV_PAGE_SIZE - 1);

	(void)arg;
	faults++;
	fault_addr = frame->cr2;
	fault_error = frame->error_code;
	if (pv_map_range((void *)page, replacement_pfn, 1, PV_MAP_WRITE))
		return PV_FAULT_UNHANDLED;
	return PV_FAULT_HANDLED;
}

static void fill(void *p, unsigned char c)
{
	memset(p, c, PV_PAGE_SIZE);
}

int main(void)
{
	unsigned char *a = pv_pages_alloc(1), *b = pv_pages_alloc(1), *c = pv_pages_alloc(1);
	volatile unsigned char *va = pv_vmap_reserve(2), *alias;
	struct pvisor_mmu_update reqs[16];
	struct pv_mmu_batch batch;
	unsigned char *many, *frames;
	int handle, i;

	CHECK(a && b && c && va, "allocation failed");
	alias = va + PV_PAGE_SIZE;
	fill(a, 'A');
	fill(b, 'B');
	fill(c, 'C');

	/* Two aliases of frame A. */
	CHECK(pv_map_range((void *)va, pv_virt_to_pfn(a), 1, PV_MAP_WRITE) == 0, "map va failed");
	CHECK(pv_map_range((void *)alias, pv_virt_to_pfn(a), 1, PV_MAP_WRITE) == 0,
	      "map alias failed");
	CHECK(va[100] == 'A' && alias[100] == 'A', "new mappings do not show frame A");
	va[0] = 'x';
	CHECK(alias[0] == 'x' && a[0] == 'x', "a write through one alias is not seen by the other");

	/* Unmap va; the access faults and the handler maps frame C there. */
	handle = pv_fault_handler_add((uintptr_t)va, (uintptr_t)va + PV_PAGE_SIZE, fix_fault, NULL);
	CHECK(handle >= 0, "pv_fault_handler_add failed: %d", handle);
	CHECK(pv_unmap_pages((void *)va, 1) == 0, "unmap failed");
	replacement_pfn = pv_virt_to_pfn(c);
	CHECK(va[5] == 'C', "after the fault the page does not show frame C");
	CHECK(faults == 1, "%d faults, expected 1", faults);
	CHECK(fault_addr == (uintptr_t)va + 5, "fault at %#lx, expected %p", fault_addr, va + 5);
	CHECK(!(fault_error & PV_PF_PRESENT) && !(fault_error & PV_PF_WRITE),
	      "error code %#lx for a read of an unmapped page", fault_error);

	/* Present -> present: the alias moves from frame A to frame B. */
	CHECK(alias[7] == 'A', "alias lost frame A");
	CHECK(pv_map_range((void *)alias, pv_virt_to_pfn(b), 1, PV_MAP_WRITE) == 0, "remap failed");
	CHECK(alias[7] == 'B', "remapped alias still shows the old frame (stale TLB)");

	/* Read-only mapping: a write faults; the handler maps frame C writable. */
	CHECK(pv_map_range((void *)va, pv_virt_to_pfn(b), 1, PV_MAP_READ) == 0, "RO map failed");
	CHECK(va[1] == 'B', "RO mapping does not show frame B");
	va[1] = 'w';
	CHECK(faults == 2, "write to a read-only page did not fault");
	CHECK((fault_error & (PV_PF_PRESENT | PV_PF_WRITE)) == (PV_PF_PRESENT | PV_PF_WRITE),
	      "error code %#lx for a write to a read-only page", fault_error);
	CHECK(va[1] == 'w' && c[1] == 'w', "the retried write did not land in frame C");
	CHECK(b[1] == 'B', "frame B was written through a read-only mapping");
	pv_fault_handler_remove(handle);

	/* One batch (16-entry buffer, flushed as it fills) for 64 pages. */
	many = pv_vmap_reserve(64);
	frames = pv_pages_alloc(64);
	CHECK(many && frames, "allocation failed");
	for (i = 0; i < 64; i++)
		frames[i * PV_PAGE_SIZE] = (unsigned char)i;
	pv_mmu_batch_init(&batch, reqs, 16);
	for (i = 0; i < 64; i++)
		pv_mmu_batch_map(&batch, (uintptr_t)many + i * PV_PAGE_SIZE,
				 pv_virt_to_pfn(frames) + i, PV_MAP_WRITE);
	CHECK(pv_mmu_batch_flush(&batch) == 0, "batch failed: %d", batch.error);
	CHECK(batch.applied == 64, "batch applied %zu of 64", batch.applied);
	for (i = 0; i < 64; i++)
		CHECK(many[i * PV_PAGE_SIZE] == (unsigned char)i, "batch page %d wrong", i);
	CHECK(pv_unmap_pages(many, 64) == 0, "unmap of 64 pages failed");
	CHECK(pv_unmap_pages((void *)va, 2) == 0, "unmap failed");
	pv_vmap_release(many, 64);
	pv_vmap_release((void *)va, 2);
	pv_pages_free(frames, 64);
	return test_pass();
}

/* pvisor-test: exit=0 */
/* balloon.c: giving pages back to the hypervisor and taking them back.
 * A still-mapped page cannot be given back (-EBUSY); a given-back page is
 * unmapped (touching it faults); taken back it reads as zero; the balloon
 * grows and shrinks by whole counts and the allocator sees the difference. */
#define TEST_NAME "balloon"
#include <errno.h>
#include "pvtest.h"

#define N 8

static uint64_t scratch_pfn;
static volatile int faults;

/* Maps a scratch frame over the ballooned-out page that was touched. */
static int cover_hole(struct pvisor_frame *frame, void *arg)
{
	(void)arg;
	faults++;
	return pv_map_range((void *)(frame->cr2 & ~(PV_PAGE_SIZE - 1)), scratch_pfn, 1,
			    PV_MAP_WRITE) ? PV_FAULT_UNHANDLED : PV_FAULT_HANDLED;
}

int main(void)
{
	unsigned char *p = pv_pages_alloc(N), *scratch = pv_pages_alloc(1);
	uint64_t pfn;
	size_t free0, i;
	long r, n;
	int handle;

	CHECK(p && scratch, "allocation failed");
	scratch_pfn = pv_virt_to_pfn(scratch);
	scratch[0] = 0x5a;
	for (i = 0; i < N * PV_PAGE_SIZE; i++)
		p[i] = 0xab;

	pfn = pv_virt_to_pfn(p);
	r = pv_memory_op(PVISOR_MEM_DECREASE_RESERVATION, &pfn, 1);
	CHECK(r == -EBUSY, "giving back a mapped page returned %ld, expected -EBUSY", r);
	r = pv_memory_op(PVISOR_MEM_INCREASE_RESERVATION, &pfn, 1);
	CHECK(r == -EINVAL, "taking back a populated page returned %ld, expected -EINVAL", r);

	CHECK(pv_balloon_release(p, N) == 0, "pv_balloon_release failed");
	handle = pv_fault_handler_add((uintptr_t)p, (uintptr_t)p + N * PV_PAGE_SIZE, cover_hole, NULL);
	CHECK(handle >= 0, "pv_fault_handler_add failed");
	CHECK(((volatile unsigned char *)p)[PV_PAGE_SIZE * 3] == 0x5a,
	      "a given-back page did not fault into the handler");
	CHECK(faults == 1, "%d faults, expected 1", faults);
	pv_fault_handler_remove(handle);
	r = pv_map_range(p, pfn, 1, PV_MAP_WRITE);
	CHECK(r == -ENOENT, "mapping a given-back frame returned %ld, expected -ENOENT", r);

	CHECK(pv_balloon_reclaim(p, N) == 0, "pv_balloon_reclaim failed");
	for (i = 0; i < N * PV_PAGE_SIZE; i++)
		CHECK(p[i] == 0, "taken-back byte %zu reads %#x, not zero", i, p[i]);
	p[0] = 1;
	pv_pages_free(p, N);

	free0 = pv_pages_free_count();
	n = free0 / 4 < 1000 ? (long)free0 / 4 : 1000;
	r = pv_balloon_inflate((size_t)n);
	CHECK(r == n, "inflate(%ld) returned %ld", n, r);
	CHECK(pv_balloon_size() == (size_t)n, "balloon holds %zu pages", pv_balloon_size());
	CHECK(pv_pages_free_count() + (size_t)n <= free0, "allocator did not lose %ld pages", n);
	r = pv_balloon_deflate((size_t)n / 3);
	CHECK(r == n / 3, "deflate(%ld) returned %ld", n / 3, r);
	r = pv_balloon_deflate(1000000);
	CHECK(r == n - n / 3, "deflate(rest) returned %ld", r);
	CHECK(pv_balloon_size() == 0, "balloon not empty");
	CHECK(pv_pages_free_count() == free0, "free pages %zu, expected %zu",
	      pv_pages_free_count(), free0);
	return test_pass();
}

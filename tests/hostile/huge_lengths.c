/* pvisor-test: exit=0 */
/* huge_lengths.c (hostile): absurd lengths and counts. A console write of
 * 2^40 or ~0 bytes from a valid 64 KiB buffer is clamped to
 * PVISOR_CONSOLE_IO_MAX (or refused), a read likewise; MMU and memory op
 * counts beyond their maxima fail with -E2BIG; far-future and past
 * deadlines are accepted. Nothing crashes. */
#define TEST_NAME "huge_lengths"
#include <errno.h>
#include <string.h>
#include <pv/hypercall.h>
#include "pvtest.h"

static int check_clamped(const char *what, long r)
{
	CHECK(r == (long)PVISOR_CONSOLE_IO_MAX || r == -EFAULT || r == -EINVAL,
	      "%s returned %ld", what, r);
	return 0;
}

int main(void)
{
	char *buf = pv_pages_alloc(PVISOR_CONSOLE_IO_MAX / PV_PAGE_SIZE);
	struct pvisor_mmu_update req = { 0, 0 };
	uint64_t pfn = 0;
	size_t i;
	long r;

	CHECK(buf, "allocation failed");
	for (i = 0; i < PVISOR_CONSOLE_IO_MAX; i++)
		buf[i] = (i % 128 == 127) ? '\n' : '.';
	if (check_clamped("write of 2^40 bytes",
			  hc_console_io(PVISOR_CONSOLE_WRITE, buf, 1ull << 40)) ||
	    check_clamped("write of ~0 bytes", hc_console_io(PVISOR_CONSOLE_WRITE, buf, ~0ul)))
		return 1;
	r = hc_console_io(PVISOR_CONSOLE_READ, buf, 1ull << 40);
	CHECK(r >= 0 || r == -EAGAIN || r == -EFAULT, "read of 2^40 bytes returned %ld", r);
	r = hc_console_io(PVISOR_CONSOLE_READ, buf, ~0ul);
	CHECK(r >= 0 || r == -EAGAIN || r == -EFAULT, "read of ~0 bytes returned %ld", r);

	r = hc_mmu_update(&req, PVISOR_MMU_BATCH_MAX + 1ul, NULL);
	CHECK(r == -E2BIG, "MMU_UPDATE of BATCH_MAX+1 returned %ld", r);
	r = hc_mmu_update(&req, ~0ul, NULL);
	CHECK(r == -E2BIG, "MMU_UPDATE of ~0 returned %ld", r);
	r = hc_memory_op(PVISOR_MEM_DECREASE_RESERVATION, &pfn, ~0ul);
	CHECK(r == -E2BIG, "MEMORY_OP of ~0 pages returned %ld", r);
	r = hc_memory_op(PVISOR_MEM_INCREASE_RESERVATION, &pfn, 1ul << 40);
	CHECK(r == -E2BIG, "MEMORY_OP of 2^40 pages returned %ld", r);

	r = hc_set_timer(~0ull);
	CHECK(r == 0 || r == -EINVAL, "SET_TIMER(~0) returned %ld", r);
	r = hc_sched_op(PVISOR_SCHED_BLOCK, 1, 0, 0);	/* a deadline long past */
	CHECK(r == 0, "SCHED_BLOCK(1) returned %ld", r);
	pv_sleep_ms(2);		/* the kernel's timer still works */
	printf("\n");
	return test_pass();
}

/* pvisor-test: exit=0 timeout=60 */
/* timer_storm.c (hostile): 20,000 SET_TIMER calls whose deadlines are in
 * the past, now, the far future, the largest value and 0 (cancel), with a
 * SCHED_BLOCK on a past deadline every 100th call. The hypervisor must take
 * every one (0 returned), keep no stale timer that fires forever, and
 * leave a working clock: a 10 ms sleep afterwards takes at least 10 ms
 * and ends. */
#define TEST_NAME "timer_storm"
#include <stdint.h>
#include <pv/hypercall.h>
#include "pvtest.h"

#define CALLS 20000

static uint64_t deadline_for(unsigned i, uint64_t now)
{
	switch (i % 5) {
	case 0:  return now > 1000 ? now - 1000 : 1;	/* past */
	case 1:  return now;
	case 2:  return now + 3600 * PV_NSEC_PER_SEC;	/* far future */
	case 3:  return UINT64_MAX;
	default: return 0;				/* cancel */
	}
}

int main(void)
{
	uint64_t start;

	for (unsigned i = 0; i < CALLS; i++) {
		uint64_t now = pv_clock_ns();
		long r = hc_set_timer(deadline_for(i, now));

		CHECK(r == 0, "SET_TIMER %u returned %ld", i, r);
		if (i % 100 == 0)
			CHECK(hc_sched_op(PVISOR_SCHED_BLOCK, now > 1 ? now - 1 : 1, 0, 0) == 0,
			      "SCHED_BLOCK %u failed", i);
	}
	start = pv_clock_ns();
	pv_sleep_ms(10);
	CHECK(pv_clock_ns() - start >= 10 * PV_NSEC_PER_MSEC, "a 10 ms sleep took %llu ns",
	      (unsigned long long)(pv_clock_ns() - start));
	return test_pass();
}

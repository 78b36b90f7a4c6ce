/* pvisor-test: exit=0 max_cpu_percent=20 min_seconds=0.9 */
/* idle.c: a guest that only sleeps must cost the host (almost) no CPU:
 * the hypervisor sleeps in SCHED_BLOCK instead of polling. The runner
 * checks pvisor's CPU time against max_cpu_percent of the wall time. */
#define TEST_NAME "idle"
#include "pvtest.h"

int main(void)
{
	uint64_t start = pv_clock_ns();

	for (int i = 0; i < 10; i++)
		pv_sleep_ms(100);
	if (pv_clock_ns() - start < 1000 * PV_NSEC_PER_MSEC)
		return test_fail("slept %llu ns, less than asked",
				 (unsigned long long)(pv_clock_ns() - start));
	return test_pass();
}

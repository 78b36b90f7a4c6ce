/* emul_clock.c: the host clocks the device models read through their
 * emul_clock_fn hook: CLOCK_MONOTONIC for timers (PIT) and CLOCK_REALTIME
 * for the wall clock (CMOS RTC). Tests pass fake clocks instead. */
#include <time.h>

#include "hw/emul.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t emul_monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t emul_realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

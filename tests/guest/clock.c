/* pvisor-test: exit=0 cmdline=hostnow=@HOSTNOW@ min_seconds=0.9 */
/* clock.c: the PV clock: monotonic time never decreases over many reads;
 * the wall clock agrees with the host's (the runner passes its
 * CLOCK_REALTIME in ns as hostnow=); a 1 s spin by the PV clock takes at
 * least 0.9 s of real time (min_seconds), so the clock does not run fast;
 * clock_gettime(), time() and gmtime_r() agree with the pv functions. */
#define TEST_NAME "clock"
#include <stdlib.h>
#include <time.h>
#include "pvtest.h"

static int check_monotonic(void)
{
	uint64_t prev = pv_clock_ns(), now;
	long i;

	for (i = 0; i < 2000000; i++) {
		now = pv_clock_ns();
		CHECK(now >= prev, "monotonic clock went back: %lu after %lu", now, prev);
		prev = now;
	}
	return 0;
}

static int check_wallclock(void)
{
	const char *arg = getenv("hostnow");
	uint64_t host, guest = pv_wallclock_ns();

	CHECK(arg, "no hostnow= on the command line");
	host = strtoull(arg, NULL, 10);
	printf("clock: host %lu guest %lu (guest - host = %ld ms)\n", host, guest,
	       ((long)guest - (long)host) / 1000000);
	CHECK(guest + 2 * PV_NSEC_PER_SEC >= host, "wall clock is behind the host's by > 2 s");
	CHECK(guest <= host + 60 * PV_NSEC_PER_SEC, "wall clock is ahead of the host's by > 60 s");
	return 0;
}

static int check_posix(void)
{
	struct timespec mono, real;
	struct tm tm;
	time_t t = 951782400;	/* 2000-02-29 00:00:00 UTC */
	uint64_t a = pv_clock_ns(), b, w;

	CHECK(clock_gettime(CLOCK_MONOTONIC, &mono) == 0, "clock_gettime(MONOTONIC) failed");
	b = (uint64_t)mono.tv_sec * PV_NSEC_PER_SEC + (uint64_t)mono.tv_nsec;
	CHECK(b >= a && b - a < PV_NSEC_PER_SEC, "CLOCK_MONOTONIC disagrees with pv_clock_ns");
	CHECK(clock_gettime(CLOCK_REALTIME, &real) == 0, "clock_gettime(REALTIME) failed");
	w = pv_wallclock_ns() / PV_NSEC_PER_SEC;
	CHECK((uint64_t)real.tv_sec <= w && w - (uint64_t)real.tv_sec <= 1,
	      "CLOCK_REALTIME disagrees with pv_wallclock_ns");
	CHECK((uint64_t)time(NULL) - (uint64_t)real.tv_sec <= 1, "time() disagrees");
	CHECK(gmtime_r(&t, &tm), "gmtime_r failed");
	CHECK(tm.tm_year == 100 && tm.tm_mon == 1 && tm.tm_mday == 29 && tm.tm_wday == 2 &&
	      tm.tm_yday == 59 && tm.tm_hour == 0, "gmtime_r(2000-02-29) gave %d-%d-%d wday %d yday %d",
	      tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_wday, tm.tm_yday);
	return 0;
}

/* Busy for one second of PV-clock time. */
static int spin_one_second(void)
{
	uint64_t start = pv_clock_ns(), now, loops = 0;

	do {
		now = pv_clock_ns();
		loops++;
	} while (now - start < PV_NSEC_PER_SEC);
	printf("clock: spun 1 s by the PV clock in %lu reads\n", loops);
	return 0;
}

int main(void)
{
	if (check_monotonic() || check_wallclock() || check_posix() || spin_one_second())
		return 1;
	return test_pass();
}

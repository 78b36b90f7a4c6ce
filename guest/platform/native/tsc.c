/* tsc.c: the native platform's clock: the TSC (invariant on these hosts),
 * scaled to nanoseconds since it was calibrated at boot.
 *
 * Calibration opens PIT channel 2's gate for a known count and polls its
 * output until it rises. Each poll is a port read, an exit of tens of
 * microseconds, so the instant of the edge is only known to lie between
 * two polls: the midpoints of the gate write and of the two polls around
 * the edge are the best estimates, and a 20 ms window keeps the error
 * around 0.2% at worst. A PIT that never counts is caught when the TSC
 * has run for the whole window at the highest plausible frequency (a
 * bound on time, not on polls: a poll costs ~50 us on pvisor's nested
 * hosts and ~0.1 us under QEMU's binary translator). */
#include <pv/kernel.h>
#include "pc.h"

#define CAL_NS		20000000ull		/* the reference window */
#define CAL_TICKS	((uint16_t)(CAL_NS * PIT_HZ / 1000000000ull))
#define HZ_MIN		100000000ull		/* sanity bounds of the result */
#define HZ_MAX		100000000000ull
#define CAL_TSC_MAX	(CAL_NS / 1000000 * (HZ_MAX / 1000))	/* TSC ticks */

static uint64_t tsc_zero;	/* TSC at clock 0 */
static uint64_t ns_per_tick;	/* 32.32 fixed point */
static uint64_t hz;

static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* TSC ticks from opening the gate to channel 2's terminal count. */
static uint64_t measure_window(void)
{
	uint64_t before, after, start, prev_poll, poll_start, poll_end;

	pit_ch2_prepare(CAL_TICKS);
	before = rdtsc_ordered();
	pit_ch2_gate(true);
	after = rdtsc_ordered();
	start = before + (after - before) / 2;
	prev_poll = after;
	for (;;) {
		poll_start = rdtsc_ordered();
		if (pit_ch2_done())
			break;
		poll_end = rdtsc_ordered();
		prev_poll = poll_start + (poll_end - poll_start) / 2;
		if (poll_end - start > CAL_TSC_MAX)
			pv_panic("PIT channel 2 never reached its terminal count");
	}
	poll_end = rdtsc_ordered();
	pit_ch2_gate(false);
	poll_start += (poll_end - poll_start) / 2;	/* the poll that saw the edge */
	return prev_poll + (poll_start - prev_poll) / 2 - start;
}

void tsc_calibrate(void)
{
	uint64_t ticks = measure_window();

	hz = ticks * PIT_HZ / CAL_TICKS;
	if (hz < HZ_MIN || hz > HZ_MAX)
		pv_panic("TSC calibration gave %lu Hz", (unsigned long)hz);
	ns_per_tick = (uint64_t)(((unsigned __int128)1000000000ull << 32) / hz);
	tsc_zero = rdtsc_ordered();
}

uint64_t tsc_clock_ns(void)
{
	uint64_t delta = rdtsc_ordered() - tsc_zero;

	return (uint64_t)(((unsigned __int128)delta * ns_per_tick) >> 32);
}

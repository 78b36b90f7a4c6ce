/* pv/time.h: time from the platform's clock.
 *
 * No hypercall and no exit: in PV mode the clock is read from the shared
 * info page and the TSC; natively (hybrid and full mode) it is the TSC,
 * calibrated at boot, and the wall clock comes from the CMOS clock (whole
 * seconds). time.h (clock_gettime, nanosleep) is built on these. */
#ifndef PV_TIME_H
#define PV_TIME_H

#include <stdint.h>

#define PV_NSEC_PER_USEC	((uint64_t)1000)
#define PV_NSEC_PER_MSEC	((uint64_t)1000000)
#define PV_NSEC_PER_SEC		((uint64_t)1000000000)

/* Monotonic time: nanoseconds since the domain started. Never decreases. */
uint64_t pv_clock_ns(void);

/* Wall clock: nanoseconds since 1970-01-01 00:00:00 UTC. */
uint64_t pv_wallclock_ns(void);

/* The wall clock split into seconds and nanoseconds. */
void pv_wallclock(uint64_t *sec, uint32_t *nsec);

/* Broken-down UTC time, for printing dates without a C library locale. */
struct pv_utc {
	int year, month, day;		/* month 1..12, day 1..31 */
	int hour, minute, second;
	int weekday;			/* 0 = Sunday */
};
void pv_utc_from_seconds(uint64_t unix_seconds, struct pv_utc *out);

#endif

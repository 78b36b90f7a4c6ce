/* time.h: clocks, sleeping and UTC dates for pvisor guest programs.
 * Time comes from the PV clock (pv/time.h): reading it costs no exit. */
#ifndef PVISOR_GUEST_TIME_H
#define PVISOR_GUEST_TIME_H

#include <stddef.h>

typedef long time_t;
typedef int clockid_t;

struct timespec {
	time_t tv_sec;
	long tv_nsec;
};

struct tm {
	int tm_sec, tm_min, tm_hour;
	int tm_mday, tm_mon, tm_year;	/* tm_mon 0..11, tm_year since 1900 */
	int tm_wday, tm_yday, tm_isdst;
};

#define CLOCK_REALTIME	0	/* wall clock, UTC                      */
#define CLOCK_MONOTONIC	1	/* ns since the domain started           */
#define CLOCK_BOOTTIME	7	/* the same as CLOCK_MONOTONIC here       */
#define TIMER_ABSTIME	1

int clock_gettime(clockid_t clock, struct timespec *ts);
int clock_getres(clockid_t clock, struct timespec *res);

/* Sleeps the calling thread; never interrupted (rem, if given, is zeroed). */
int nanosleep(const struct timespec *req, struct timespec *rem);
int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
		    struct timespec *rem);

time_t time(time_t *out);
struct tm *gmtime_r(const time_t *t, struct tm *out);
struct tm *gmtime(const time_t *t);	/* static result: not thread-safe */

#endif

/* posix.c: <time.h>, <unistd.h> and <sched.h> on the PV clock, the
 * scheduler and the console. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "kernel.h"

static void ns_to_timespec(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / PV_NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % PV_NSEC_PER_SEC);
}

static bool timespec_valid(const struct timespec *ts)
{
	return ts && ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < (long)PV_NSEC_PER_SEC;
}

static uint64_t timespec_to_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * PV_NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

int clock_gettime(clockid_t clock, struct timespec *ts)
{
	switch (clock) {
	case CLOCK_REALTIME:
		ns_to_timespec(pv_wallclock_ns(), ts);
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
		ns_to_timespec(pv_clock_ns(), ts);
		return 0;
	default:
		errno = EINVAL;
		return -1;
	}
}

int clock_getres(clockid_t clock, struct timespec *res)
{
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME) {
		errno = EINVAL;
		return -1;
	}
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = 1;
	}
	return 0;
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
		    struct timespec *rem)
{
	uint64_t now, target, reference;

	if (!timespec_valid(req))
		return EINVAL;
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
		return EINVAL;
	if (rem) {
		rem->tv_sec = 0;
		rem->tv_nsec = 0;
	}
	target = timespec_to_ns(req);
	if (!(flags & TIMER_ABSTIME)) {
		pv_sleep_ns(target);
		return 0;
	}
	now = pv_clock_ns();
	reference = clock == CLOCK_REALTIME ? pv_wallclock_ns() : now;
	if (target > reference)
		pv_sleep_until(now + (target - reference));
	return 0;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	int err = clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem);

	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

time_t time(time_t *out)
{
	time_t now = (time_t)(pv_wallclock_ns() / PV_NSEC_PER_SEC);

	if (out)
		*out = now;
	return now;
}

struct tm *gmtime_r(const time_t *t, struct tm *out)
{
	static const int days_before[12] = {
		0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334,
	};
	struct pv_utc u;
	bool leap;

	if (*t < 0) {
		errno = EOVERFLOW;
		return NULL;
	}
	pv_utc_from_seconds((uint64_t)*t, &u);
	leap = (u.year % 4 == 0 && u.year % 100 != 0) || u.year % 400 == 0;
	out->tm_sec = u.second;
	out->tm_min = u.minute;
	out->tm_hour = u.hour;
	out->tm_mday = u.day;
	out->tm_mon = u.month - 1;
	out->tm_year = u.year - 1900;
	out->tm_wday = u.weekday;
	out->tm_yday = days_before[u.month - 1] + u.day - 1 + (leap && u.month > 2);
	out->tm_isdst = 0;
	return out;
}

struct tm *gmtime(const time_t *t)
{
	static struct tm result;

	return gmtime_r(t, &result);
}

unsigned int sleep(unsigned int seconds)
{
	pv_sleep_ns((uint64_t)seconds * PV_NSEC_PER_SEC);
	return 0;
}

int usleep(useconds_t usec)
{
	pv_sleep_us(usec);
	return 0;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	long n;

	if (fd != STDOUT_FILENO && fd != STDERR_FILENO) {
		errno = EBADF;
		return -1;
	}
	n = pv_console_write(buf, len);
	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	return n;
}

ssize_t read(int fd, void *buf, size_t len)
{
	long n;

	if (fd != STDIN_FILENO) {
		errno = EBADF;
		return -1;
	}
	n = pv_console_read(buf, len);
	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	return n;
}

void _exit(int status)
{
	pv_poweroff(status);
}

int sched_yield(void)
{
	pv_thread_yield();
	return 0;
}

int sched_get_priority_min(int policy)
{
	(void)policy;
	return PV_PRIO_MIN;
}

int sched_get_priority_max(int policy)
{
	(void)policy;
	return PV_PRIO_MAX;
}

/* time.c: monotonic and wall-clock time from the platform's clock
 * (platform.h: the PV clock in the shared info page and the TSC, without any
 * exit; or the TSC calibrated at boot and the CMOS clock natively), kept
 * monotonic here, and converting seconds to a date. */
#include "kernel.h"

static uint64_t last_ns;	/* largest value returned: keeps time monotonic */

uint64_t pv_clock_ns(void)
{
	uint64_t now = platform->clock_ns();
	uint64_t last = __atomic_load_n(&last_ns, __ATOMIC_RELAXED);

	do {
		if (now <= last)
			return last;
	} while (!__atomic_compare_exchange_n(&last_ns, &last, now, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return now;
}

void pv_wallclock(uint64_t *sec, uint32_t *nsec)
{
	uint64_t base_sec, now = pv_clock_ns(), ns;
	uint32_t base_nsec;

	platform->wallclock_base(&base_sec, &base_nsec);
	ns = base_nsec + now % PV_NSEC_PER_SEC;
	*sec = base_sec + now / PV_NSEC_PER_SEC + ns / PV_NSEC_PER_SEC;
	*nsec = (uint32_t)(ns % PV_NSEC_PER_SEC);
}

uint64_t pv_wallclock_ns(void)
{
	uint64_t sec;
	uint32_t nsec;

	pv_wallclock(&sec, &nsec);
	return sec * PV_NSEC_PER_SEC + nsec;
}

/* Days since 1970-01-01 to civil date (Howard Hinnant's algorithm). */
void pv_utc_from_seconds(uint64_t unix_seconds, struct pv_utc *out)
{
	uint64_t days = unix_seconds / 86400, rem = unix_seconds % 86400;
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	uint64_t d = doy - (153 * mp + 2) / 5 + 1;
	uint64_t m = mp < 10 ? mp + 3 : mp - 9;

	out->year = (int)(yoe + era * 400 + (m <= 2));
	out->month = (int)m;
	out->day = (int)d;
	out->hour = (int)(rem / 3600);
	out->minute = (int)(rem / 60 % 60);
	out->second = (int)(rem % 60);
	out->weekday = (int)((days + 4) % 7);	/* 1970-01-01 was a Thursday */
}

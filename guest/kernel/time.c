/* time.c: the PV clock: monotonic and wall-clock time read from the shared
 * info page and the TSC, without any exit. */
#include "kernel.h"

static uint64_t last_ns;	/* largest value returned: keeps time monotonic */

static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	/* lfence keeps rdtsc from running ahead of the loads before it. */
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* System time by the formula in shared_info.h, read under its seqlock. */
static uint64_t pvclock_read(void)
{
	volatile struct pvisor_vcpu_time *t = &pv_vcpu0()->time;
	uint64_t tsc_timestamp, system_time, tsc, delta;
	uint32_t version, mul;
	int8_t shift;

	do {
		version = t->version;
		__asm__ volatile("" ::: "memory");
		tsc_timestamp = t->tsc_timestamp;
		system_time = t->system_time;
		mul = t->tsc_to_system_mul;
		shift = t->tsc_shift;
		tsc = rdtsc_ordered();
		__asm__ volatile("" ::: "memory");
	} while ((version & 1) || version != t->version);

	delta = tsc > tsc_timestamp ? tsc - tsc_timestamp : 0;
	if (shift >= 0)
		delta <<= shift;
	else
		delta >>= -shift;
	return system_time + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t pv_clock_ns(void)
{
	uint64_t now = pvclock_read();
	uint64_t last = __atomic_load_n(&last_ns, __ATOMIC_RELAXED);

	do {
		if (now <= last)
			return last;
	} while (!__atomic_compare_exchange_n(&last_ns, &last, now, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return now;
}

/* The wall clock at system time 0, under its own seqlock. */
static void wallclock_base(uint64_t *sec, uint32_t *nsec)
{
	volatile struct pvisor_shared_info *si = SHARED_INFO;
	uint32_t version;

	do {
		version = si->wc_version;
		__asm__ volatile("" ::: "memory");
		*sec = si->wc_sec;
		*nsec = si->wc_nsec;
		__asm__ volatile("" ::: "memory");
	} while ((version & 1) || version != si->wc_version);
}

void pv_wallclock(uint64_t *sec, uint32_t *nsec)
{
	uint64_t base_sec, now = pv_clock_ns(), ns;
	uint32_t base_nsec;

	wallclock_base(&base_sec, &base_nsec);
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

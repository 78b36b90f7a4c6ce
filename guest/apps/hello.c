/* hello.c: the bundled default guest. Prints a banner (ABI version, the
 * platform the kernel found, the wall-clock date in UTC, uptime), then
 * runs three worker threads that compute, sleep on timers of different
 * lengths and update a shared, mutex-protected counter, joins them and
 * prints a summary. Integer arithmetic only, so the same image also runs
 * at CPL0 in hybrid and full mode (docs/guest.md). */
#include <inttypes.h>
#include <stdio.h>
#include <pv/pv.h>

#define ROUNDS 5

struct worker {
	const char *name;
	uint64_t sleep_ms;	/* between rounds */
	uint64_t (*compute)(unsigned int round);
	uint64_t last;		/* result of the last round */
};

static struct pv_mutex lock = PV_MUTEX_INIT;
static unsigned int rounds_done;
static uint64_t start_ns;	/* when the workers were started */

/* Number of primes below 2000 * (round + 1), by trial division. */
static uint64_t count_primes(unsigned int round)
{
	uint64_t limit = 2000 * (round + 1), n, d, count = 0;

	for (n = 2; n < limit; n++) {
		for (d = 2; d * d <= n && n % d; d++)
			;
		count += d * d > n;
	}
	return count;
}

/* Fibonacci number 40 + 10 * round, modulo 2^64. */
static uint64_t fibonacci(unsigned int round)
{
	uint64_t a = 0, b = 1, t;
	unsigned int i;

	for (i = 0; i < 40 + 10 * round; i++) {
		t = a + b;
		a = b;
		b = t;
	}
	return a;
}

/* Length of the longest Collatz chain starting below 3000 * (round + 1). */
static uint64_t collatz(unsigned int round)
{
	uint64_t best = 0, start, n, steps;

	for (start = 1; start < 3000 * (round + 1); start++) {
		for (n = start, steps = 1; n != 1; steps++)
			n = n & 1 ? 3 * n + 1 : n / 2;
		if (steps > best)
			best = steps;
	}
	return best;
}

/* "123.456" ms since t0, in buf. */
static const char *ms_since(uint64_t t0, char buf[32])
{
	uint64_t us = (pv_clock_ns() - t0) / PV_NSEC_PER_USEC;

	snprintf(buf, 32, "%3" PRIu64 ".%03" PRIu64, us / 1000, us % 1000);
	return buf;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int round, total;
	char ms[32];

	for (round = 0; round < ROUNDS; round++) {
		w->last = w->compute(round);
		pv_mutex_lock(&lock);
		total = ++rounds_done;
		pv_mutex_unlock(&lock);
		printf("  [%7s ms] %-8s round %u: %" PRIu64 " (rounds done: %u)\n",
		       ms_since(start_ns, ms), w->name, round + 1, w->last, total);
		pv_sleep_ms(w->sleep_ms);
	}
	return w;
}

static void print_banner(void)
{
	const struct pvisor_start_info *si = pv_start_info();
	uint64_t sec, up = pv_clock_ns();
	uint32_t nsec;
	struct pv_utc t;

	pv_wallclock(&sec, &nsec);
	pv_utc_from_seconds(sec, &t);
	printf("Hello from a pvisor guest! (platform: %s)\n", pv_platform_name());
	printf("  ABI version %u, features %#x, domain %u, %u vCPU(s), %" PRIu64 " MiB RAM\n",
	       si->abi_version, si->features, si->domid, si->nr_vcpus,
	       si->nr_pages * PV_PAGE_SIZE >> 20);
	printf("  date: %04d-%02d-%02d %02d:%02d:%02d UTC\n",
	       t.year, t.month, t.day, t.hour, t.minute, t.second);
	printf("  uptime: %" PRIu64 ".%06" PRIu64 " ms\n",
	       up / PV_NSEC_PER_MSEC, up % PV_NSEC_PER_MSEC);
}

int main(void)
{
	static struct worker workers[] = {
		{ "primes", 7, count_primes, 0 },
		{ "fib", 11, fibonacci, 0 },
		{ "collatz", 17, collatz, 0 },
	};
	pv_thread_t *threads[3];
	struct pv_sched_stats st;
	unsigned int i;
	char ms[32];

	print_banner();
	start_ns = pv_clock_ns();
	printf("Starting %u worker threads (%u rounds each):\n", 3u, ROUNDS);
	for (i = 0; i < 3; i++) {
		struct pv_thread_attr attr;

		pv_thread_attr_init(&attr);
		attr.name = workers[i].name;
		threads[i] = pv_thread_create(worker_main, &workers[i], &attr);
		if (!threads[i]) {
			printf("cannot create thread %s\n", workers[i].name);
			return 1;
		}
	}
	for (i = 0; i < 3; i++)
		pv_thread_join(threads[i], NULL);

	pv_sched_stats(&st);
	printf("All workers done: %u rounds in %s ms; primes %" PRIu64 ", fib %" PRIu64
	       ", collatz %" PRIu64 "\n", rounds_done, ms_since(start_ns, ms), workers[0].last,
	       workers[1].last, workers[2].last);
	printf("Scheduler: %" PRIu64 " switches, %" PRIu64 " preemptions, %" PRIu64
	       " idle blocks, %" PRIu64 " upcalls, %" PRIu64 " timer sets\n",
	       st.switches, st.preemptions, st.idle_blocks, st.upcalls, st.timer_sets);
	printf("Goodbye.\n");
	return 0;
}

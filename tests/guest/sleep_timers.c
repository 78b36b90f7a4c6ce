/* pvisor-test: exit=0 */
/* sleep_timers.c: sleeps of many lengths never wake early, and many
 * concurrent timers fire in deadline order: 24 threads, created in reverse
 * order, sleep for distinct times and record the order they woke in. */
#define TEST_NAME "sleep_timers"
#include <time.h>
#include <unistd.h>
#include "pvtest.h"

#define NTHREADS 24

static struct pv_mutex lock;
static int wake_order[NTHREADS];
static int woken;

static int check_sleep(uint64_t ns)
{
	uint64_t t0 = pv_clock_ns(), slept;

	pv_sleep_ns(ns);
	slept = pv_clock_ns() - t0;
	CHECK(slept >= ns, "pv_sleep_ns(%lu) returned after %lu ns", ns, slept);
	if (slept > ns + 50 * PV_NSEC_PER_MSEC)
		printf("sleep_timers: note: pv_sleep_ns(%lu) took %lu ns\n", ns, slept);
	return 0;
}

static int check_posix_sleeps(void)
{
	struct timespec req = { 0, 3 * 1000 * 1000 };
	uint64_t t0 = pv_clock_ns();

	CHECK(nanosleep(&req, NULL) == 0, "nanosleep failed");
	CHECK(pv_clock_ns() - t0 >= 3 * PV_NSEC_PER_MSEC, "nanosleep(3 ms) woke early");
	t0 = pv_clock_ns();
	CHECK(usleep(2500) == 0, "usleep failed");
	CHECK(pv_clock_ns() - t0 >= 2500 * PV_NSEC_PER_USEC, "usleep(2500) woke early");
	return 0;
}

/* Thread i sleeps until (i + 1) * 1.5 ms after a common start. The order
 * they wake in says something only if every thread was asleep before the
 * first deadline; a thread that arrives late (a slow host: creating 24
 * threads under emulation can take longer than the margin) makes the round
 * void, and it is run again with twice the margin. */
static uint64_t start;
static int late;

static void *sleeper(void *arg)
{
	int i = (int)(long)arg;
	uint64_t deadline = start + (uint64_t)(i + 1) * 1500 * PV_NSEC_PER_USEC;

	if (pv_clock_ns() >= start)
		__atomic_store_n(&late, 1, __ATOMIC_RELAXED);
	pv_sleep_until(deadline);
	if (pv_clock_ns() < deadline)
		test_note_failure("thread %d woke before its deadline", i);
	pv_mutex_lock(&lock);
	wake_order[woken++] = i;
	pv_mutex_unlock(&lock);
	return NULL;
}

/* One round: 0 = woke in order, 1 = failed, ROUND_VOID = a thread was late. */
#define ROUND_VOID 2
static int order_round(uint64_t margin_ns)
{
	pv_thread_t *t[NTHREADS];
	int i;

	woken = 0;
	late = 0;
	start = pv_clock_ns() + margin_ns;
	for (i = NTHREADS - 1; i >= 0; i--) {
		t[i] = pv_thread_create(sleeper, (void *)(long)i, NULL);
		CHECK(t[i], "cannot create thread %d", i);
	}
	for (i = 0; i < NTHREADS; i++)
		pv_thread_join(t[i], NULL);
	CHECK(woken == NTHREADS, "%d threads woke, expected %d", woken, NTHREADS);
	if (late)
		return ROUND_VOID;
	for (i = 0; i < NTHREADS; i++)
		CHECK(wake_order[i] == i, "position %d: thread %d woke (expected %d)", i,
		      wake_order[i], i);
	return 0;
}

static int check_order(void)
{
	for (uint64_t margin = 5 * PV_NSEC_PER_MSEC; margin <= 640 * PV_NSEC_PER_MSEC; margin *= 2) {
		int r = order_round(margin);

		if (r != ROUND_VOID)
			return r;
		printf("sleep_timers: note: a thread was created after the first deadline "
		       "(margin %lu ms); again with twice the margin\n", margin / PV_NSEC_PER_MSEC);
	}
	CHECK(0, "threads were never all asleep before the first deadline");
	return 0;
}

int main(void)
{
	static const uint64_t lengths[] = {
		0, 1, 1000, 10000, 100000, 500000, 1000000, 2000000, 5000000, 20000000,
	};
	unsigned int i;

	for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
		if (check_sleep(lengths[i]))
			return 1;
	if (check_posix_sleeps() || check_order())
		return 1;
	return test_result();
}

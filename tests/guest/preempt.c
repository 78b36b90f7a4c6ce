/* pvisor-test: exit=0 timeout=30 */
/* preempt.c: preemption.
 *   1. Two CPU-bound threads of equal priority: the first spins, never
 *      yielding, until the second has run; only time-slice preemption lets
 *      the second run at all.
 *   2. A low-priority thread spins while a high-priority one sleeps; the
 *      high-priority one must run as soon as its timer fires, while the
 *      low-priority one is still spinning.
 * Each spin gives up after 5 s (generous), which counts as a failure. */
#define TEST_NAME "preempt"
#include "pvtest.h"

#define GIVE_UP (5 * PV_NSEC_PER_SEC)

static volatile int second_ran, high_done, low_spinning;
static uint64_t high_latency;

static void *spinner(void *arg)
{
	uint64_t start = pv_clock_ns();

	(void)arg;
	while (!second_ran && pv_clock_ns() - start < GIVE_UP)
		;
	if (!second_ran)
		test_note_failure("equal-priority thread never ran while another spun");
	return NULL;
}

static void *second(void *arg)
{
	(void)arg;
	second_ran = 1;
	return NULL;
}

static void *low(void *arg)
{
	uint64_t start = pv_clock_ns();

	(void)arg;
	low_spinning = 1;
	while (!high_done && pv_clock_ns() - start < GIVE_UP)
		;
	if (!high_done)
		test_note_failure("high-priority thread did not preempt a spinning low one");
	low_spinning = 0;
	return NULL;
}

static void *high(void *arg)
{
	uint64_t deadline = pv_clock_ns() + 20 * PV_NSEC_PER_MSEC;

	(void)arg;
	pv_sleep_until(deadline);
	high_latency = pv_clock_ns() - deadline;
	if (!low_spinning)
		test_note_failure("low-priority thread was not spinning when high woke");
	high_done = 1;
	return NULL;
}

static pv_thread_t *spawn(void *(*fn)(void *), const char *name, int prio)
{
	struct pv_thread_attr attr;

	pv_thread_attr_init(&attr);
	attr.name = name;
	attr.priority = prio;
	return pv_thread_create(fn, NULL, &attr);
}

int main(void)
{
	pv_thread_t *a, *b;
	struct pv_sched_stats st;

	a = spawn(spinner, "spinner", 10);
	b = spawn(second, "second", 10);
	CHECK(a && b, "cannot create the equal-priority threads");
	pv_thread_join(a, NULL);
	pv_thread_join(b, NULL);
	CHECK(!test_failure[0], "%s", test_failure);

	b = spawn(high, "high", 20);	/* starts at once, then sleeps */
	a = spawn(low, "low", 5);
	CHECK(a && b, "cannot create the low/high threads");
	pv_thread_join(b, NULL);
	pv_thread_join(a, NULL);
	pv_sched_stats(&st);
	printf("preempt: high-priority wake latency %lu us; %lu preemptions\n",
	       high_latency / 1000, st.preemptions);
	if (!test_failure[0] && high_latency > PV_NSEC_PER_SEC)
		test_note_failure("high-priority thread ran %lu ms late", high_latency / 1000000);
	return test_result();
}

/* pvisor-test: exit=0 timeout=30 */
/* fpu_context.c: floating-point and SSE state belongs to each thread.
 * Three equal-priority threads run long floating-point computations and
 * are preempted by time slices many times; each also sets its own SSE
 * rounding mode (MXCSR). Every thread must get the result it would get
 * alone and find its rounding mode unchanged. */
#define TEST_NAME "fpu_context"
#include "pvtest.h"

#define THREADS 3
#define ITERATIONS 6000000

static const unsigned int rounding[THREADS] = { 0, 1, 3 };	/* nearest, down, zero */

static unsigned int get_mxcsr(void)
{
	unsigned int m;

	__asm__ volatile("stmxcsr %0" : "=m"(m));
	return m;
}

static void set_rounding(unsigned int mode)
{
	unsigned int m = (get_mxcsr() & ~0x6000u) | (mode << 13);

	__asm__ volatile("ldmxcsr %0" : : "m"(m));
}

/* A computation whose result depends on every intermediate value. */
static double compute(unsigned int seed, long n)
{
	volatile double x = 1.0 + seed * 0.25, acc = 0.0;
	long i;

	for (i = 0; i < n; i++) {
		x = x * 1.0000001 + 0.0000003;
		acc += x / (1.0 + (double)(i & 1023));
	}
	return acc;
}

static double expected[THREADS];

static void *worker(void *arg)
{
	unsigned int id = (unsigned int)(long)arg;
	double got;

	set_rounding(rounding[id]);
	got = compute(id, ITERATIONS);
	if (((get_mxcsr() >> 13) & 3) != rounding[id])
		test_note_failure("thread %u lost its rounding mode", id);
	if (got != expected[id])
		test_note_failure("thread %u computed %.17g, alone %.17g", id, got, expected[id]);
	return NULL;
}

int main(void)
{
	pv_thread_t *t[THREADS];
	struct pv_sched_stats st0, st1;
	unsigned int saved = get_mxcsr(), i;

	for (i = 0; i < THREADS; i++) {
		set_rounding(rounding[i]);
		expected[i] = compute(i, ITERATIONS);
	}
	__asm__ volatile("ldmxcsr %0" : : "m"(saved));
	pv_sched_stats(&st0);
	for (i = 0; i < THREADS; i++)
		CHECK((t[i] = pv_thread_create(worker, (void *)(long)i, NULL)), "create failed");
	for (i = 0; i < THREADS; i++)
		pv_thread_join(t[i], NULL);
	pv_sched_stats(&st1);
	printf("fpu_context: %lu switches during the run\n", st1.switches - st0.switches);
	CHECK(get_mxcsr() == saved, "main's MXCSR changed");
	if (!test_failure[0] && st1.switches - st0.switches < 6)
		test_note_failure("only %lu switches: the threads were not preempted",
				  st1.switches - st0.switches);
	return test_result();
}

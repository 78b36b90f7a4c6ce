/* pvisor-test: exit=0 stdout=pvisor-guest: thread 'recurser' stack overflow */
/* guard_page.c: a thread that recurses without bound runs into the
 * unmapped guard page below its stack; the kernel reports the overflow,
 * kills that thread only, and its joiner sees PV_THREAD_KILLED. Another
 * thread keeps running meanwhile, and new threads still work afterwards. */
#define TEST_NAME "guard_page"
#include "pvtest.h"

static volatile uint64_t depth;
static volatile uint64_t limit = ~0ull;	/* never reached; hides the recursion's end */

__attribute__((__noinline__)) static uint64_t recurse(uint64_t n)
{
	volatile char frame[256];

	frame[0] = (char)n;
	depth = n;
	if (n >= limit)
		return frame[0];
	return recurse(n + 1) + frame[0];
}

static void *recurser(void *arg)
{
	(void)arg;
	return (void *)(uintptr_t)recurse(0);
}

static volatile int ticks;
static volatile int stop;

static void *ticker(void *arg)
{
	(void)arg;
	while (!stop) {
		ticks++;
		pv_sleep_ms(1);
	}
	return (void *)42;
}

static void *trivial(void *arg)
{
	return arg;
}

int main(void)
{
	struct pv_thread_attr attr;
	pv_thread_t *r, *t;
	void *result = NULL;
	int before;

	t = pv_thread_create(ticker, NULL, NULL);
	CHECK(t, "cannot create the ticker");
	pv_thread_attr_init(&attr);
	attr.name = "recurser";
	attr.stack_size = 32 * 1024;
	r = pv_thread_create(recurser, NULL, &attr);
	CHECK(r, "cannot create the recurser");
	CHECK(pv_thread_join(r, &result) == 0, "join failed");
	CHECK(result == PV_THREAD_KILLED, "joiner saw %p, expected PV_THREAD_KILLED", result);
	printf("guard_page: overflow after %lu levels\n", depth);
	CHECK(depth > 50, "overflow after only %lu levels", depth);

	before = ticks;
	pv_sleep_ms(10);
	CHECK(ticks > before, "the other thread stopped running");
	stop = 1;
	CHECK(pv_thread_join(t, &result) == 0 && result == (void *)42, "ticker join failed");

	t = pv_thread_create(trivial, (void *)7, NULL);
	CHECK(t, "cannot create a thread after the overflow");
	CHECK(pv_thread_join(t, &result) == 0 && result == (void *)7, "new thread misbehaved");
	return test_pass();
}

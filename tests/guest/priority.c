/* pvisor-test: exit=0 */
/* priority.c: priority scheduling. Threads below main's priority do not
 * run until main blocks, then run highest first (FIFO within a priority);
 * a thread created above main's priority runs before pv_thread_create()
 * returns; raising a ready thread above main preempts main at once. */
#define TEST_NAME "priority"
#include "pvtest.h"

static int order[8], ran;

static void *record(void *arg)
{
	order[ran++] = (int)(long)arg;
	return NULL;
}

static pv_thread_t *spawn(int prio, long id)
{
	struct pv_thread_attr attr;

	pv_thread_attr_init(&attr);
	attr.priority = prio;
	return pv_thread_create(record, (void *)id, &attr);
}

int main(void)
{
	static const int prio[5] = { 5, 12, 9, 12, 1 };
	static const int want[5] = { 1, 3, 2, 0, 4 };	/* 12, 12, 9, 5, 1 */
	pv_thread_t *t[5], *hi, *late;
	int i;

	CHECK(pv_thread_priority(pv_thread_self()) == PV_PRIO_DEFAULT, "main is not at %d",
	      PV_PRIO_DEFAULT);
	for (i = 0; i < 5; i++)
		CHECK((t[i] = spawn(prio[i], i)), "create failed");
	CHECK(ran == 0, "a lower-priority thread ran while main was runnable");
	for (i = 0; i < 5; i++)
		pv_thread_join(t[i], NULL);
	for (i = 0; i < 5; i++)
		CHECK(order[i] == want[i], "run order position %d: %d, expected %d", i, order[i],
		      want[i]);

	ran = 0;
	hi = spawn(PV_PRIO_MAX, 7);
	CHECK(hi && ran == 1 && order[0] == 7, "a higher-priority thread did not run at once");
	pv_thread_join(hi, NULL);

	ran = 0;
	late = spawn(3, 6);
	CHECK(late && ran == 0, "a low-priority thread ran too early");
	CHECK(pv_thread_set_priority(late, 20) == 0, "set_priority failed");
	CHECK(ran == 1, "raising a ready thread above main did not preempt main");
	pv_thread_join(late, NULL);
	CHECK(pv_thread_set_priority(pv_thread_self(), 40) < 0, "priority 40 accepted");
	return test_pass();
}

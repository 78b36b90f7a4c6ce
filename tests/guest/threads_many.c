/* pvisor-test: exit=0 timeout=60 */
/* threads_many.c: thread life cycle at scale: 500 threads created and
 * joined one after another, 100 alive at once (each waits at a gate the
 * main thread opens after counting them, so no timing is assumed), and
 * 100 detached ones.
 * Stacks (frames and vmap address space) are reused, so the free page
 * count comes back to where it started, less the page-table pages a
 * native kernel took for the address space it used (pv_page_table_pages:
 * kept for reuse, 0 under PV). */
#define TEST_NAME "threads_many"
#include "pvtest.h"

#define SEQUENTIAL 500
#define CONCURRENT 100
#define DETACHED 100

static struct pv_sem detached_done;
static struct pv_sem gate;
static volatile int concurrent_running;

static void *echo(void *arg)
{
	return arg;
}

static void *gated(void *arg)
{
	concurrent_running++;
	pv_sem_wait(&gate);
	return arg;
}

static void *detached(void *arg)
{
	(void)arg;
	pv_sem_post(&detached_done);
	return NULL;
}

int main(void)
{
	static pv_thread_t *t[CONCURRENT];
	struct pv_thread_attr attr;
	struct pv_sched_stats st;
	size_t free0 = pv_pages_free_count(), free1;
	size_t tables0 = pv_page_table_pages(), tables1;
	void *result;
	int i;

	for (i = 0; i < SEQUENTIAL; i++) {
		pv_thread_t *one = pv_thread_create(echo, (void *)(long)i, NULL);

		CHECK(one, "create %d failed", i);
		CHECK(pv_thread_join(one, &result) == 0 && result == (void *)(long)i,
		      "join %d failed", i);
	}
	pv_sem_init(&gate, 0);
	for (i = 0; i < CONCURRENT; i++)
		CHECK((t[i] = pv_thread_create(gated, (void *)(long)i, NULL)),
		      "concurrent create %d failed", i);
	pv_sched_stats(&st);
	CHECK(st.threads >= CONCURRENT, "only %u threads alive", st.threads);
	for (i = 0; i < CONCURRENT; i++)
		pv_sem_post(&gate);
	for (i = 0; i < CONCURRENT; i++)
		CHECK(pv_thread_join(t[i], &result) == 0 && result == (void *)(long)i,
		      "concurrent join %d failed", i);
	CHECK(concurrent_running == CONCURRENT, "%d threads ran", concurrent_running);

	pv_thread_attr_init(&attr);
	attr.detached = 1;
	for (i = 0; i < DETACHED; i++)
		CHECK(pv_thread_create(detached, NULL, &attr), "detached create %d failed", i);
	for (i = 0; i < DETACHED; i++)
		CHECK(pv_sem_wait(&detached_done) == 0, "sem wait failed");
	pv_sleep_ms(2);		/* the idle loop frees dead detached threads */
	pv_thread_join(pv_thread_create(echo, NULL, NULL), NULL);

	free1 = pv_pages_free_count();
	tables1 = pv_page_table_pages();
	printf("threads_many: free pages before %zu, after %zu; page tables %zu, then %zu\n",
	       free0, free1, tables0, tables1);
	CHECK(free1 + tables1 == free0 + tables0, "%ld pages leaked",
	      (long)(free0 + tables0) - (long)(free1 + tables1));
	return test_pass();
}

/* pvisor-test: exit=0 timeout=60 */
/* block_wake.c: stress for blocking and waking: producers and consumers
 * hand 30000 items through a 4-slot buffer guarded by a mutex and two
 * condition variables, and two threads ping-pong 5000 times. A lost wakeup
 * would hang (and time out); every item must arrive exactly once. */
#define TEST_NAME "block_wake"
#include "pvtest.h"

#define PRODUCERS 3
#define CONSUMERS 2
#define ITEMS_EACH 10000
#define SLOTS 4
#define PINGS 5000

static struct pv_mutex lock;
static struct pv_cond not_full, not_empty;
static uint64_t buffer[SLOTS];
static unsigned int head, count, producers_left = PRODUCERS;
static uint64_t consumed_sum, consumed_items;

static void *producer(void *arg)
{
	uint64_t base = (uint64_t)(long)arg * ITEMS_EACH, i;

	for (i = 1; i <= ITEMS_EACH; i++) {
		pv_mutex_lock(&lock);
		while (count == SLOTS)
			pv_cond_wait(&not_full, &lock);
		buffer[(head + count++) % SLOTS] = base + i;
		pv_cond_signal(&not_empty);
		pv_mutex_unlock(&lock);
	}
	pv_mutex_lock(&lock);
	producers_left--;
	pv_cond_broadcast(&not_empty);
	pv_mutex_unlock(&lock);
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t item;

		pv_mutex_lock(&lock);
		while (count == 0 && producers_left)
			pv_cond_wait(&not_empty, &lock);
		if (count == 0) {
			pv_mutex_unlock(&lock);
			return NULL;
		}
		item = buffer[head];
		head = (head + 1) % SLOTS;
		count--;
		consumed_sum += item;
		consumed_items++;
		pv_cond_signal(&not_full);
		pv_mutex_unlock(&lock);
	}
}

/* Ping-pong: whose turn it is, passed back and forth with one condvar. */
static struct pv_cond turn_changed;
static int turn;

static void *pinger(void *arg)
{
	int me = (int)(long)arg, i;

	for (i = 0; i < PINGS; i++) {
		pv_mutex_lock(&lock);
		while (turn != me)
			pv_cond_wait(&turn_changed, &lock);
		turn = !me;
		pv_cond_signal(&turn_changed);
		pv_mutex_unlock(&lock);
	}
	return NULL;
}

int main(void)
{
	pv_thread_t *t[PRODUCERS + CONSUMERS], *p[2];
	uint64_t n = (uint64_t)PRODUCERS * ITEMS_EACH, expect = n * (n + 1) / 2;
	int i;

	for (i = 0; i < CONSUMERS; i++)
		t[i] = pv_thread_create(consumer, NULL, NULL);
	for (i = 0; i < PRODUCERS; i++)
		t[CONSUMERS + i] = pv_thread_create(producer, (void *)(long)i, NULL);
	for (i = 0; i < PRODUCERS + CONSUMERS; i++) {
		CHECK(t[i], "cannot create thread %d", i);
		pv_thread_join(t[i], NULL);
	}
	CHECK(consumed_items == n, "%lu items consumed, expected %lu", consumed_items, n);
	CHECK(consumed_sum == expect, "items sum to %lu, expected %lu", consumed_sum, expect);

	for (i = 0; i < 2; i++) {
		p[i] = pv_thread_create(pinger, (void *)(long)i, NULL);
		CHECK(p[i], "cannot create pinger %d", i);
	}
	for (i = 0; i < 2; i++)
		pv_thread_join(p[i], NULL);
	printf("block_wake: %lu items and %d ping-pongs handed over\n", n, PINGS);
	return test_pass();
}

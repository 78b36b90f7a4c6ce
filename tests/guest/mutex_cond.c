/* pvisor-test: exit=0 */
/* mutex_cond.c: mutexes and condition variables: mutual exclusion under
 * yields inside the critical section, trylock, recursive lock and foreign
 * unlock errors, timed waits that time out no earlier than asked, a
 * broadcast that wakes every waiter, and the pthread versions (including
 * pthread_cond_timedwait with a CLOCK_REALTIME deadline). */
#define TEST_NAME "mutex_cond"
#include <errno.h>
#include <pthread.h>
#include "pvtest.h"

#define WORKERS 6
#define ROUNDS 500

static struct pv_mutex lock;
static struct pv_cond cond;
static volatile int in_section;
static int counter;

static void *incrementer(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		pv_mutex_lock(&lock);
		if (in_section++)
			test_note_failure("two threads inside the critical section");
		counter++;
		if (i % 7 == 0)
			pv_thread_yield();	/* invite others to try the lock */
		in_section--;
		pv_mutex_unlock(&lock);
	}
	return NULL;
}

static int check_exclusion(void)
{
	pv_thread_t *t[WORKERS];
	int i;

	for (i = 0; i < WORKERS; i++)
		CHECK((t[i] = pv_thread_create(incrementer, NULL, NULL)), "create failed");
	for (i = 0; i < WORKERS; i++)
		pv_thread_join(t[i], NULL);
	CHECK(counter == WORKERS * ROUNDS, "counter %d, expected %d", counter, WORKERS * ROUNDS);
	return 0;
}

static int trylock_result;

static void *try_foreign(void *arg)
{
	(void)arg;
	trylock_result = pv_mutex_trylock(&lock);
	if (pv_mutex_unlock(&lock) != -EPERM)
		test_note_failure("unlock by a non-owner did not fail with EPERM");
	return NULL;
}

static int check_errors(void)
{
	pv_thread_t *t;

	CHECK(pv_mutex_lock(&lock) == 0, "lock failed");
	CHECK(pv_mutex_lock(&lock) == -EDEADLK, "recursive lock did not fail with EDEADLK");
	CHECK(pv_mutex_trylock(&lock) == -EBUSY, "trylock of a held mutex did not fail");
	t = pv_thread_create(try_foreign, NULL, NULL);
	CHECK(t, "create failed");
	pv_thread_join(t, NULL);
	CHECK(trylock_result == -EBUSY, "foreign trylock returned %d", trylock_result);
	CHECK(pv_mutex_unlock(&lock) == 0, "unlock failed");
	CHECK(pv_mutex_unlock(&lock) == -EPERM, "unlocking a free mutex did not fail");
	return 0;
}

static int check_timedwait(void)
{
	uint64_t deadline = pv_clock_ns() + 15 * PV_NSEC_PER_MSEC;
	int err;

	pv_mutex_lock(&lock);
	err = pv_cond_timedwait(&cond, &lock, deadline);
	CHECK(err == -ETIMEDOUT, "timed wait returned %d, expected -ETIMEDOUT", err);
	CHECK(pv_clock_ns() >= deadline, "timed wait returned before its deadline");
	CHECK(lock.owner == pv_thread_self(), "mutex not re-acquired after a timeout");
	err = pv_cond_timedwait(&cond, &lock, pv_clock_ns() - 1);
	CHECK(err == -ETIMEDOUT, "wait with a past deadline returned %d", err);
	pv_mutex_unlock(&lock);
	return 0;
}

static int released, woke;

static void *waiter(void *arg)
{
	(void)arg;
	pv_mutex_lock(&lock);
	while (!released)
		pv_cond_wait(&cond, &lock);
	woke++;
	pv_mutex_unlock(&lock);
	return NULL;
}

static int check_broadcast(void)
{
	pv_thread_t *t[WORKERS];
	int i;

	for (i = 0; i < WORKERS; i++)
		CHECK((t[i] = pv_thread_create(waiter, NULL, NULL)), "create failed");
	pv_sleep_ms(2);		/* let them all wait */
	pv_mutex_lock(&lock);
	released = 1;
	pv_cond_broadcast(&cond);
	pv_mutex_unlock(&lock);
	for (i = 0; i < WORKERS; i++)
		pv_thread_join(t[i], NULL);
	CHECK(woke == WORKERS, "%d of %d waiters woke", woke, WORKERS);
	return 0;
}

static int check_pthread(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct timespec abstime;
	uint64_t t0;
	int err;

	CHECK(pthread_mutex_lock(&m) == 0, "pthread_mutex_lock failed");
	CHECK(pthread_mutex_lock(&m) == EDEADLK, "recursive pthread lock did not fail");
	CHECK(pthread_mutex_trylock(&m) == EBUSY, "pthread trylock did not fail");
	clock_gettime(CLOCK_REALTIME, &abstime);
	abstime.tv_nsec += 10 * 1000 * 1000;
	if (abstime.tv_nsec >= 1000000000) {
		abstime.tv_sec++;
		abstime.tv_nsec -= 1000000000;
	}
	t0 = pv_clock_ns();
	err = pthread_cond_timedwait(&c, &m, &abstime);
	CHECK(err == ETIMEDOUT, "pthread_cond_timedwait returned %d", err);
	CHECK(pv_clock_ns() - t0 >= 9 * PV_NSEC_PER_MSEC,
	      "pthread_cond_timedwait(+10 ms REALTIME) returned after %lu us",
	      (pv_clock_ns() - t0) / 1000);
	CHECK(pthread_mutex_unlock(&m) == 0, "pthread_mutex_unlock failed");
	CHECK(pthread_mutex_unlock(&m) == EPERM, "pthread unlock of a free mutex did not fail");
	return 0;
}

int main(void)
{
	if (check_exclusion() || check_errors() || check_timedwait() || check_broadcast() ||
	    check_pthread())
		return 1;
	return test_result();
}

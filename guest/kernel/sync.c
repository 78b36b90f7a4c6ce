/* sync.c: mutexes, condition variables and semaphores on wait queues.
 *
 * Each operation masks events for its few instructions (one vCPU: that is
 * the whole of the locking). Unlocking hands a mutex directly to the first
 * waiter and posting a semaphore hands the unit directly to the first
 * waiter, so a woken thread never has to compete again and no wakeup can
 * be lost. */
#include <errno.h>
#include "kernel.h"
#include "thread_internal.h"

/* ---- Mutexes -------------------------------------------------------------- */

void pv_mutex_init(struct pv_mutex *m)
{
	*m = (struct pv_mutex)PV_MUTEX_INIT;
}

/* Events masked. Blocks until current owns m. */
static int mutex_lock_masked(struct pv_mutex *m)
{
	if (!m->owner) {
		m->owner = current;
		return 0;
	}
	if (m->owner == current)
		return -EDEADLK;
	while (m->owner != current)
		waitq_wait(&m->waiters, 0);
	return 0;
}

/* Events masked. Hands m to the first waiter, if any. */
static int mutex_unlock_masked(struct pv_mutex *m)
{
	struct pv_thread *next;

	if (m->owner != current)
		return -EPERM;
	next = waitq_pop(&m->waiters);
	m->owner = next;
	if (next)
		sched_wake(next);
	return 0;
}

int pv_mutex_lock(struct pv_mutex *m)
{
	unsigned long flags = pv_events_disable();
	int err = mutex_lock_masked(m);

	pv_events_restore(flags);
	return err;
}

int pv_mutex_trylock(struct pv_mutex *m)
{
	unsigned long flags = pv_events_disable();
	int err = 0;

	if (m->owner)
		err = -EBUSY;
	else
		m->owner = current;
	pv_events_restore(flags);
	return err;
}

int pv_mutex_unlock(struct pv_mutex *m)
{
	unsigned long flags = pv_events_disable();
	int err = mutex_unlock_masked(m);

	sched_preempt_point();
	pv_events_restore(flags);
	return err;
}

/* ---- Condition variables --------------------------------------------------- */

void pv_cond_init(struct pv_cond *c)
{
	*c = (struct pv_cond)PV_COND_INIT;
}

int pv_cond_timedwait(struct pv_cond *c, struct pv_mutex *m, uint64_t deadline)
{
	unsigned long flags = pv_events_disable();
	bool woken;
	int err;

	if (m->owner != current) {
		pv_events_restore(flags);
		return -EPERM;
	}
	if (deadline && pv_clock_ns() >= deadline) {
		pv_events_restore(flags);
		return -ETIMEDOUT;
	}
	/* Release, then queue: both under the mask, so nobody can signal in
	 * between and every signal sent after the unlock finds us queued. */
	mutex_unlock_masked(m);
	woken = waitq_wait(&c->waiters, deadline);
	err = mutex_lock_masked(m);
	pv_events_restore(flags);
	if (err)
		return err;
	return woken ? 0 : -ETIMEDOUT;
}

int pv_cond_wait(struct pv_cond *c, struct pv_mutex *m)
{
	return pv_cond_timedwait(c, m, 0);
}

int pv_cond_signal(struct pv_cond *c)
{
	unsigned long flags = pv_events_disable();

	waitq_wake_one(&c->waiters);
	sched_preempt_point();
	pv_events_restore(flags);
	return 0;
}

int pv_cond_broadcast(struct pv_cond *c)
{
	unsigned long flags = pv_events_disable();

	waitq_wake_all(&c->waiters);
	sched_preempt_point();
	pv_events_restore(flags);
	return 0;
}

/* ---- Semaphores ------------------------------------------------------------ */

void pv_sem_init(struct pv_sem *s, unsigned long count)
{
	*s = (struct pv_sem)PV_SEM_INIT(count);
}

int pv_sem_timedwait(struct pv_sem *s, uint64_t deadline)
{
	unsigned long flags = pv_events_disable();
	int err = 0;

	if (s->count) {
		s->count--;
	} else if (deadline && pv_clock_ns() >= deadline) {
		err = -ETIMEDOUT;
	} else if (!waitq_wait(&s->waiters, deadline)) {
		err = -ETIMEDOUT;	/* a post hands its unit over by waking us */
	}
	pv_events_restore(flags);
	return err;
}

int pv_sem_wait(struct pv_sem *s)
{
	return pv_sem_timedwait(s, 0);
}

int pv_sem_trywait(struct pv_sem *s)
{
	unsigned long flags = pv_events_disable();
	int err = 0;

	if (s->count)
		s->count--;
	else
		err = -EAGAIN;
	pv_events_restore(flags);
	return err;
}

int pv_sem_post(struct pv_sem *s)
{
	unsigned long flags = pv_events_disable();
	struct pv_thread *t = waitq_pop(&s->waiters);

	if (t)
		sched_wake(t);
	else
		s->count++;
	sched_preempt_point();
	pv_events_restore(flags);
	return 0;
}

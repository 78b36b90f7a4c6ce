/* waitq.c: wait queues, the blocking primitive under joins, mutexes,
 * condition variables and semaphores. A queue is ordered by priority,
 * FIFO within a priority. Everything here needs events masked. */
#include "kernel.h"
#include "thread_internal.h"

void waitq_add(struct pv_waitq *q, struct pv_thread *t)
{
	struct pv_thread *after = q->last;

	while (after && after->priority < t->priority)
		after = after->wq_prev;
	t->wq_prev = after;
	t->wq_next = after ? after->wq_next : q->first;
	if (t->wq_prev)
		t->wq_prev->wq_next = t;
	else
		q->first = t;
	if (t->wq_next)
		t->wq_next->wq_prev = t;
	else
		q->last = t;
	t->wq = q;
	t->state = THREAD_BLOCKED;
}

void waitq_remove(struct pv_waitq *q, struct pv_thread *t)
{
	if (t->wq_prev)
		t->wq_prev->wq_next = t->wq_next;
	else
		q->first = t->wq_next;
	if (t->wq_next)
		t->wq_next->wq_prev = t->wq_prev;
	else
		q->last = t->wq_prev;
	t->wq_next = t->wq_prev = NULL;
	t->wq = NULL;
}

struct pv_thread *waitq_pop(struct pv_waitq *q)
{
	struct pv_thread *t = q->first;

	if (t)
		waitq_remove(q, t);
	return t;
}

/* Timer callback of a thread's own timer: a sleep or a timed wait ended. */
static void thread_timer_expired(struct ktimer *kt)
{
	struct pv_thread *t = container_of(kt, struct pv_thread, timer);

	if (t->state != THREAD_BLOCKED)
		return;
	if (t->wq)
		waitq_remove(t->wq, t);
	t->timed_out = true;
	sched_wake(t);
}

bool waitq_wait(struct pv_waitq *q, uint64_t deadline)
{
	struct pv_thread *t = current;

	t->timed_out = false;
	if (q)
		waitq_add(q, t);
	else
		t->state = THREAD_BLOCKED;
	if (deadline)
		timer_add(&t->timer, deadline, thread_timer_expired);
	sched_block();
	timer_cancel(&t->timer);
	return !t->timed_out;
}

void waitq_wake_one(struct pv_waitq *q)
{
	struct pv_thread *t = waitq_pop(q);

	if (t)
		sched_wake(t);
}

void waitq_wake_all(struct pv_waitq *q)
{
	struct pv_thread *t;

	while ((t = waitq_pop(q)))
		sched_wake(t);
}

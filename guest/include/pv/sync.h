/* pv/sync.h: mutexes, condition variables and semaphores.
 *
 * All three are plain structs that are valid when zero-filled, so static
 * ones need no initializer (PV_MUTEX_INIT etc. are there for clarity).
 * Waiters are queued by priority, FIFO within a priority; an unlock hands
 * the mutex straight to the first waiter.
 *
 * In an event handler (events.h) only pv_cond_signal(),
 * pv_cond_broadcast() and pv_sem_post() may be used: handlers cannot block.
 *
 * Functions returning int return 0 or a negative errno value. */
#ifndef PV_SYNC_H
#define PV_SYNC_H

#include <stdint.h>

struct pv_thread;

/* A queue of blocked threads. Zero-filled = empty. */
struct pv_waitq {
	struct pv_thread *first, *last;
};

struct pv_mutex {
	struct pv_thread *owner;	/* NULL when free */
	struct pv_waitq waiters;
};

struct pv_cond {
	struct pv_waitq waiters;
};

struct pv_sem {
	unsigned long count;
	struct pv_waitq waiters;
};

#define PV_MUTEX_INIT	{ 0, { 0, 0 } }
#define PV_COND_INIT	{ { 0, 0 } }
#define PV_SEM_INIT(n)	{ (n), { 0, 0 } }

void pv_mutex_init(struct pv_mutex *m);

/* -EDEADLK if the caller already holds m (mutexes are not recursive). */
int pv_mutex_lock(struct pv_mutex *m);

/* -EBUSY if m is held (by anyone, including the caller). */
int pv_mutex_trylock(struct pv_mutex *m);

/* -EPERM unless the caller holds m. */
int pv_mutex_unlock(struct pv_mutex *m);

void pv_cond_init(struct pv_cond *c);

/* Atomically releases m and waits for a signal, then re-acquires m.
 * Wakeups may be spurious: wait in a loop that re-checks the condition. */
int pv_cond_wait(struct pv_cond *c, struct pv_mutex *m);

/* Like pv_cond_wait() but gives up at deadline_ns (pv_clock_ns() time)
 * with -ETIMEDOUT; m is re-acquired in every case. */
int pv_cond_timedwait(struct pv_cond *c, struct pv_mutex *m, uint64_t deadline_ns);

int pv_cond_signal(struct pv_cond *c);
int pv_cond_broadcast(struct pv_cond *c);

void pv_sem_init(struct pv_sem *s, unsigned long count);

/* Waits until the count is positive, then decrements it. */
int pv_sem_wait(struct pv_sem *s);

/* -EAGAIN if the count is 0. */
int pv_sem_trywait(struct pv_sem *s);

/* Like pv_sem_wait() but gives up at deadline_ns with -ETIMEDOUT. */
int pv_sem_timedwait(struct pv_sem *s, uint64_t deadline_ns);

/* Increments the count, waking one waiter. Allowed in event handlers. */
int pv_sem_post(struct pv_sem *s);

#endif

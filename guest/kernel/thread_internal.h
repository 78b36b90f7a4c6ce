/* thread_internal.h: the thread structure and the scheduler's interface
 * inside the kernel. */
#ifndef PV_KERNEL_THREAD_INTERNAL_H
#define PV_KERNEL_THREAD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pv/thread.h>
#include <pv/sync.h>
#include "context.h"
#include "driver.h"		/* sched_in_handler() */
#include "timer.h"

enum thread_state {
	THREAD_READY,		/* in a run queue                 */
	THREAD_RUNNING,		/* current                        */
	THREAD_BLOCKED,		/* waiting (maybe on a wait queue) */
	THREAD_DEAD,		/* finished, not yet freed        */
};

#define THREAD_MAGIC 0x7076746872656164ull	/* "pvthread" */

struct pv_thread {
	uint64_t magic;
	struct context *ctx;		/* saved context while not running */
	enum thread_state state;
	int priority;			/* -1 for idle                     */

	struct pv_thread *rq_next, *rq_prev;	/* run queue links         */
	struct pv_thread *wq_next, *wq_prev;	/* wait queue links        */
	struct pv_waitq *wq;			/* queue it waits on, if any */

	struct ktimer timer;		/* sleeps and timed waits          */
	bool timed_out;

	void *(*fn)(void *);
	void *arg;
	void *result;
	bool killed, detached, joined;
	struct pv_waitq joiners;

	int errno_value;

	/* Stack: [guard, guard + 4K) unmapped, [stack_lo, stack_hi) mapped.
	 * The struct itself sits at the top of the mapped range. 0 for idle. */
	uintptr_t guard, stack_lo, stack_hi;
	uint64_t stack_pfn;		/* first of the contiguous frames  */
	size_t stack_pages;

	struct pv_thread *all_next;	/* list of every thread             */
	char name[PV_THREAD_NAME_MAX];
};

extern struct pv_thread *current;
extern struct pv_thread *main_thread;

/* sched.c: all need events masked. */
void sched_init(void);
void sched_wake(struct pv_thread *t);		/* BLOCKED -> READY         */
void sched_add_new(struct pv_thread *t);	/* new thread -> READY      */
void sched_block(void);				/* current must be BLOCKED  */
void sched_yield_current(void);
void sched_preempt_point(void);			/* switch now if needed      */
void sched_requeue(struct pv_thread *t, int old_priority);
__attribute__((__noreturn__)) void sched_exit_current(void);
struct context *sched_handler_exit(struct context *ctx, bool may_switch);
struct context *sched_kill_current(void);
void sched_timer_tick(uint64_t now);
uint64_t sched_slice_deadline(void);
void sched_enter_handler(void);
void sched_leave_handler(void);
__attribute__((__noreturn__)) void idle_loop(void);
extern struct pv_sched_stats sched_stats;

/* thread.c */
struct pv_thread *thread_create_main(int (*entry)(int, char **), int argc, char **argv);
void thread_reap_zombies(void);
void thread_finish(struct pv_thread *t);	/* marks dead, wakes joiners */
__attribute__((__noreturn__)) void thread_start(struct pv_thread *t);

/* waitq.c: all need events masked. */
void waitq_add(struct pv_waitq *q, struct pv_thread *t);	/* and block state */
void waitq_remove(struct pv_waitq *q, struct pv_thread *t);
struct pv_thread *waitq_pop(struct pv_waitq *q);
/* Queues current on q (NULL: on no queue, a plain sleep) and blocks until
 * woken; with a nonzero deadline,
 * gives up then. Returns true if woken, false on timeout. */
bool waitq_wait(struct pv_waitq *q, uint64_t deadline);
void waitq_wake_one(struct pv_waitq *q);
void waitq_wake_all(struct pv_waitq *q);

#endif

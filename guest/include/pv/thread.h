/* pv/thread.h: kernel threads.
 *
 * One address space, one vCPU, preemptive priority scheduling:
 *   - priorities PV_PRIO_MIN (0) .. PV_PRIO_MAX (31); a higher number runs
 *     first, and a thread that becomes runnable preempts a lower-priority
 *     one at once;
 *   - threads of equal priority run FIFO and share the CPU in
 *     PV_TIME_SLICE_NS slices (round robin, driven by the timer);
 *   - when nothing is runnable the vCPU blocks in the hypervisor until the
 *     next timer deadline or event: the guest never busy-waits.
 *
 * Each thread has its own stack in the vmap area with an unmapped guard
 * page below it. A thread that overflows its stack is killed with a message
 * on the console ("pvisor-guest: thread 'NAME' stack overflow ..."); its
 * joiner sees PV_THREAD_KILLED as the result. (If main overflows, the domain
 * crashes.)
 *
 * Functions returning int return 0 or a negative errno value. */
#ifndef PV_THREAD_H
#define PV_THREAD_H

#include <stddef.h>
#include <stdint.h>

#define PV_PRIO_MIN		0
#define PV_PRIO_MAX		31
#define PV_PRIO_DEFAULT		16
#define PV_STACK_DEFAULT	(64u * 1024)
#define PV_STACK_MIN		(16u * 1024)
#define PV_TIME_SLICE_NS	((uint64_t)10000000)	/* 10 ms */
#define PV_THREAD_NAME_MAX	32		/* including the NUL */

/* The result a joiner sees for a thread killed by the kernel. */
#define PV_THREAD_KILLED	((void *)-1l)

typedef struct pv_thread pv_thread_t;

struct pv_thread_attr {
	const char *name;	/* NULL: "thread" (copied, truncated)      */
	int priority;		/* PV_PRIO_MIN..PV_PRIO_MAX                */
	size_t stack_size;	/* bytes; 0: PV_STACK_DEFAULT              */
	int detached;		/* nonzero: freed at exit, cannot be joined */
};

/* Fills attr with the defaults (priority PV_PRIO_DEFAULT). */
void pv_thread_attr_init(struct pv_thread_attr *attr);

/* Starts fn(arg) in a new thread. attr NULL means the defaults. Returns
 * the thread, or NULL with errno set (EINVAL, ENOMEM). The new thread runs
 * at once if its priority is higher than the caller's. */
pv_thread_t *pv_thread_create(void *(*fn)(void *), void *arg,
			      const struct pv_thread_attr *attr);

/* Waits for t to end and frees it; *result (if not NULL) gets the value it
 * returned or passed to pv_thread_exit(), or PV_THREAD_KILLED. -EINVAL for a
 * detached thread or one somebody else already joins, -EDEADLK for self. */
int pv_thread_join(pv_thread_t *t, void **result);

/* Lets t's resources be freed as soon as it ends. */
int pv_thread_detach(pv_thread_t *t);

/* Ends the calling thread. (Returning from main() ends the domain at
 * once; main calling pv_thread_exit() lets the other threads go on, and the
 * domain powers off with status 0 when the last thread has ended.) */
__attribute__((__noreturn__)) void pv_thread_exit(void *result);

/* Moves the caller behind the other runnable threads of its priority. */
void pv_thread_yield(void);

pv_thread_t *pv_thread_self(void);
const char *pv_thread_name(const pv_thread_t *t);
int pv_thread_priority(const pv_thread_t *t);

/* Changes t's priority; may preempt the caller at once. */
int pv_thread_set_priority(pv_thread_t *t, int priority);

/* Sleeps at least the given time (by the PV clock). */
void pv_sleep_ns(uint64_t ns);
void pv_sleep_us(uint64_t us);
void pv_sleep_ms(uint64_t ms);

/* Sleeps until pv_clock_ns() >= deadline. */
void pv_sleep_until(uint64_t deadline_ns);

/* Statistics, for tests and demos. */
struct pv_sched_stats {
	uint64_t switches;	/* context switches (voluntary + preemptions) */
	uint64_t preemptions;	/* switches forced by the scheduler            */
	uint64_t idle_blocks;	/* SCHED_BLOCK hypercalls from the idle loop    */
	uint64_t upcalls;	/* event upcalls taken                         */
	uint64_t upcalls_folded; /* of which resumed a context's restore tail  */
	uint64_t timer_sets;	/* SET_TIMER hypercalls                        */
	unsigned threads;	/* threads alive (not counting idle)           */
};
void pv_sched_stats(struct pv_sched_stats *out);

#endif

/* thread.c: thread life cycle: create, start, exit, join, detach, sleep,
 * priorities and the per-thread errno.
 *
 * A thread's stack is a run of contiguous frames mapped in the vmap area
 * above an unmapped guard page; struct pv_thread lives at the top of that
 * mapping, so one allocation holds both and freeing the stack frees the
 * thread. A new thread starts from a context built by hand whose rip is
 * thread_trampoline and whose upcall mask is 0. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel.h"
#include "thread_internal.h"

struct pv_thread *main_thread;
static struct pv_thread *zombies;	/* dead detached threads, to free */

int *__errno_location(void)
{
	return &current->errno_value;
}

void pv_thread_attr_init(struct pv_thread_attr *attr)
{
	attr->name = NULL;
	attr->priority = PV_PRIO_DEFAULT;
	attr->stack_size = PV_STACK_DEFAULT;
	attr->detached = 0;
}

/* Initial fxsave image: default x87 control word and MXCSR. */
static void context_init_fpu(struct context *ctx)
{
	memset(ctx->fxsave, 0, sizeof(ctx->fxsave));
	*(uint16_t *)&ctx->fxsave[0] = 0x037f;	/* FCW: all exceptions masked */
	*(uint32_t *)&ctx->fxsave[24] = 0x1f80;	/* MXCSR: the same            */
}

/* The context a new thread starts from: thread_trampoline(t) on top of its
 * stack, events enabled. */
static void thread_init_context(struct pv_thread *t)
{
	uintptr_t top = (uintptr_t)t & ~(uintptr_t)15;
	uintptr_t at = (top - CONTEXT_RESTORE_SCRATCH - sizeof(struct context)) & ~(uintptr_t)15;
	struct context *ctx = (struct context *)at;

	memset(&ctx->frame, 0, sizeof(ctx->frame));
	context_init_fpu(ctx);
	ctx->frame.rip = (uint64_t)(uintptr_t)thread_trampoline;
	ctx->frame.rsp = top;
	ctx->frame.rdi = (uint64_t)(uintptr_t)t;
	ctx->frame.rflags = 0x202;
	ctx->frame.upcall_mask = 0;
	t->ctx = ctx;
}

static size_t stack_pages_for(size_t stack_size)
{
	size_t bytes = stack_size ? stack_size : PV_STACK_DEFAULT;

	if (bytes < PV_STACK_MIN)
		bytes = PV_STACK_MIN;
	bytes += sizeof(struct pv_thread);
	return (bytes + PV_PAGE_SIZE - 1) / PV_PAGE_SIZE;
}

static struct pv_thread *thread_alloc(const char *name, int priority, size_t stack_size)
{
	size_t pages = stack_pages_for(stack_size);
	uintptr_t guard, lo, slot;
	uint64_t pfn;
	struct pv_thread *t;

	if (stack_alloc(pages, &guard, &lo, &pfn) < 0)
		return NULL;
	slot = (lo + pages * PV_PAGE_SIZE - sizeof(struct pv_thread)) & ~(uintptr_t)63;
	t = (struct pv_thread *)slot;
	memset(t, 0, sizeof(*t));
	t->magic = THREAD_MAGIC;
	t->priority = priority;
	t->guard = guard;
	t->stack_lo = lo;
	t->stack_hi = slot;
	t->stack_pfn = pfn;
	t->stack_pages = pages;
	strlcpy(t->name, name ? name : "thread", sizeof(t->name));
	thread_init_context(t);
	return t;
}

static void thread_free(struct pv_thread *t)
{
	uintptr_t guard = t->guard;
	size_t pages = t->stack_pages;
	uint64_t pfn = t->stack_pfn;

	t->magic = 0;
	stack_free(guard, pages, pfn);
}

/* Frees dead detached threads. Never runs on one of their stacks: a dead
 * thread never runs again. */
void thread_reap_zombies(void)
{
	while (zombies) {
		unsigned long flags = pv_events_disable();
		struct pv_thread *t = zombies;

		if (t)
			zombies = t->all_next;
		pv_events_restore(flags);
		if (t)
			thread_free(t);
	}
}

static bool priority_valid(int priority)
{
	return priority >= PV_PRIO_MIN && priority <= PV_PRIO_MAX;
}

pv_thread_t *pv_thread_create(void *(*fn)(void *), void *arg,
			      const struct pv_thread_attr *attr)
{
	struct pv_thread_attr defaults;
	struct pv_thread *t;
	unsigned long flags;

	if (!attr) {
		pv_thread_attr_init(&defaults);
		attr = &defaults;
	}
	if (!fn || !priority_valid(attr->priority)) {
		errno = EINVAL;
		return NULL;
	}
	thread_reap_zombies();
	t = thread_alloc(attr->name, attr->priority, attr->stack_size);
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->fn = fn;
	t->arg = arg;
	t->detached = attr->detached != 0;

	flags = pv_events_disable();
	sched_add_new(t);
	sched_preempt_point();
	pv_events_restore(flags);
	return t;
}

/* The first C function of every thread but idle. */
void thread_start(struct pv_thread *t)
{
	pv_thread_exit(t->fn(t->arg));
}

/* Marks t dead and tells its joiners. Events masked. */
void thread_finish(struct pv_thread *t)
{
	t->state = THREAD_DEAD;
	timer_cancel(&t->timer);
	sched_stats.threads--;
	waitq_wake_all(&t->joiners);
	if (t->detached) {
		t->all_next = zombies;
		zombies = t;
	}
	if (sched_stats.threads == 0)
		pv_poweroff(0);		/* main and every other thread are gone */
}

void pv_thread_exit(void *result)
{
	pv_events_disable();
	current->result = result;
	thread_finish(current);
	sched_exit_current();
}

int pv_thread_join(pv_thread_t *t, void **result)
{
	unsigned long flags;
	void *r;

	if (!t || t->magic != THREAD_MAGIC)
		return -EINVAL;
	if (t == current)
		return -EDEADLK;
	flags = pv_events_disable();
	if (t->detached || t->joined) {
		pv_events_restore(flags);
		return -EINVAL;
	}
	t->joined = true;
	while (t->state != THREAD_DEAD)
		waitq_wait(&t->joiners, 0);
	r = t->killed ? PV_THREAD_KILLED : t->result;
	pv_events_restore(flags);
	thread_free(t);
	if (result)
		*result = r;
	return 0;
}

int pv_thread_detach(pv_thread_t *t)
{
	unsigned long flags;
	bool dead;

	if (!t || t->magic != THREAD_MAGIC)
		return -EINVAL;
	flags = pv_events_disable();
	if (t->detached || t->joined) {
		pv_events_restore(flags);
		return -EINVAL;
	}
	t->detached = true;
	dead = t->state == THREAD_DEAD;
	pv_events_restore(flags);
	if (dead)
		thread_free(t);
	return 0;
}

void pv_thread_yield(void)
{
	unsigned long flags = pv_events_disable();

	sched_yield_current();
	pv_events_restore(flags);
}

pv_thread_t *pv_thread_self(void)
{
	return current;
}

const char *pv_thread_name(const pv_thread_t *t)
{
	return t ? t->name : "?";
}

int pv_thread_priority(const pv_thread_t *t)
{
	return t ? t->priority : -EINVAL;
}

int pv_thread_set_priority(pv_thread_t *t, int priority)
{
	unsigned long flags;
	struct pv_waitq *q;
	int old;

	if (!t || t->magic != THREAD_MAGIC || !priority_valid(priority) || t->priority < 0)
		return -EINVAL;
	flags = pv_events_disable();
	old = t->priority;
	q = t->wq;
	if (q && t->state == THREAD_BLOCKED)
		waitq_remove(q, t);
	t->priority = priority;
	if (q && t->state == THREAD_BLOCKED)
		waitq_add(q, t);
	sched_requeue(t, old);
	sched_preempt_point();
	pv_events_restore(flags);
	return 0;
}

void pv_sleep_until(uint64_t deadline)
{
	unsigned long flags = pv_events_disable();

	while (pv_clock_ns() < deadline)
		waitq_wait(NULL, deadline);
	pv_events_restore(flags);
}

void pv_sleep_ns(uint64_t ns)
{
	pv_sleep_until(pv_clock_ns() + ns);
}

void pv_sleep_us(uint64_t us)
{
	pv_sleep_ns(us * PV_NSEC_PER_USEC);
}

void pv_sleep_ms(uint64_t ms)
{
	pv_sleep_ns(ms * PV_NSEC_PER_MSEC);
}

/* ---- The main thread ------------------------------------------------------ */

__attribute__((__weak__)) const size_t pv_main_stack_size = 256 * 1024;

static int (*main_entry)(int, char **);
static int main_argc;
static char **main_argv;

static void *main_thread_fn(void *unused)
{
	(void)unused;
	exit(main_entry(main_argc, main_argv));
}

struct pv_thread *thread_create_main(int (*entry)(int, char **), int argc, char **argv)
{
	/* Read through volatile: gcc folds a weak const's default value. */
	size_t stack_size = *(const volatile size_t *)&pv_main_stack_size;
	struct pv_thread *t = thread_alloc("main", PV_PRIO_DEFAULT, stack_size);

	if (!t)
		pv_panic("no memory for the main thread's stack");
	main_entry = entry;
	main_argc = argc;
	main_argv = argv;
	t->fn = main_thread_fn;
	main_thread = t;
	sched_add_new(t);
	return t;
}

/* sched.c: the scheduler: run queues, picking the next thread, switching,
 * preemption, time slices and the idle loop.
 *
 * Policy: 32 priorities, highest first; FIFO within a priority; a thread
 * preempted by a higher-priority one goes back to the head of its queue,
 * one whose 10 ms slice ran out (or that yields) to the tail. All state
 * here is protected by masking events (one vCPU).
 *
 * Two ways to switch:
 *   - in thread context, reschedule() saves the caller with
 *     context_switch() (events masked; they stay masked in the saved
 *     context and the caller restores them when it runs again);
 *   - in handler context (upcall or trap), the interrupted context already
 *     exists, so sched_handler_exit() just returns another thread's
 *     context for the entry code to resume. Handlers never switch while
 *     nested inside another handler. */
#include "kernel.h"
#include "thread_internal.h"

static struct pv_thread idle_thread = {
	.magic = THREAD_MAGIC,
	.state = THREAD_RUNNING,
	.priority = -1,
	.name = "idle",
};

struct pv_thread *current = &idle_thread;
struct pv_sched_stats sched_stats;

static struct pv_thread *rq_head[PV_PRIO_MAX + 1], *rq_tail[PV_PRIO_MAX + 1];
static uint32_t rq_bitmap;	/* bit p: rq_head[p] not empty */
static bool need_resched;	/* a better thread is runnable  */
static bool rotate;		/* current should go behind its equals */
static unsigned int handler_depth;
static uint64_t slice_end;

/* ---- Run queues -------------------------------------------------------- */

static void rq_push_tail(struct pv_thread *t)
{
	int p = t->priority;

	t->rq_next = NULL;
	t->rq_prev = rq_tail[p];
	if (rq_tail[p])
		rq_tail[p]->rq_next = t;
	else
		rq_head[p] = t;
	rq_tail[p] = t;
	rq_bitmap |= 1u << p;
}

static void rq_push_head(struct pv_thread *t)
{
	int p = t->priority;

	t->rq_prev = NULL;
	t->rq_next = rq_head[p];
	if (rq_head[p])
		rq_head[p]->rq_prev = t;
	else
		rq_tail[p] = t;
	rq_head[p] = t;
	rq_bitmap |= 1u << p;
}

static void rq_remove(struct pv_thread *t)
{
	int p = t->priority;

	if (t->rq_prev)
		t->rq_prev->rq_next = t->rq_next;
	else
		rq_head[p] = t->rq_next;
	if (t->rq_next)
		t->rq_next->rq_prev = t->rq_prev;
	else
		rq_tail[p] = t->rq_prev;
	t->rq_next = t->rq_prev = NULL;
	if (!rq_head[p])
		rq_bitmap &= ~(1u << p);
}

/* Highest priority with a runnable thread, -1 if none. */
static int rq_best(void)
{
	return rq_bitmap ? 31 - __builtin_clz(rq_bitmap) : -1;
}

static struct pv_thread *rq_pop_best(void)
{
	int p = rq_best();
	struct pv_thread *t;

	if (p < 0)
		return &idle_thread;
	t = rq_head[p];
	rq_remove(t);
	return t;
}

/* ---- Waking ------------------------------------------------------------ */

static void make_ready(struct pv_thread *t)
{
	t->state = THREAD_READY;
	rq_push_tail(t);
	if (t->priority > current->priority)
		need_resched = true;
}

void sched_wake(struct pv_thread *t)
{
	if (t->state == THREAD_BLOCKED)
		make_ready(t);
}

void sched_add_new(struct pv_thread *t)
{
	sched_stats.threads++;
	make_ready(t);
}

void sched_requeue(struct pv_thread *t, int old_priority)
{
	int new_priority = t->priority;

	if (t->state == THREAD_READY) {
		t->priority = old_priority;
		rq_remove(t);
		t->priority = new_priority;
		rq_push_tail(t);
		if (new_priority > current->priority)
			need_resched = true;
	} else if (t == current && rq_best() > new_priority) {
		need_resched = true;
	}
}

/* ---- Choosing and switching -------------------------------------------- */

static void start_slice(void)
{
	slice_end = pv_clock_ns() + PV_TIME_SLICE_NS;
}

/* Decides who runs next and makes it current. A running caller is put back
 * in its queue unless it should simply continue. */
static struct pv_thread *pick_next(void)
{
	struct pv_thread *prev = current, *next;
	bool rotating = rotate;
	int best = rq_best();

	need_resched = false;
	rotate = false;
	if (prev->state == THREAD_RUNNING && prev != &idle_thread) {
		if (best < prev->priority || (best == prev->priority && !rotating)) {
			if (rotating)
				start_slice();
			return prev;
		}
		prev->state = THREAD_READY;
		if (best > prev->priority)
			rq_push_head(prev);
		else
			rq_push_tail(prev);
		if (!rotating)
			sched_stats.preemptions++;
	}
	next = rq_pop_best();
	next->state = THREAD_RUNNING;
	current = next;
	if (next != prev) {
		sched_stats.switches++;
		start_slice();
	}
	return next;
}

/* Arms the platform timer for the thread about to run. Not for idle: its
 * block carries the next deadline itself, which saves an exit per
 * sleep (a stale armed timer only causes one spurious upcall). */
static void program_timer_for(struct pv_thread *next)
{
	if (next != &idle_thread)
		timer_program();
}

/* Thread context, events masked: switch if someone else should run. */
static void reschedule(void)
{
	struct pv_thread *prev = current;
	struct pv_thread *next = pick_next();

	program_timer_for(next);
	if (next != prev)
		context_switch(&prev->ctx, next->ctx);
}

void sched_block(void)
{
	reschedule();
}

void sched_yield_current(void)
{
	rotate = true;
	reschedule();
}

void sched_preempt_point(void)
{
	if (need_resched && handler_depth == 0)
		reschedule();
	else
		program_timer_for(current);
}

void sched_exit_current(void)
{
	reschedule();
	pv_panic("dead thread '%s' was resumed", current->name);
}

/* ---- Handler context ----------------------------------------------------- */

void sched_enter_handler(void)
{
	handler_depth++;
}

void sched_leave_handler(void)
{
	handler_depth--;
}

bool sched_in_handler(void)
{
	return handler_depth != 0;
}

struct context *sched_handler_exit(struct context *ctx, bool may_switch)
{
	struct pv_thread *prev = current, *next;

	if (!need_resched || handler_depth || !may_switch) {
		program_timer_for(current);
		return ctx;
	}
	prev->ctx = ctx;
	next = pick_next();
	program_timer_for(next);
	return next->ctx;
}

/* The current thread is dead (killed in a trap handler): pick another. */
struct context *sched_kill_current(void)
{
	struct pv_thread *next = pick_next();

	program_timer_for(next);
	return next->ctx;
}

/* ---- Time slices ----------------------------------------------------------- */

void sched_timer_tick(uint64_t now)
{
	if (current == &idle_thread || now < slice_end)
		return;
	if (rq_head[current->priority]) {
		need_resched = true;
		rotate = true;
	} else {
		slice_end = now + PV_TIME_SLICE_NS;
	}
}

/* The end of the current slice, if anything of equal priority waits for it. */
uint64_t sched_slice_deadline(void)
{
	if (current == &idle_thread || !rq_head[current->priority])
		return 0;
	return slice_end;
}

void pv_sched_stats(struct pv_sched_stats *out)
{
	unsigned long flags = pv_events_disable();

	*out = sched_stats;
	pv_events_restore(flags);
}

/* ---- Idle ----------------------------------------------------------------------
 * The boot context becomes the idle thread. When nothing is runnable it
 * blocks the vCPU until the next timer deadline (platform.h block: the
 * SCHED_BLOCK hypercall, or sti; hlt natively), which unmasks events
 * atomically, and what woke it is delivered as an upcall on return, which
 * switches straight to the woken thread. A deadline that passed without an
 * event is handled here, by running the expired timers. */
void idle_loop(void)
{
	for (;;) {
		pv_events_disable();
		thread_reap_zombies();
		timer_run_expired();
		if (rq_bitmap) {
			reschedule();
			pv_events_restore(0);
			continue;
		}
		sched_stats.idle_blocks++;
		platform->block(timer_next_deadline());
		/* Events are unmasked now (block cleared the mask). */
	}
}

void sched_init(void)
{
	current = &idle_thread;
	idle_thread.state = THREAD_RUNNING;
}

/* timer.c: the kernel timer queue.
 *
 * Armed timers sit in a list sorted by deadline (new deadlines are usually
 * the latest, so insertion scans from the tail). The platform offers one
 * one-shot timer raising VIRQ_TIMER (platform.h set_timer: the SET_TIMER
 * hypercall in PV mode, the PIT natively); timer_program() points it at
 * the earliest deadline the kernel needs, the head of the queue or the end
 * of the running thread's time slice, and re-arms it only when that moves
 * the hardware deadline earlier. A timer that fires earlier than needed
 * (the PIT cannot count far) costs one harmless upcall, which re-programs. */
#include "kernel.h"
#include "thread_internal.h"

static struct ktimer *head, *tail;
static uint64_t programmed;	/* deadline the hypervisor holds, 0 = none */

void timer_cancel(struct ktimer *t)
{
	if (!t->armed)
		return;
	if (t->prev)
		t->prev->next = t->next;
	else
		head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		tail = t->prev;
	t->next = t->prev = NULL;
	t->armed = false;
}

void timer_add(struct ktimer *t, uint64_t deadline, void (*fn)(struct ktimer *))
{
	struct ktimer *after = tail;

	timer_cancel(t);
	t->deadline = deadline;
	t->fn = fn;
	while (after && after->deadline > deadline)
		after = after->prev;
	t->prev = after;
	t->next = after ? after->next : head;
	if (t->prev)
		t->prev->next = t;
	else
		head = t;
	if (t->next)
		t->next->prev = t;
	else
		tail = t;
	t->armed = true;
}

uint64_t timer_next_deadline(void)
{
	return head ? head->deadline : 0;
}

void timer_run_expired(void)
{
	uint64_t now = pv_clock_ns();

	while (head && head->deadline <= now) {
		struct ktimer *t = head;

		timer_cancel(t);
		t->fn(t);
	}
}

void timer_program(void)
{
	uint64_t want = deadline_earliest(timer_next_deadline(), sched_slice_deadline());

	if (!want || (programmed && programmed <= want))
		return;
	programmed = want;
	sched_stats.timer_sets++;
	platform->set_timer(want);
}

/* VIRQ_TIMER: whatever was programmed has fired. */
static void timer_virq(unsigned int port, void *arg)
{
	(void)port;
	(void)arg;
	programmed = 0;
	timer_run_expired();
	sched_timer_tick(pv_clock_ns());
	/* upcall_handler() re-programs on its way out. */
}

void timer_init(void)
{
	int port = pv_evtchn_bind_virq(PVISOR_VIRQ_TIMER, timer_virq, NULL);

	if (port < 0)
		pv_panic("cannot bind VIRQ_TIMER (error %d)", port);
}

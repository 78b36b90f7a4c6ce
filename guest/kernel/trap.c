/* trap.c: page faults: stack-overflow detection, user fault handlers and
 * the crash path.
 *
 * The trap entry is registered for vector 14 only, with a 16 KiB alternate
 * stack the hypervisor uses when the faulting stack is not writable (a
 * thread that ran into its guard page). Other exceptions stay with the
 * hypervisor, which reports them as a crash. */
#include <errno.h>
#include "kernel.h"
#include "thread_internal.h"

#define VECTOR_PF 14
#define ALT_STACK_SIZE (16 * 1024)
/* With the frame on the alternate stack, a fault this far below the guard
 * page still counts as an overflow of the current thread's stack (a large
 * frame can jump over the guard page). */
#define OVERFLOW_REACH (64 * 1024)

static uint8_t alt_stack[ALT_STACK_SIZE] __attribute__((aligned(16)));
static uint64_t fault_count;

struct fault_handler {
	uintptr_t start, end;		/* both 0: global */
	pv_fault_handler_t fn;
	void *arg;
};

static struct fault_handler handlers[PV_FAULT_HANDLERS_MAX];

int pv_fault_handler_add(uintptr_t start, uintptr_t end, pv_fault_handler_t fn, void *arg)
{
	unsigned long flags;
	int i, slot = -ENOSPC;

	if (!fn || end < start || (start == end && start != 0))
		return -EINVAL;
	flags = pv_events_disable();
	for (i = 0; i < PV_FAULT_HANDLERS_MAX; i++) {
		if (!handlers[i].fn) {
			handlers[i] = (struct fault_handler){ start, end, fn, arg };
			slot = i;
			break;
		}
	}
	pv_events_restore(flags);
	return slot;
}

int pv_fault_handler_remove(int handle)
{
	unsigned long flags;

	if (handle < 0 || handle >= PV_FAULT_HANDLERS_MAX || !handlers[handle].fn)
		return -EINVAL;
	flags = pv_events_disable();
	handlers[handle] = (struct fault_handler){ 0 };
	pv_events_restore(flags);
	return 0;
}

uint64_t pv_fault_count(void)
{
	return fault_count;
}

/* Range handlers first, then global ones; each in registration order. */
static bool run_handlers(struct pvisor_frame *frame, bool global)
{
	int i;

	for (i = 0; i < PV_FAULT_HANDLERS_MAX; i++) {
		struct fault_handler *h = &handlers[i];
		bool is_global = h->start == 0 && h->end == 0;

		if (!h->fn || is_global != global)
			continue;
		if (!global && (frame->cr2 < h->start || frame->cr2 >= h->end))
			continue;
		if (h->fn(frame, h->arg) == PV_FAULT_HANDLED)
			return true;
	}
	return false;
}

static bool in_range(uint64_t x, uint64_t lo, uint64_t hi)
{
	return x >= lo && x < hi;
}

static bool is_stack_overflow(const struct pvisor_frame *frame)
{
	const struct pv_thread *t = current;

	if (!t->guard)
		return false;
	if (in_range(frame->cr2, t->guard, t->guard + PV_PAGE_SIZE))
		return true;
	if (!(frame->flags & PVISOR_FRAME_ALT_STACK))
		return false;
	return in_range(frame->cr2, t->guard - OVERFLOW_REACH, t->stack_lo) ||
	       in_range(frame->rsp, t->guard - OVERFLOW_REACH, t->stack_lo);
}

static void report_unhandled(const struct pvisor_frame *frame)
{
	kprintf("pvisor-guest: unhandled page fault at %#lx (rip %#lx, error %#lx) "
		"in thread '%s'\n", (unsigned long)frame->cr2, (unsigned long)frame->rip,
		(unsigned long)frame->error_code, current->name);
}

/* Kills the current thread and returns the context to run instead. */
static struct context *kill_overflowed(const struct pvisor_frame *frame)
{
	struct pv_thread *t = current;

	kprintf("pvisor-guest: thread '%s' stack overflow (fault at %#lx, guard page %#lx)\n",
		t->name, (unsigned long)frame->cr2, (unsigned long)t->guard);
	if (t == main_thread)
		crash_with_frame(frame);
	t->killed = true;
	thread_finish(t);
	return sched_kill_current();
}

/* Entered from trap_entry. Events are masked for the whole handler; the
 * frame's own upcall_mask is restored when it is resumed. */
struct context *trap_handler(struct context *ctx)
{
	struct pvisor_frame *frame = &ctx->frame;
	bool on_alt_stack = frame->flags & PVISOR_FRAME_ALT_STACK;
	bool nested = sched_in_handler();
	struct context *next;

	pv_events_disable();
	if (frame->vector != VECTOR_PF)
		crash_with_frame(frame);
	if (is_stack_overflow(frame)) {
		fault_count++;
		if (nested)	/* inside an event handler: cannot just kill */
			crash_with_frame(frame);
		return kill_overflowed(frame);
	}
	sched_enter_handler();
	if (!run_handlers(frame, false) && !run_handlers(frame, true)) {
		report_unhandled(frame);
		crash_with_frame(frame);
	}
	fault_count++;
	sched_leave_handler();
	/* Never leave a context parked on the shared alternate stack. */
	next = sched_handler_exit(ctx, !on_alt_stack);
	return next;
}

void trap_init(void)
{
	long err = platform->trap_register(trap_entry, (uintptr_t)(alt_stack + ALT_STACK_SIZE),
					   1ul << VECTOR_PF);

	if (err < 0)
		pv_panic("cannot register the trap entry (error %ld)", err);
}

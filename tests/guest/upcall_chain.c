/* pvisor-test: exit=0 timeout=60 */
/* upcall_chain.c: a steady stream of events must not grow the stack.
 *
 * A kernel timer re-arms itself from its own callback one nanosecond
 * ahead, so that each upcall leaves, through the scheduler's timer
 * programming, a deadline that has already passed: the timer event is
 * pending again when frame_restore unmasks, and the kick delivers it at
 * once. Without restore_fold.c each such upcall nests 24-32 bytes below the
 * last (4,000 rounds: 128 KiB, past the 64 KiB stack). The callback
 * records its own frame address: across every round the spread must stay
 * below one context's size. */
#define TEST_NAME "upcall_chain"
#include <stdint.h>
#include "kernel/timer.h"
#include "pvtest.h"

#define ROUNDS		4000
#define MAX_SPREAD	1024	/* bytes; a context alone is 704 */

static struct ktimer chain;
static volatile unsigned rounds;
static uintptr_t lowest = UINTPTR_MAX, highest;

static void chain_fire(struct ktimer *t)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

	if (sp < lowest)
		lowest = sp;
	if (sp > highest)
		highest = sp;
	if (++rounds < ROUNDS)
		timer_add(t, pv_clock_ns() + 1, chain_fire);
}

int main(void)
{
	struct pv_sched_stats st;
	uint64_t give_up = pv_clock_ns() + 30 * PV_NSEC_PER_SEC;
	unsigned long flags = pv_events_disable();

	timer_add(&chain, pv_clock_ns(), chain_fire);
	timer_program();
	pv_events_restore(flags);
	while (rounds < ROUNDS && pv_clock_ns() < give_up)
		__builtin_ia32_pause();
	pv_sched_stats(&st);
	printf("upcall_chain: %u rounds, stack spread %lu bytes, %llu of %llu upcalls folded\n",
	       rounds, (unsigned long)(highest - lowest),
	       (unsigned long long)st.upcalls_folded, (unsigned long long)st.upcalls);
	CHECK(rounds == ROUNDS, "only %u of %u timer rounds ran in 30 s", rounds, ROUNDS);
	CHECK(highest - lowest < MAX_SPREAD, "the stack grew %lu bytes over %u rounds",
	      (unsigned long)(highest - lowest), ROUNDS);
	return test_pass();
}

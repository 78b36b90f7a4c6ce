/* native_timer.c: the platform's one-shot timer (platform.h set_timer) and
 * the deadline of an idle block, both on PIT channel 0, whose interrupt
 * (IRQ 0) is VIRQ_TIMER's port (native_irq.c).
 *
 * The PIT counts at most 65535 ticks (55 ms), so a far deadline fires
 * early; the kernel's timer code then simply re-programs. One channel
 * serves both deadlines: an idle block arms it for the earlier of its own
 * deadline and the set_timer one still ahead. Re-arming costs three port
 * writes (three exits), so a channel already counting to an instant no
 * later than needed is left alone (at worst it fires early); IRQ 0 tells
 * us when the count has ended. */
#include "native.h"
#include "kernel/kernel.h"
#include "kernel/timer.h"
#include "pc.h"

static uint64_t timer_deadline;	/* set_timer's, 0: none            */
static uint64_t pit_fires_at;	/* when the armed count ends, 0: idle */

static void arm(uint64_t deadline)
{
	uint64_t now = pv_clock_ns();
	uint64_t ticks = deadline > now ? pit_ticks_for_ns(deadline - now) : 1;

	if (pit_fires_at > now && pit_fires_at <= deadline)
		return;
	if (ticks > PIT_MAX_TICKS)
		ticks = PIT_MAX_TICKS;
	pit_oneshot((uint16_t)ticks);
	pit_fires_at = now + pit_ns_for_ticks(ticks);
}

/* From IRQ 0's stub: the count has ended. */
void native_timer_fired(void)
{
	pit_fires_at = 0;
}

void native_set_timer(uint64_t deadline)
{
	timer_deadline = deadline;
	if (deadline) {
		arm(deadline);
	} else {
		pit_stop();
		pit_fires_at = 0;
	}
}

void native_timer_arm_for_block(uint64_t deadline)
{
	if (timer_deadline && timer_deadline <= pv_clock_ns())
		timer_deadline = 0;	/* it has fired (or is firing) */
	deadline = deadline_earliest(deadline, timer_deadline);
	if (deadline)
		arm(deadline);
}

/* restore_fold.c: folds an upcall that interrupted frame_restore's
 * unmasked tail into the context that tail was resuming.
 *
 * frame_restore (guest/arch/x86_64/entry.S) reloads every register of the
 * target, moves rsp to S = target_rsp - 24 where it left three scratch
 * words {upcall_mask, rflags, rip}, unmasks, kicks if an event is pending,
 * then pops the flags and returns. An upcall that arrives after the unmask
 * nests below S. Left alone it would resume the tail, which may unmask
 * into the next pending event and nest again: a steady event stream grows
 * the stack 24 to 32 bytes a round until it overflows (the bug a hammered
 * block device found, with a 64 KiB thread stack). Since the registers
 * already hold the target's values, the interrupted state *is* the target
 * once rip, rflags and rsp are taken from the scratch words; folding makes
 * the nesting depth constant. Xen's classic PV Linux did the same with
 * its "critical region" fixup. */
#include <stdint.h>
#include "kernel.h"
#include "context.h"
#include "thread_internal.h"

/* Labels inside frame_restore (entry.S). */
extern const char restore_tail_at_s0[], restore_tail_kicked[];
extern const char restore_tail_at_s8[], restore_tail_at_s16[];

/* Where the scratch words lie for an upcall interrupting at (rip, rsp), or
 * 0 if it did not interrupt the tail. The kick is called from the tail
 * with its return address at [rsp]; a kick keeps it there at every point
 * where an upcall can arrive (platform.h). */
static uint64_t tail_scratch(uint64_t rip, uint64_t rsp)
{
	if (rip >= (uint64_t)restore_tail_at_s0 && rip < (uint64_t)restore_tail_at_s8)
		return rsp;
	if (rip == (uint64_t)restore_tail_at_s8)
		return rsp - 8;
	if (rip == (uint64_t)restore_tail_at_s16)
		return rsp - 16;
	if (rip >= (uint64_t)platform->kick_entry && rip < (uint64_t)platform->kick_window_end &&
	    *(const uint64_t *)rsp == (uint64_t)restore_tail_kicked)
		return rsp + 8;
	return 0;
}

void restore_fold_tail(struct context *ctx)
{
	struct pvisor_frame *f = &ctx->frame;
	const uint64_t *scratch;
	uint64_t s;

	if (f->upcall_mask)
		return;
	s = tail_scratch(f->rip, f->rsp);
	if (!s)
		return;
	scratch = (const uint64_t *)s;
	/* After popfq the flags are the target's already, and the word that
	 * held them lies below rsp, where a native interrupt's CPU frame has
	 * just been pushed over it. Every other word used is at or above the
	 * interrupted rsp (pvisor writes its frames 128 bytes lower still). */
	if (f->rip != (uint64_t)restore_tail_at_s16)
		f->rflags = scratch[1];
	f->rip = scratch[2];
	f->rsp = s + CONTEXT_RESTORE_SCRATCH;
	sched_stats.upcalls_folded++;
}

/* native_vectors.c: the C side of every native interrupt stub
 * (native_entry.S): exceptions go to native_trap.c, ISA IRQs raise their
 * event port (native_irq.c); then, exactly as pvisor decides for a PV
 * guest, an upcall is delivered if events are unmasked and one is
 * pending. Runs with interrupts off, on the interrupted stack (or an IST
 * stack), before the fxsave area exists: general registers only. */
#include "native.h"

/* native_deliver tells upcalls from traps by vector < 32. */
_Static_assert(NATIVE_VECTOR_IRQ0 >= NATIVE_NR_EXCEPTIONS &&
	       NATIVE_VECTOR_KICK >= NATIVE_NR_EXCEPTIONS, "vectors of upcalls");

static bool is_irq(uint64_t vector)
{
	return vector >= NATIVE_VECTOR_IRQ0 && vector < NATIVE_VECTOR_IRQ0 + NATIVE_NR_IRQS;
}

/* The frame becomes an upcall if events are unmasked and one is pending;
 * upcall_mask is set as pvisor sets it before an upcall. */
static struct pvisor_frame *upcall_frame(struct pvisor_frame *frame)
{
	volatile struct pvisor_vcpu_info *v = pv_vcpu0();

	if (v->upcall_mask || !v->upcall_pending)
		return NULL;
	/* Between the kick's pushfq and cli the return address is not at
	 * [rsp] (platform.h kick_window_end); the kick delivers it itself. */
	if (frame->rip == (uint64_t)native_kick_window_end)
		return NULL;
	v->upcall_mask = 1;
	frame->upcall_mask = 0;
	frame->flags = PVISOR_FRAME_UPCALL;
	return frame;
}

struct pvisor_frame *native_dispatch(struct pvisor_frame *frame)
{
	if (frame->vector < NATIVE_NR_EXCEPTIONS)
		return native_exception(frame);
	if (is_irq(frame->vector))
		native_irq((unsigned int)(frame->vector - NATIVE_VECTOR_IRQ0));
	/* The spurious vector needs no EOI and raises nothing. */
	return upcall_frame(frame);
}

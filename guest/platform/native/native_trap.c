/* native_trap.c: exceptions on the native platform, with the PV trap
 * contract (include/pvisor/callback.h): vectors the kernel registered go to
 * trap_handler() with a frame on the faulting stack, or on the registered
 * alternate stack when the faulting stack is not writable (flag ALT_STACK,
 * events masked); every other vector, and always #DF, NMI and #MC, ends in
 * the crash report the guest prints itself.
 *
 * A page fault arrives on its own IST stack (a thread that ran into its
 * guard page has no stack left for the CPU's frame), so its frame is
 * always moved: below the faulting rsp when that is writable, else to the
 * alternate stack. Nested faults then find the IST stack free again. */
#include <errno.h>
#include "native.h"
#include "kernel/kernel.h"
#include "kernel/context.h"

#define VECTOR_DF	8
#define VECTOR_NMI	2
#define VECTOR_MC	18
#define VECTOR_PF	14
/* Like an upcall, the frame goes this far below the interrupted rsp. */
#define BELOW_RSP	128
#define FXSAVE_BYTES	sizeof(((struct context *)0)->fxsave)

static uint64_t registered_vectors;
static uintptr_t alt_stack_top;

long native_trap_register(void (*entry)(void), uintptr_t alt_top, uint64_t vector_mask)
{
	(void)entry;	/* the stubs enter trap_handler() themselves */
	if (vector_mask >> NATIVE_NR_EXCEPTIONS)
		return -EINVAL;
	registered_vectors = vector_mask;
	alt_stack_top = alt_top & ~(uintptr_t)15;
	return 0;
}

static bool always_fatal(uint64_t vector)
{
	return vector == VECTOR_DF || vector == VECTOR_NMI || vector == VECTOR_MC;
}

static bool registered(uint64_t vector)
{
	return !always_fatal(vector) && (registered_vectors >> vector) & 1;
}

static __attribute__((__noreturn__)) void fatal(const struct pvisor_frame *frame)
{
	for (;;)
		platform->shutdown(PVISOR_SHUTDOWN_CRASH, 0, frame);
}

/* Can a context (frame and fxsave area) live at [lo, hi)? */
static bool stack_usable(uintptr_t lo, uintptr_t hi)
{
	return native_va_writable(lo) && native_va_writable(hi - 1);
}

/* Where the frame of a fault that came in on the IST stack must go. */
static struct pvisor_frame *place(struct pvisor_frame *frame)
{
	uintptr_t below = (frame->rsp - BELOW_RSP - sizeof(*frame)) & ~(uintptr_t)15;

	if (stack_usable(below - FXSAVE_BYTES, frame->rsp))
		return (struct pvisor_frame *)below;
	if (!alt_stack_top)
		fatal(frame);
	frame->flags |= PVISOR_FRAME_ALT_STACK;
	pv_vcpu0()->upcall_mask = 1;
	return (struct pvisor_frame *)((alt_stack_top - sizeof(*frame)) & ~(uintptr_t)15);
}

/* The program and the kernel are one privilege level in every mode. In PV
 * mode that level is CPL3, so every page fault reports PV_PF_USER; here
 * it is CPL0. The bit is set all the same, so that a fault handler reads
 * the same error code on every platform. */
static void page_fault_as_in_pv(struct pvisor_frame *frame)
{
	if (frame->vector == VECTOR_PF)
		frame->error_code |= PV_PF_USER;
}

struct pvisor_frame *native_exception(struct pvisor_frame *frame)
{
	frame->flags = PVISOR_FRAME_TRAP;
	page_fault_as_in_pv(frame);
	if (!registered(frame->vector))
		fatal(frame);
	if (!native_on_page_fault_stack((uintptr_t)frame))
		return frame;	/* already below the faulting rsp */
	return place(frame);
}

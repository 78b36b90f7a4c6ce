/* entry.S: how the guest kernel enters and leaves event and trap context,
 * and how it switches between threads.
 *
 * Everything is built around one saved-context format, struct context
 * (guest/kernel/context.h): a 512-byte fxsave area immediately followed by
 * a struct pvisor_frame, 16-byte aligned, addressed by its first byte.
 *
 *   upcall_entry / trap_entry  the hypervisor has written a frame and set
 *       rsp to it; we add the fxsave area below it, making a context, and
 *       hand it to C. C returns the context to resume: the same one, or
 *       another thread's (preemption, a killed thread).
 *   frame_restore  resumes the frame at rsp.
 *   context_switch  saves the calling thread as a context on its own stack
 *       and resumes another one (voluntary switches, events masked).
 *   thread_trampoline  where a new thread's initial context starts.
 *
 * No instruction here is privileged. */
#include "asm_defs.h"
#include "frame_regs.h"

	.text

/* ---- upcall_entry: event delivery ---------------------------------------
 * rsp = frame (16-byte aligned), upcall_mask = 1 (set by the hypervisor). */
	.globl	upcall_entry
	.type	upcall_entry, @function
	.balign	16
upcall_entry:
	cld
	sub	$CTX_FXSAVE_SIZE, %rsp
	fxsave64 (%rsp)
	mov	%rsp, %rdi
	call	upcall_handler		/* struct context *upcall_handler(ctx) */
	mov	%rax, %rsp
	fxrstor64 (%rsp)
	add	$CTX_FXSAVE_SIZE, %rsp
	jmp	frame_restore
	.size	upcall_entry, . - upcall_entry

/* ---- trap_entry: exception delivery -------------------------------------
 * rsp = frame, on the faulting stack or on the alternate trap stack. */
	.globl	trap_entry
	.type	trap_entry, @function
	.balign	16
trap_entry:
	cld
	sub	$CTX_FXSAVE_SIZE, %rsp
	fxsave64 (%rsp)
	mov	%rsp, %rdi
	call	trap_handler		/* struct context *trap_handler(ctx) */
	mov	%rax, %rsp
	fxrstor64 (%rsp)
	add	$CTX_FXSAVE_SIZE, %rsp
	jmp	frame_restore
	.size	trap_entry, . - trap_entry

/* ---- frame_restore: resume the frame at rsp -----------------------------
 * Called with upcall_mask = 1. Three words are written just below the
 * target stack pointer: [target-24] = frame.upcall_mask, [target-16] =
 * rflags, [target-8] = rip. Then every GPR is reloaded, rsp moves to
 * target-24, and only there, on the target stack, is the upcall mask
 * restored: an upcall that arrives once the mask is clear lands below
 * target-24 on the resumed context's own stack, never on the stack the
 * frame was on (which may be the shared alternate trap stack). If the mask
 * was cleared while an event is pending, the platform's kick (platform.h:
 * an exit to pvisor, or the native kick) delivers it now, as an upcall
 * whose frame resumes in the kick or at label 2; the kick preserves every
 * register and the flags. popfq then restores the flags the compares
 * clobbered and ret jumps to rip with rsp = target. Every step is
 * re-entrant. At CPL0 (hybrid and full mode) the same code runs
 * unchanged: popfq may then also set IF, as the frame says.
 *
 * An upcall that lands in the unmasked tail (restore_tail_*, or in the
 * kick called from it) would nest below S and resume the tail later; a
 * steady stream of events would grow the stack without bound, 24 to 32
 * bytes a round. upcall_handler() folds such a frame instead
 * (guest/kernel/restore_fold.c): the registers already hold the target's
 * values, so the frame becomes the target itself (rip, rflags, rsp from
 * the scratch words) and the tail is abandoned. */
	.globl	frame_restore
	.type	frame_restore, @function
	.balign	16
frame_restore:
	mov	FRAME_RSP(%rsp), %rax
	sub	$RESTORE_SCRATCH, %rax
	mov	FRAME_MASK(%rsp), %rcx
	mov	%rcx, 0(%rax)
	mov	FRAME_RFLAGS(%rsp), %rcx
	mov	%rcx, 8(%rax)
	mov	FRAME_RIP(%rsp), %rcx
	mov	%rcx, 16(%rax)
	mov	%rax, FRAME_RESERVED(%rsp)
	RESTORE_GPRS
	mov	FRAME_RESERVED(%rsp), %rsp
	cmpq	$0, (%rsp)
	je	1f
	movb	$1, ASM_VCPU0_MASK		/* resume with events masked */
	jmp	2f
1:	lock andb $0, ASM_VCPU0_MASK		/* unmask (a full barrier) ... */
	.globl	restore_tail_at_s0
restore_tail_at_s0:				/* from here rsp = S ... */
	cmpb	$0, ASM_VCPU0_PENDING
	je	2f
	call	*platform_kick_entry(%rip)	/* ... and take what is pending */
	.globl	restore_tail_kicked
restore_tail_kicked:
2:	lea	8(%rsp), %rsp
	.globl	restore_tail_at_s8
restore_tail_at_s8:				/* rsp = S + 8 */
	popfq
	.globl	restore_tail_at_s16
restore_tail_at_s16:				/* rsp = S + 16 */
	ret
	.size	frame_restore, . - frame_restore

/* ---- context_switch(struct context **prev, struct context *next) --------
 * Must be called with events masked. Saves the caller as a context on its
 * own stack (rip = the return address, rsp = the value after returning,
 * upcall_mask = the current mask, i.e. 1), stores its address in *prev and
 * resumes next. When someone resumes the saved context, context_switch
 * returns to its caller. The context is placed below the 24 bytes
 * frame_restore will need under the return rsp. */
	.globl	context_switch
	.type	context_switch, @function
	.balign	16
context_switch:
	mov	%rsp, %r11			/* r11 -> return address */
	sub	$(CTX_SIZE + RESTORE_SCRATCH), %rsp
	and	$-16, %rsp			/* rsp = the new context */
	mov	%r15, CTX_FXSAVE_SIZE + FRAME_R15(%rsp)
	mov	%r14, CTX_FXSAVE_SIZE + FRAME_R14(%rsp)
	mov	%r13, CTX_FXSAVE_SIZE + FRAME_R13(%rsp)
	mov	%r12, CTX_FXSAVE_SIZE + FRAME_R12(%rsp)
	mov	%r11, CTX_FXSAVE_SIZE + FRAME_R11(%rsp)
	mov	%r10, CTX_FXSAVE_SIZE + FRAME_R10(%rsp)
	mov	%r9, CTX_FXSAVE_SIZE + FRAME_R9(%rsp)
	mov	%r8, CTX_FXSAVE_SIZE + FRAME_R8(%rsp)
	mov	%rbp, CTX_FXSAVE_SIZE + FRAME_RBP(%rsp)
	mov	%rdi, CTX_FXSAVE_SIZE + FRAME_RDI(%rsp)
	mov	%rsi, CTX_FXSAVE_SIZE + FRAME_RSI(%rsp)
	mov	%rdx, CTX_FXSAVE_SIZE + FRAME_RDX(%rsp)
	mov	%rcx, CTX_FXSAVE_SIZE + FRAME_RCX(%rsp)
	mov	%rbx, CTX_FXSAVE_SIZE + FRAME_RBX(%rsp)
	movq	$0, CTX_FXSAVE_SIZE + FRAME_RAX(%rsp)
	mov	(%r11), %rax
	mov	%rax, CTX_FXSAVE_SIZE + FRAME_RIP(%rsp)
	lea	8(%r11), %rax
	mov	%rax, CTX_FXSAVE_SIZE + FRAME_RSP(%rsp)
	pushfq
	popq	%rax
	mov	%rax, CTX_FXSAVE_SIZE + FRAME_RFLAGS(%rsp)
	movzbl	ASM_VCPU0_MASK, %eax
	mov	%rax, CTX_FXSAVE_SIZE + FRAME_MASK(%rsp)
	xor	%eax, %eax
	mov	%rax, CTX_FXSAVE_SIZE + FRAME_VECTOR(%rsp)
	mov	%rax, CTX_FXSAVE_SIZE + FRAME_ERROR(%rsp)
	mov	%rax, CTX_FXSAVE_SIZE + FRAME_CR2(%rsp)
	mov	%rax, CTX_FXSAVE_SIZE + FRAME_FLAGS(%rsp)
	mov	%rax, CTX_FXSAVE_SIZE + FRAME_RESERVED(%rsp)
	fxsave64 (%rsp)
	mov	%rsp, (%rdi)			/* *prev = context */
	mov	%rsi, %rsp			/* switch to next */
	fxrstor64 (%rsp)
	add	$CTX_FXSAVE_SIZE, %rsp
	jmp	frame_restore
	.size	context_switch, . - context_switch

/* ---- thread_trampoline: first instruction of every new thread -----------
 * The initial context has rdi = the thread and rsp = the 16-byte aligned
 * stack top, so thread_start() is entered with the ABI's alignment. */
	.globl	thread_trampoline
	.type	thread_trampoline, @function
	.balign	16
thread_trampoline:
	xor	%ebp, %ebp			/* outermost frame */
	call	thread_start			/* noreturn */
	ud2
	.size	thread_trampoline, . - thread_trampoline

	.section .note.GNU-stack, "", @progbits

/* native_entry.S: the native platform's interrupt and exception stubs and
 * its kick (hybrid and full mode, kernel at CPL0).
 *
 * Every vector enters the same way: its stub pushes an error code (0 when
 * the CPU pushes none) and the vector number, and native_common turns the
 * CPU's interrupt frame and the registers into the kernel's one context
 * format (struct pvisor_frame, guest/kernel/context.h), exactly what a PV
 * upcall or trap entry gets. A CPL0 -> CPL0 interrupt does not switch
 * stacks (except to an IST stack) and pushes ss, rsp, rflags, cs and rip
 * after aligning rsp down to 16 bytes; the frame goes right below. C
 * (native_dispatch) then decides:
 *
 *   NULL   nothing to deliver (events masked, or nothing pending): reload
 *          the registers and iretq.
 *   frame  deliver it: add the fxsave area, call upcall_handler() (IRQs,
 *          the kick) or trap_handler() (exceptions) and resume whatever
 *          context they return with frame_restore (entry.S), which ends in
 *          popfq; ret. The CPU's frame is simply abandoned below the
 *          interrupted rsp. A page fault arrives on its IST stack and C
 *          may return another address: the frame is copied there first.
 *
 * On hosts that emulate CPL0 code `int n` cannot be emulated, so the kick
 * is not a software interrupt: native_kick_entry builds the frame itself. */
#include "arch/x86_64/asm_defs.h"
#include "native.h"
#include "arch/x86_64/frame_regs.h"

/* Frame below the vector and error code: rsp is 8 mod 16 at native_common
 * (CPU frame of 5 words on an aligned stack, plus 2), so 8 more aligns it. */
#define NATIVE_GAP	(FRAME_SIZE + 8)

/* ---- The stubs -------------------------------------------------------------
 * One per vector; native_stub_table lists their addresses in the order
 * exceptions 0-31, IRQs 0-15, spurious. */
	.section .rodata
	.balign	8
	.globl	native_stub_table
native_stub_table:
	.text

	.macro STUB vector, cpu_pushes_error
	.balign	16
1:	.if \cpu_pushes_error == 0
	pushq	$0
	.endif
	pushq	$\vector
	jmp	native_common
	.pushsection .rodata
	.quad	1b
	.popsection
	.endm

	/* The CPU pushes an error code for #DF, #TS, #NP, #SS, #GP, #PF, #AC,
	 * #CP, #VC and #SX. */
	.irp	v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
	.set	has_error_\v, 0
	.endr
	.irp	v, 8,10,11,12,13,14,17,21,29,30
	.set	has_error_\v, 1
	.endr
	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15, \
		16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	STUB	\v, has_error_\v
	.endr
	.irp	irq, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	STUB	(NATIVE_VECTOR_IRQ0 + \irq), 0
	.endr
	STUB	NATIVE_VECTOR_SPURIOUS, 0

/* ---- native_common: [rsp] = vector, error code, then the CPU's frame ------ */
	.type	native_common, @function
	.balign	16
native_common:
	cld
	sub	$NATIVE_GAP, %rsp
	SAVE_GPRS
	mov	NATIVE_GAP + 0(%rsp), %rax
	mov	%rax, FRAME_VECTOR(%rsp)
	mov	NATIVE_GAP + 8(%rsp), %rax
	mov	%rax, FRAME_ERROR(%rsp)
	mov	NATIVE_GAP + 16(%rsp), %rax	/* rip */
	mov	%rax, FRAME_RIP(%rsp)
	mov	NATIVE_GAP + 32(%rsp), %rax	/* rflags (cs is at +24) */
	mov	%rax, FRAME_RFLAGS(%rsp)
	mov	NATIVE_GAP + 40(%rsp), %rax	/* rsp */
	mov	%rax, FRAME_RSP(%rsp)
	mov	%cr2, %rax
	mov	%rax, FRAME_CR2(%rsp)
	movzbl	ASM_VCPU0_MASK, %eax
	mov	%rax, FRAME_MASK(%rsp)
	xor	%eax, %eax
	mov	%rax, FRAME_FLAGS(%rsp)
	mov	%rax, FRAME_RESERVED(%rsp)
	mov	%rsp, %rdi
	call	native_dispatch			/* frame to deliver, or NULL */
	test	%rax, %rax
	jz	native_resume
	cmp	%rax, %rsp
	je	native_deliver
	mov	%rsp, %rsi			/* move the frame where C says */
	mov	%rax, %rdi
	mov	$(FRAME_SIZE / 8), %ecx
	rep movsq
	mov	%rax, %rsp
	jmp	native_deliver
	.size	native_common, . - native_common

/* Nothing to deliver: back to the interrupted code, registers unchanged. */
	.type	native_resume, @function
native_resume:
	RESTORE_GPRS
	add	$(NATIVE_GAP + 16), %rsp	/* frame, vector, error code */
	iretq
	.size	native_resume, . - native_resume

/* rsp = a frame (16-byte aligned) to deliver: make it a context and run
 * the kernel's handler, then resume what it returns. */
	.type	native_deliver, @function
native_deliver:
	sub	$CTX_FXSAVE_SIZE, %rsp
	fxsave64 (%rsp)
	mov	%rsp, %rdi
	cmpq	$NATIVE_NR_EXCEPTIONS, CTX_FXSAVE_SIZE + FRAME_VECTOR(%rsp)
	jb	1f
	call	upcall_handler			/* struct context *(ctx) */
	jmp	2f
1:	call	trap_handler
2:	mov	%rax, %rsp
	fxrstor64 (%rsp)
	add	$CTX_FXSAVE_SIZE, %rsp
	jmp	frame_restore
	.size	native_deliver, . - native_deliver

/* ---- native_kick_entry: platform.h kick_entry ------------------------------
 * Entered with `call`. If events are unmasked and one is pending, delivers
 * it as an upcall whose frame resumes at our return address with the
 * caller's rsp and flags; otherwise returns at once. Either way every
 * register and the flags are as the caller left them. */
	.globl	native_kick_entry
	.type	native_kick_entry, @function
	.balign	16
native_kick_entry:
	pushfq
	.globl	native_kick_window_end
native_kick_window_end:			/* an interrupt here is left to the kick */
	cli
	cmpb	$0, ASM_VCPU0_MASK
	jne	1f
	cmpb	$0, ASM_VCPU0_PENDING
	jne	2f
1:	popfq
	ret
2:	push	%rax				/* [rax] = rax, flags, return address */
	mov	%rsp, %rax
	sub	$FRAME_SIZE, %rsp
	and	$-16, %rsp
	SAVE_GPRS
	mov	0(%rax), %rcx
	mov	%rcx, FRAME_RAX(%rsp)
	mov	8(%rax), %rcx
	mov	%rcx, FRAME_RFLAGS(%rsp)
	mov	16(%rax), %rcx
	mov	%rcx, FRAME_RIP(%rsp)
	lea	24(%rax), %rcx
	mov	%rcx, FRAME_RSP(%rsp)
	movq	$NATIVE_VECTOR_KICK, FRAME_VECTOR(%rsp)
	xor	%ecx, %ecx
	mov	%rcx, FRAME_ERROR(%rsp)
	mov	%rcx, FRAME_CR2(%rsp)
	mov	%rcx, FRAME_MASK(%rsp)		/* events were unmasked */
	mov	%rcx, FRAME_RESERVED(%rsp)
	movq	$ASM_FRAME_UPCALL, FRAME_FLAGS(%rsp)
	movb	$1, ASM_VCPU0_MASK
	jmp	native_deliver
	.size	native_kick_entry, . - native_kick_entry

	.section .note.GNU-stack, "", @progbits

/* frame_regs.h: assembler macros that store and load the general
 * registers of a struct pvisor_frame at (%rsp) (offsets: asm_defs.h).
 * Used by every entry path that builds or resumes a frame (entry.S,
 * native_entry.S). Assembly only. */
#ifndef PV_FRAME_REGS_H
#define PV_FRAME_REGS_H

#include "asm_defs.h"

	.macro SAVE_GPRS
	mov	%r15, FRAME_R15(%rsp)
	mov	%r14, FRAME_R14(%rsp)
	mov	%r13, FRAME_R13(%rsp)
	mov	%r12, FRAME_R12(%rsp)
	mov	%r11, FRAME_R11(%rsp)
	mov	%r10, FRAME_R10(%rsp)
	mov	%r9, FRAME_R9(%rsp)
	mov	%r8, FRAME_R8(%rsp)
	mov	%rbp, FRAME_RBP(%rsp)
	mov	%rdi, FRAME_RDI(%rsp)
	mov	%rsi, FRAME_RSI(%rsp)
	mov	%rdx, FRAME_RDX(%rsp)
	mov	%rcx, FRAME_RCX(%rsp)
	mov	%rbx, FRAME_RBX(%rsp)
	mov	%rax, FRAME_RAX(%rsp)
	.endm

	.macro RESTORE_GPRS
	mov	FRAME_R15(%rsp), %r15
	mov	FRAME_R14(%rsp), %r14
	mov	FRAME_R13(%rsp), %r13
	mov	FRAME_R12(%rsp), %r12
	mov	FRAME_R11(%rsp), %r11
	mov	FRAME_R10(%rsp), %r10
	mov	FRAME_R9(%rsp), %r9
	mov	FRAME_R8(%rsp), %r8
	mov	FRAME_RBP(%rsp), %rbp
	mov	FRAME_RDI(%rsp), %rdi
	mov	FRAME_RSI(%rsp), %rsi
	mov	FRAME_RDX(%rsp), %rdx
	mov	FRAME_RCX(%rsp), %rcx
	mov	FRAME_RBX(%rsp), %rbx
	mov	FRAME_RAX(%rsp), %rax
	.endm

#endif

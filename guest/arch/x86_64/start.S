/* start.S: the guest image's entry point and its pvisor ABI note.
 *
 * The hypervisor enters _start at CPL3 with rdi = start info gva,
 * rsp = PVISOR_BOOT_STACK_TOP and upcall_mask set. The boot stack becomes
 * the idle thread's stack; kernel_start() never returns. */
#include "asm_defs.h"

	.section .text.boot, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	xor	%ebp, %ebp		/* outermost frame: ends backtraces */
	and	$-16, %rsp
	cld
	call	kernel_start		/* kernel_start(start_info), noreturn */
	ud2
	.size	_start, . - _start

/* The note the hypervisor's loader looks for: owner "pvisor", type 1,
 * 4-byte descriptor = the ABI version this guest speaks. */
	.section .note.pvisor, "a", @note
	.balign	4
	.long	2f - 1f			/* namesz, including the NUL */
	.long	4f - 3f			/* descsz */
	.long	ASM_NOTE_ABI_VERSION	/* type */
1:	.asciz	"pvisor"
2:	.balign	4
3:	.long	ASM_ABI_VERSION
4:	.balign	4

	.section .note.GNU-stack, "", @progbits

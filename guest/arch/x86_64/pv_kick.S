/* pv_kick.S: the PV platform's kick (platform.h kick_entry): a bare exit
 * after which pvisor delivers the pending events if upcall_mask is clear.
 * An `out` changes no register and no flag, so neither does this. */
#include "asm_defs.h"

	.text
	.globl	pv_kick_entry
	.type	pv_kick_entry, @function
	.balign	16
pv_kick_entry:
	outb	%al, $ASM_PORT_KICK
	ret
	.globl	pv_kick_end
pv_kick_end:				/* platform.h kick_window_end */
	.size	pv_kick_entry, . - pv_kick_entry

	.section .note.GNU-stack, "", @progbits

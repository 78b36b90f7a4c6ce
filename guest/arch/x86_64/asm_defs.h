/* asm_defs.h: ABI constants in a form the assembler understands.
 *
 * include/pvisor/ headers use C suffixes (1u, 0x2000ull) and <stdint.h>, so
 * assembly cannot include them. The values are repeated here and checked
 * against the ABI headers at compile time in guest/kernel/asm_check.c. */
#ifndef PV_ASM_DEFS_H
#define PV_ASM_DEFS_H

#define ASM_ABI_VERSION		1
#define ASM_NOTE_ABI_VERSION	1
#define ASM_SHARED_INFO_GVA	0x2000
#define ASM_VCPU0_PENDING	(ASM_SHARED_INFO_GVA + 0)  /* vcpu_info[0].upcall_pending */
#define ASM_VCPU0_MASK		(ASM_SHARED_INFO_GVA + 1)  /* vcpu_info[0].upcall_mask */
#define ASM_PORT_KICK		0xe4
#define ASM_FRAME_UPCALL	1	/* PVISOR_FRAME_UPCALL */

/* struct pvisor_frame offsets (callback.h). */
#define FRAME_R15	0x00
#define FRAME_R14	0x08
#define FRAME_R13	0x10
#define FRAME_R12	0x18
#define FRAME_R11	0x20
#define FRAME_R10	0x28
#define FRAME_R9	0x30
#define FRAME_R8	0x38
#define FRAME_RBP	0x40
#define FRAME_RDI	0x48
#define FRAME_RSI	0x50
#define FRAME_RDX	0x58
#define FRAME_RCX	0x60
#define FRAME_RBX	0x68
#define FRAME_RAX	0x70
#define FRAME_RIP	0x78
#define FRAME_RFLAGS	0x80
#define FRAME_RSP	0x88
#define FRAME_VECTOR	0x90
#define FRAME_ERROR	0x98
#define FRAME_CR2	0xa0
#define FRAME_MASK	0xa8
#define FRAME_FLAGS	0xb0
#define FRAME_RESERVED	0xb8
#define FRAME_SIZE	0xc0

/* A context: the 512-byte fxsave area, then the frame (guest/kernel/context.h). */
#define CTX_FXSAVE_SIZE	512
#define CTX_SIZE	(CTX_FXSAVE_SIZE + FRAME_SIZE)

/* The PVH entry's area after the image (pvh_entry.S): the 64 KiB boot
 * stack, then three page-table pages. The kernel's free pages start at the
 * tables: they are dead once the kernel has loaded its own, which it does
 * before its page allocator starts. */
#define ASM_PVH_STACK_BYTES	0x10000
#define ASM_PVH_TABLES_BYTES	0x3000
#define ASM_PVH_TABLES		ASM_PVH_STACK_BYTES	/* offset in the area */

/* frame_restore leaves [mask][rflags][rip] just below the target rsp. */
#define RESTORE_SCRATCH	24

#endif

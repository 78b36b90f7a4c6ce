/* asm_check.c: compile-time checks that the constants the assembly uses
 * (guest/arch/x86_64/asm_defs.h) match the ABI headers. No code. */
#include <stddef.h>
#include <pvisor/pvisor.h>
#include "arch/x86_64/asm_defs.h"
#include "context.h"

#define SAME(a, b) _Static_assert((a) == (b), #a " != " #b)

SAME(ASM_ABI_VERSION, PVISOR_ABI_VERSION);
SAME(ASM_NOTE_ABI_VERSION, PVISOR_NOTE_ABI_VERSION);
SAME(ASM_SHARED_INFO_GVA, PVISOR_SHARED_INFO_GVA);
SAME(ASM_VCPU0_PENDING, PVISOR_SHARED_INFO_GVA +
     offsetof(struct pvisor_shared_info, vcpu_info[0].upcall_pending));
SAME(ASM_VCPU0_MASK, PVISOR_SHARED_INFO_GVA +
     offsetof(struct pvisor_shared_info, vcpu_info[0].upcall_mask));
SAME(ASM_PORT_KICK, PVISOR_PORT_KICK);
SAME(ASM_FRAME_UPCALL, PVISOR_FRAME_UPCALL);

SAME(FRAME_R15, offsetof(struct pvisor_frame, r15));
SAME(FRAME_R11, offsetof(struct pvisor_frame, r11));
SAME(FRAME_R8, offsetof(struct pvisor_frame, r8));
SAME(FRAME_RBP, offsetof(struct pvisor_frame, rbp));
SAME(FRAME_RDI, offsetof(struct pvisor_frame, rdi));
SAME(FRAME_RCX, offsetof(struct pvisor_frame, rcx));
SAME(FRAME_RBX, offsetof(struct pvisor_frame, rbx));
SAME(FRAME_RAX, offsetof(struct pvisor_frame, rax));
SAME(FRAME_RIP, PVISOR_FRAME_OFF_RIP);
SAME(FRAME_RFLAGS, PVISOR_FRAME_OFF_RFLAGS);
SAME(FRAME_RSP, PVISOR_FRAME_OFF_RSP);
SAME(FRAME_VECTOR, offsetof(struct pvisor_frame, vector));
SAME(FRAME_ERROR, offsetof(struct pvisor_frame, error_code));
SAME(FRAME_CR2, offsetof(struct pvisor_frame, cr2));
SAME(FRAME_MASK, PVISOR_FRAME_OFF_UPCALL_MASK);
SAME(FRAME_FLAGS, offsetof(struct pvisor_frame, flags));
SAME(FRAME_RESERVED, offsetof(struct pvisor_frame, reserved));
SAME(FRAME_SIZE, PVISOR_FRAME_SIZE);
SAME(FRAME_SIZE, sizeof(struct pvisor_frame));
SAME(CTX_SIZE, sizeof(struct context));
SAME(CTX_FXSAVE_SIZE, offsetof(struct context, frame));
SAME(RESTORE_SCRATCH, CONTEXT_RESTORE_SCRATCH);

/* callback.h: how events and exceptions enter the guest.
 *
 * The guest runs at CPL3 and never sees a hardware interrupt frame. To
 * deliver an event upcall or an exception, the hypervisor writes a struct
 * pvisor_frame holding the interrupted context onto a guest stack and
 * starts the registered entry point with rsp pointing at the frame (rsp is
 * 16-byte aligned). All registers other than rip and rsp keep the values
 * of the interrupted context, which the frame also holds.
 *
 * Upcalls: delivered only while vcpu_info.upcall_mask is clear, on the
 * current stack 128 bytes (red zone) below the interrupted rsp; the
 * hypervisor sets upcall_mask first (frame.upcall_mask records 0). If that
 * stack cannot take the frame, the event stays pending until it can.
 *
 * Traps: exceptions whose vector bit is set in the registered trap mask go
 * to the trap entry, on the current stack like an upcall if that stack is
 * writable there, else on the registered alternate trap stack (e.g. after a
 * stack overflow) with PVISOR_FRAME_ALT_STACK in flags and upcall_mask set.
 * upcall_mask is otherwise unchanged. Vectors not in the mask end the
 * domain with a crash report.
 *
 * Return: the guest resumes an interrupted context itself, at CPL3, by
 * restoring the registers in the frame (see guest/arch/x86_64/entry.S),
 * setting upcall_mask to frame.upcall_mask and, if that unmasks a pending
 * event, executing the kick (any hypercall) so it is delivered.
 *
 * PVISOR_HC_CALLBACK_OP(cmd, a, b, c):
 *   PVISOR_CALLBACK_UPCALL(entry)                -> 0; entry 0 unregisters.
 *   PVISOR_CALLBACK_TRAP(entry, alt_stack_top, vector_mask) -> 0;
 *       vector_mask bit v selects exception vector v (0..31).
 * entry and alt_stack_top must be guest addresses (-EINVAL). */
#ifndef PVISOR_CALLBACK_H
#define PVISOR_CALLBACK_H

#include "abi.h"

#define PVISOR_CALLBACK_UPCALL 0
#define PVISOR_CALLBACK_TRAP   1

#define PVISOR_FRAME_UPCALL    (1u << 0)  /* flags: this frame is an upcall */
#define PVISOR_FRAME_TRAP      (1u << 1)  /* flags: this frame is a trap    */
#define PVISOR_FRAME_ALT_STACK (1u << 2)  /* flags: delivered on alt stack  */

/* The interrupted context. Offsets are ABI (guest assembly uses them). */
struct pvisor_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;   /* 0x00 */
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;      /* 0x40 */
	uint64_t rip;                                    /* 0x78 */
	uint64_t rflags;                                 /* 0x80 */
	uint64_t rsp;                                    /* 0x88 */
	uint64_t vector;      /* traps: exception vector  0x90 */
	uint64_t error_code;  /* traps: error code or 0   0x98 */
	uint64_t cr2;         /* traps: fault address     0xa0 */
	uint64_t upcall_mask; /* mask to restore          0xa8 */
	uint64_t flags;       /* PVISOR_FRAME_*           0xb0 */
	uint64_t reserved;    /*                          0xb8 */
};                            /* 0xc0 = 192 bytes */

#define PVISOR_FRAME_OFF_RIP         0x78
#define PVISOR_FRAME_OFF_RFLAGS      0x80
#define PVISOR_FRAME_OFF_RSP         0x88
#define PVISOR_FRAME_OFF_UPCALL_MASK 0xa8
#define PVISOR_FRAME_SIZE            0xc0

#endif

/* context.h: the one saved-context format of the guest kernel.
 *
 * A context is a 512-byte fxsave area immediately followed by the
 * hypervisor's struct pvisor_frame (all GPRs, rip, rflags, rsp, upcall
 * mask), 16-byte aligned, addressed by its first byte. Upcalls and traps
 * create one on entry (guest/arch/x86_64/entry.S), context_switch() creates
 * one for a thread that gives up the CPU, thread_create builds one for a
 * new thread, and frame_restore resumes any of them. */
#ifndef PV_KERNEL_CONTEXT_H
#define PV_KERNEL_CONTEXT_H

#include <stdint.h>
#include <pvisor/callback.h>

struct context {
	uint8_t fxsave[512];
	struct pvisor_frame frame;
} __attribute__((aligned(16)));

_Static_assert(sizeof(struct context) == 512 + PVISOR_FRAME_SIZE, "context layout");

/* frame_restore writes this many bytes just below the resumed rsp. */
#define CONTEXT_RESTORE_SCRATCH 24

/* entry.S */
void upcall_entry(void);
void trap_entry(void);
void thread_trampoline(void);
/* Saves the caller in a new context on its stack, stores it in *prev and
 * resumes next. Events must be masked. Returns when *prev is resumed. */
void context_switch(struct context **prev, struct context *next);

/* An upcall that interrupted frame_restore after its unmask becomes the
 * context that restore was resuming (restore_fold.c). */
void restore_fold_tail(struct context *ctx);

/* C side of the entries: return the context to resume. */
struct context *upcall_handler(struct context *ctx);
struct context *trap_handler(struct context *ctx);

#endif

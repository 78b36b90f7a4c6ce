/* native_crash.c: the crash report of the native platform. In PV mode
 * pvisor prints it from the frame the kernel hands to SCHED_SHUTDOWN; with
 * no hypervisor to ask, the kernel prints the same report on its own
 * console before it ends the domain: what happened, the registers and a
 * frame-pointer backtrace (addresses only: the symbol table is not loaded;
 * `addr2line -e IMAGE ADDRESS` names them). */
#include "native.h"
#include "kernel/kernel.h"

#define BACKTRACE_MAX 32

static const char *const vector_names[NATIVE_NR_EXCEPTIONS] = {
	"divide error", "debug exception", "NMI", "breakpoint", "overflow",
	"bound range exceeded", "invalid opcode", "device not available", "double fault",
	"coprocessor segment overrun", "invalid TSS", "segment not present",
	"stack-segment fault", "general protection fault", "page fault", "reserved",
	"x87 floating-point error", "alignment check", "machine check",
	"SIMD floating-point error", "virtualization exception", "control protection",
	"reserved", "reserved", "reserved", "reserved", "reserved", "reserved",
	"hypervisor injection", "VMM communication", "security exception", "reserved",
};

static bool is_trap(const struct pvisor_frame *f)
{
	return (f->flags & PVISOR_FRAME_TRAP) && f->vector < NATIVE_NR_EXCEPTIONS;
}

static void print_what(const struct pvisor_frame *f, unsigned int status)
{
	if (!f || !is_trap(f)) {
		kprintf("pvisor-guest: guest crashed: the guest declared a crash (status %u)\n",
			status);
		return;
	}
	kprintf("pvisor-guest: guest crashed: %s (vector %lu, error code %#lx)\n",
		vector_names[f->vector], (unsigned long)f->vector, (unsigned long)f->error_code);
}

static void print_registers(const struct pvisor_frame *f)
{
	kprintf("pvisor-guest:   rip 0x%016lx\n"
		"pvisor-guest:   rsp 0x%016lx  rflags 0x%lx  cr2=0x%016lx\n",
		(unsigned long)f->rip, (unsigned long)f->rsp, (unsigned long)f->rflags,
		(unsigned long)(is_trap(f) ? f->cr2 : 0));
	kprintf("pvisor-guest:   rax %016lx rbx %016lx rcx %016lx rdx %016lx\n",
		(unsigned long)f->rax, (unsigned long)f->rbx, (unsigned long)f->rcx,
		(unsigned long)f->rdx);
	kprintf("pvisor-guest:   rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n",
		(unsigned long)f->rsi, (unsigned long)f->rdi, (unsigned long)f->rbp,
		(unsigned long)f->r8);
	kprintf("pvisor-guest:   r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n",
		(unsigned long)f->r9, (unsigned long)f->r10, (unsigned long)f->r11,
		(unsigned long)f->r12);
	kprintf("pvisor-guest:   r13 %016lx r14 %016lx r15 %016lx\n",
		(unsigned long)f->r13, (unsigned long)f->r14, (unsigned long)f->r15);
}

/* Follows saved rbp links while they point at mapped, ascending memory. */
static void print_backtrace(const struct pvisor_frame *f)
{
	uint64_t rbp = f->rbp;
	int i;

	kprintf("pvisor-guest: backtrace:\npvisor-guest:   #0  0x%016lx\n", (unsigned long)f->rip);
	for (i = 1; i < BACKTRACE_MAX && rbp && !(rbp & 7); i++) {
		const uint64_t *link = (const uint64_t *)(uintptr_t)rbp;

		if (!native_va_writable(rbp) || !native_va_writable(rbp + 15) || !link[1])
			break;
		kprintf("pvisor-guest:   #%-2d 0x%016lx\n", i, (unsigned long)link[1]);
		if (link[0] <= rbp)
			break;
		rbp = link[0];
	}
}

void native_crash_report(const struct pvisor_frame *frame, unsigned int status)
{
	print_what(frame, status);
	if (!frame)
		return;
	print_registers(frame);
	print_backtrace(frame);
}

/* crash.c: the report pvisor prints when a guest crashes: what happened,
 * the registers, and a backtrace along the frame-pointer chain, symbolized
 * from the image's symbol table when it has one. */
#include <stdio.h>
#include <sys/ioctl.h>

#include "core/domain.h"
#include "lib/log.h"

#define BACKTRACE_MAX 32

static void print_symbol(struct domain *d, uint64_t addr)
{
	uint64_t off;
	const char *name = d->symbols ? symbols_lookup(d->symbols, addr, &off) : NULL;

	if (name)
		fprintf(stderr, " <%s+%#llx>", name, (unsigned long long)off);
}

static void print_backtrace(struct domain *d, uint64_t rip, uint64_t rbp)
{
	fprintf(stderr, "pvisor: backtrace:\npvisor:   #0  0x%016llx", (unsigned long long)rip);
	print_symbol(d, rip);
	fputc('\n', stderr);
	for (int i = 1; i < BACKTRACE_MAX && rbp; i++) {
		uint64_t link[2];  /* saved rbp, return address */

		if (guest_copy_from(&d->view, link, rbp, sizeof(link)) < 0 || !link[1])
			break;
		fprintf(stderr, "pvisor:   #%-2d 0x%016llx", i, (unsigned long long)link[1]);
		print_symbol(d, link[1]);
		fputc('\n', stderr);
		if (link[0] <= rbp)
			break;
		rbp = link[0];
	}
}

void crash_report(struct domain *d, const char *what, const struct kvm_regs *r,
		  uint64_t cr2, uint64_t vector, uint64_t error_code)
{
	fprintf(stderr, "pvisor: guest crashed: %s", what);
	if (vector < 32 && (vector == 14 || error_code))
		fprintf(stderr, " (vector %llu, error code %#llx)", (unsigned long long)vector,
			(unsigned long long)error_code);
	else if (vector < 32 && vector)
		fprintf(stderr, " (vector %llu)", (unsigned long long)vector);
	fputc('\n', stderr);
	if (!r)
		return;
	fprintf(stderr, "pvisor:   rip 0x%016llx", (unsigned long long)r->rip);
	print_symbol(d, r->rip);
	fprintf(stderr, "\npvisor:   rsp 0x%016llx  rflags 0x%llx  cr2=0x%016llx\n",
		(unsigned long long)r->rsp, (unsigned long long)r->rflags, (unsigned long long)cr2);
	fprintf(stderr, "pvisor:   rax %016llx rbx %016llx rcx %016llx rdx %016llx\n",
		(unsigned long long)r->rax, (unsigned long long)r->rbx,
		(unsigned long long)r->rcx, (unsigned long long)r->rdx);
	fprintf(stderr, "pvisor:   rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n",
		(unsigned long long)r->rsi, (unsigned long long)r->rdi,
		(unsigned long long)r->rbp, (unsigned long long)r->r8);
	fprintf(stderr, "pvisor:   r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n",
		(unsigned long long)r->r9, (unsigned long long)r->r10,
		(unsigned long long)r->r11, (unsigned long long)r->r12);
	fprintf(stderr, "pvisor:   r13 %016llx r14 %016llx r15 %016llx\n",
		(unsigned long long)r->r13, (unsigned long long)r->r14, (unsigned long long)r->r15);
	if (r->rip < PVISOR_GUEST_VA_END)
		print_backtrace(d, r->rip, r->rbp);
}

void crash_report_from_vcpu(struct vcpu *v, const char *what)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint64_t cr2 = 0;

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) == 0)
		cr2 = sregs.cr2;
	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0) {
		crash_report(v->dom, what, NULL, 0, 0, 0);
		return;
	}
	crash_report(v->dom, what, &regs, cr2, ~0ull, 0);
}

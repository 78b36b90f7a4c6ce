/* delivery.c: entering the guest's callbacks: event upcalls and exception
 * traps (include/pvisor/callback.h). No guest code runs at CPL0 for this:
 * the hypervisor writes a struct pvisor_frame with the interrupted context
 * onto a guest stack and points rip/rsp at the registered entry, either in
 * the vCPU's registers (sync regs) or, for an exception, in the iret frame
 * the CPU left on the trap stub's CPL0 stack. */
#include <string.h>
#include <sys/ioctl.h>

#include "core/domain.h"
#include "core/layout.h"
#include "lib/log.h"
#include "core/x86_setup.h"

#define RED_ZONE     128
#define RFLAGS_TF    (1ull << 8)
#define RFLAGS_DF    (1ull << 10)
#define RFLAGS_AC    (1ull << 18)

static void frame_from_regs(struct pvisor_frame *f, const struct kvm_regs *r)
{
	memset(f, 0, sizeof(*f));
	f->r15 = r->r15; f->r14 = r->r14; f->r13 = r->r13; f->r12 = r->r12;
	f->r11 = r->r11; f->r10 = r->r10; f->r9 = r->r9; f->r8 = r->r8;
	f->rbp = r->rbp; f->rdi = r->rdi; f->rsi = r->rsi; f->rdx = r->rdx;
	f->rcx = r->rcx; f->rbx = r->rbx; f->rax = r->rax;
	f->rip = r->rip;
	f->rflags = r->rflags;
	f->rsp = r->rsp;
}

/* Writes f 16-byte aligned below `below`; returns its address or 0. */
static uint64_t push_frame(struct domain *d, const struct pvisor_frame *f, uint64_t below)
{
	uint64_t at;

	if (below < PVISOR_GUEST_VA_MIN + sizeof(*f))
		return 0;
	at = (below - sizeof(*f)) & ~15ull;
	return guest_copy_to(&d->view, at, f, sizeof(*f)) == 0 ? at : 0;
}

/* The callback starts with the C ABI's expectations met: DF clear, and no
 * single-stepping or alignment checks inherited from the interrupted code. */
static void enter_callback(struct kvm_regs *r, uint64_t entry, uint64_t frame)
{
	r->rip = entry;
	r->rsp = frame;
	r->rflags &= ~(RFLAGS_TF | RFLAGS_DF | RFLAGS_AC);
}

static struct pvisor_vcpu_info *vcpu_info(struct vcpu *v)
{
	return &v->dom->shared->vcpu_info[v->id];
}

static bool upcall_due(struct vcpu *v)
{
	struct pvisor_vcpu_info *vi = vcpu_info(v);

	return v->upcall_entry && __atomic_load_n(&vi->upcall_pending, __ATOMIC_SEQ_CST) &&
	       !__atomic_load_n(&vi->upcall_mask, __ATOMIC_SEQ_CST);
}

/* Diverts the CPL3 context r into the upcall entry. Returns true if it
 * did. An event that arrives while the guest's stack cannot take the frame
 * (rsp already in a guard page: the next push will fault) stays pending:
 * the fault goes to the alternate trap stack with events masked, and the
 * event is delivered once the guest unmasks on a good stack (docs/abi.md
 * §6). A guest whose stack stays bad and never faults just sees no events;
 * pvisor neither crashes it nor spins. */
static bool inject_upcall(struct vcpu *v, struct kvm_regs *r)
{
	struct domain *d = v->dom;
	struct pvisor_frame f;
	uint64_t frame;

	frame_from_regs(&f, r);
	f.flags = PVISOR_FRAME_UPCALL;
	f.upcall_mask = 0;
	frame = push_frame(d, &f, r->rsp - RED_ZONE);
	if (!frame) {
		d->stats.upcalls_deferred++;
		return false;
	}
	__atomic_store_n(&vcpu_info(v)->upcall_mask, 1, __ATOMIC_SEQ_CST);
	enter_callback(r, v->upcall_entry, frame);
	d->stats.upcalls++;
	return true;
}

void delivery_prepare_entry(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct kvm_regs *r = &run->s.regs.regs;

	vcpu_poll_timer(v);
	if (!upcall_due(v) || !v->regs_valid) {
		vcpu_set_upcall_retry(v, false);
		return;
	}
	if (r->rip >= PVISOR_GUEST_VA_END) {
		/* Inside a CPL0 trap stub: try again once it is back at CPL3. */
		vcpu_set_upcall_retry(v, true);
		return;
	}
	vcpu_set_upcall_retry(v, false);
	/* The frame must resume after the OUT that exited, not on it. */
	if (vcpu_complete_io(v) < 0)
		return;
	if (inject_upcall(v, r))
		run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

/* The stub pushed vector and error code under the CPU's iret frame. */
struct stub_frame {
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

static struct stub_frame *stub_frame(struct domain *d, uint64_t rsp)
{
	uint64_t off = rsp - HV_AREA_VA;
	bool on_stack0 = off >= HV_STACK0_TOP - 0x4000 && off + sizeof(struct stub_frame) <= HV_STACK0_TOP;
	bool on_ist1 = off >= HV_IST1_TOP - 0x2000 && off + sizeof(struct stub_frame) <= HV_IST1_TOP;

	if (rsp < HV_AREA_VA || !(on_stack0 || on_ist1))
		return NULL;
	return (struct stub_frame *)(d->gm.hv + off);
}

static uint64_t read_cr2(struct vcpu *v)
{
	struct kvm_sregs sregs;

	return ioctl(v->fd, KVM_GET_SREGS, &sregs) == 0 ? sregs.cr2 : 0;
}

/* Delivers vector to the guest's trap entry; false if it cannot. */
static bool deliver_trap(struct vcpu *v, struct kvm_regs *g, const struct stub_frame *sf, uint64_t cr2)
{
	struct domain *d = v->dom;
	struct pvisor_vcpu_info *vi = vcpu_info(v);
	struct pvisor_frame f;
	uint64_t frame;

	if (!v->trap_entry || sf->vector >= 32 || !((v->trap_mask >> sf->vector) & 1))
		return false;
	frame_from_regs(&f, g);
	f.vector = sf->vector;
	f.error_code = sf->error_code;
	f.cr2 = cr2;
	f.flags = PVISOR_FRAME_TRAP;
	f.upcall_mask = __atomic_load_n(&vi->upcall_mask, __ATOMIC_SEQ_CST);
	frame = push_frame(d, &f, g->rsp - RED_ZONE);
	if (!frame && v->trap_stack) {
		f.flags |= PVISOR_FRAME_ALT_STACK;
		frame = push_frame(d, &f, v->trap_stack);
		if (frame)
			__atomic_store_n(&vi->upcall_mask, 1, __ATOMIC_SEQ_CST);
	}
	if (!frame)
		return false;
	enter_callback(g, v->trap_entry, frame);
	d->stats.traps_delivered++;
	return true;
}

void delivery_handle_trap(struct vcpu *v)
{
	struct domain *d = v->dom;
	struct kvm_regs g = v->run->s.regs.regs;
	struct stub_frame *sf = stub_frame(d, g.rsp);
	uint64_t cr2;
	char what[160];

	if (!sf || (sf->cs & 3) != 3) {
		crash_report_from_vcpu(v, "exception inside the hypervisor's trap stub");
		domain_finish(d, OUTCOME_CRASH, 0);
		return;
	}
	g.rip = sf->rip;
	g.rsp = sf->rsp;
	g.rflags = sf->rflags;
	cr2 = sf->vector == 14 ? read_cr2(v) : 0;
	if (!deliver_trap(v, &g, sf, cr2)) {
		snprintf(what, sizeof(what), "%s", x86_vector_name((unsigned)sf->vector));
		if (v->trap_entry && sf->vector < 32 && ((v->trap_mask >> sf->vector) & 1))
			snprintf(what, sizeof(what), "%s, and no writable stack to deliver it on",
				 x86_vector_name((unsigned)sf->vector));
		crash_report(d, what, &g, cr2, sf->vector, sf->error_code);
		domain_finish(d, OUTCOME_CRASH, 0);
		return;
	}
	if (upcall_due(v))
		inject_upcall(v, &g);
	sf->rip = g.rip;
	sf->rsp = g.rsp;
	sf->rflags = g.rflags;
}

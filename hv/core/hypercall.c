/* hypercall.c: hypercall dispatch and the handlers for each number
 * (include/pvisor/hypercall.h). Arguments arrive in rdi, rsi, rdx, r10, r8
 * through KVM's sync-regs area; the result goes back in rax. Every pointer
 * goes through guest_access.h and is checked before the call changes any
 * state (batches resolve theirs as spans first), so a call that fails on
 * a pointer has had no effect; every request is copied before it is
 * validated. */
#include <sched.h>
#include <string.h>

#include "console/console.h"
#include "core/domain.h"
#include "core/layout.h"
#include "core/x86_setup.h"
#include "lib/log.h"

#define MMU_CHUNK 256

typedef long (*hypercall_fn)(struct vcpu *v, const uint64_t a[5]);

static long hc_version(struct vcpu *v, const uint64_t a[5])
{
	switch (a[0]) {
	case PVISOR_VERSION_ABI:      return PVISOR_ABI_VERSION;
	case PVISOR_VERSION_FEATURES: return PVISOR_FEATURES_ALL;
	default:                      return -PVISOR_ENOSYS;
	}
}

static long console_write_op(struct vcpu *v, uint64_t buf, uint64_t len)
{
	struct domain *d = v->dom;
	uint64_t n = len < PVISOR_CONSOLE_IO_MAX ? len : PVISOR_CONSOLE_IO_MAX;

	if (guest_copy_from(&d->view, v->iobuf, buf, n) < 0)
		return -PVISOR_EFAULT;
	console_write(d->cfg->console, v->iobuf, n);
	d->stats.console_bytes += n;
	return (long)n;
}

static long console_read_op(struct vcpu *v, uint64_t buf, uint64_t len)
{
	struct domain *d = v->dom;
	uint64_t n = len < PVISOR_CONSOLE_IO_MAX ? len : PVISOR_CONSOLE_IO_MAX;
	long got;

	/* Check the destination first so that no input is consumed and lost. */
	if (guest_check(&d->view, buf, n, 1) < 0)
		return -PVISOR_EFAULT;
	got = console_read(d->cfg->console, v->iobuf, n);
	if (got < 0)
		return -PVISOR_EAGAIN;
	if (guest_copy_to(&d->view, buf, v->iobuf, (uint64_t)got) < 0)
		return -PVISOR_EFAULT;
	return got;
}

static long hc_console_io(struct vcpu *v, const uint64_t a[5])
{
	switch (a[0]) {
	case PVISOR_CONSOLE_WRITE: return console_write_op(v, a[1], a[2]);
	case PVISOR_CONSOLE_READ:  return console_read_op(v, a[1], a[2]);
	default:                   return -PVISOR_ENOSYS;
	}
}

static void frame_to_regs(struct kvm_regs *r, const struct pvisor_frame *f)
{
	r->r15 = f->r15; r->r14 = f->r14; r->r13 = f->r13; r->r12 = f->r12;
	r->r11 = f->r11; r->r10 = f->r10; r->r9 = f->r9; r->r8 = f->r8;
	r->rbp = f->rbp; r->rdi = f->rdi; r->rsi = f->rsi; r->rdx = f->rdx;
	r->rcx = f->rcx; r->rbx = f->rbx; r->rax = f->rax;
	r->rip = f->rip; r->rflags = f->rflags; r->rsp = f->rsp;
}

/* SHUTDOWN_CRASH: report from the guest's frame if it gave a valid one. */
static void guest_declared_crash(struct vcpu *v, uint64_t status, uint64_t frame_gva)
{
	struct domain *d = v->dom;
	struct pvisor_frame f;
	struct kvm_regs r;
	char what[128];

	if (frame_gva && guest_copy_from(&d->view, &f, frame_gva, sizeof(f)) == 0) {
		memset(&r, 0, sizeof(r));
		frame_to_regs(&r, &f);
		if (f.flags & PVISOR_FRAME_TRAP && f.vector < 32) {
			crash_report(d, x86_vector_name((unsigned)f.vector), &r, f.cr2, f.vector,
				     f.error_code);
			return;
		}
		snprintf(what, sizeof(what), "the guest declared a crash (status %llu)",
			 (unsigned long long)status);
		crash_report(d, what, &r, 0, ~0ull, 0);
		return;
	}
	snprintf(what, sizeof(what), "the guest declared a crash (status %llu)", (unsigned long long)status);
	crash_report_from_vcpu(v, what);
}

static long sched_shutdown(struct vcpu *v, uint64_t reason, uint64_t status, uint64_t frame)
{
	switch (reason) {
	case PVISOR_SHUTDOWN_POWEROFF:
		domain_finish(v->dom, OUTCOME_POWEROFF, (int)(status & 0xff));
		return 0;
	case PVISOR_SHUTDOWN_REBOOT:
		domain_finish(v->dom, OUTCOME_REBOOT, 0);
		return 0;
	case PVISOR_SHUTDOWN_CRASH:
		guest_declared_crash(v, status, frame);
		domain_finish(v->dom, OUTCOME_CRASH, 0);
		return 0;
	default:
		return -PVISOR_EINVAL;
	}
}

static long hc_sched_op(struct vcpu *v, const uint64_t a[5])
{
	switch (a[0]) {
	case PVISOR_SCHED_YIELD:
		sched_yield();
		return 0;
	case PVISOR_SCHED_BLOCK:
		return vcpu_block(v, a[1]);
	case PVISOR_SCHED_SHUTDOWN:
		return sched_shutdown(v, a[1], a[2], a[3]);
	default:
		return -PVISOR_ENOSYS;
	}
}

static long hc_set_timer(struct vcpu *v, const uint64_t a[5])
{
	return vcpu_set_timer(v, a[0]);
}

static long hc_event_channel_op(struct vcpu *v, const uint64_t a[5])
{
	long rc = evtchn_op(&v->dom->evtchn, a[0], a[1], a[2]);

	if (rc > 0 && a[0] == PVISOR_EVTCHN_BIND_VIRQ && a[1] == PVISOR_VIRQ_CONSOLE)
		console_start_input(v->dom->cfg->console);
	return rc;
}

/* Applies a batch of page-table updates. Both pointers are resolved
 * before anything changes (a bad one fails the call with no effect, and
 * the batch may unmap their pages without losing them); each request is
 * copied exactly once, in chunks; one TLB flush at the end if any present
 * mapping changed. */
static long hc_mmu_update(struct vcpu *v, const uint64_t a[5])
{
	struct domain *d = v->dom;
	struct pvisor_mmu_update chunk[MMU_CHUNK];
	struct guest_span reqs, done_at;
	uint64_t count = a[1], done_gva = a[2], done = 0;
	bool flush = false;
	long rc = 0;

	if (count > PVISOR_MMU_BATCH_MAX)
		return -PVISOR_E2BIG;
	if (guest_span_resolve(&d->view, &reqs, a[0], count * sizeof(chunk[0]), 0) < 0 ||
	    (done_gva && guest_span_resolve(&d->view, &done_at, done_gva, sizeof(done), 1) < 0))
		return -PVISOR_EFAULT;
	while (done < count && rc == 0) {
		uint64_t n = count - done < MMU_CHUNK ? count - done : MMU_CHUNK;

		guest_span_read(&reqs, done * sizeof(chunk[0]), chunk, n * sizeof(chunk[0]));
		for (uint64_t i = 0; i < n; i++) {
			rc = pv_mmu_check(&d->mmu, chunk[i].va, chunk[i].pte);
			if (rc == 0)
				rc = pv_mmu_set(&d->mmu, chunk[i].va, chunk[i].pte, &flush);
			if (rc)
				break;
			done++;
		}
	}
	d->stats.mmu_updates += done;
	if (flush) {
		d->stats.tlb_flushes++;
		if (gmem_flush_tlb(&d->gm) < 0)
			domain_finish(d, OUTCOME_ERROR, 0);
	}
	if (done_gva)
		guest_span_write(&done_at, 0, &done, sizeof(done));
	return rc;
}

/* A page a device holds (a ring, or a buffer of a chain in flight) stays:
 * the check and the decrease are one step under held_lock, which device
 * pops take too, so a pop after the decrease finds the page ballooned
 * (and breaks its queue) instead of holding it. */
static long memory_op_one(struct domain *d, uint64_t cmd, uint64_t pfn)
{
	long rc;

	if (cmd == PVISOR_MEM_INCREASE_RESERVATION)
		return pv_mmu_increase(&d->mmu, pfn);
	pthread_mutex_lock(&d->held_lock);
	rc = domain_bus_pins_pfn(d, pfn) ? -PVISOR_EBUSY : pv_mmu_decrease(&d->mmu, pfn);
	pthread_mutex_unlock(&d->held_lock);
	if (rc == 0 && gmem_discard_page(&d->gm, pfn) < 0) {
		pv_mmu_increase(&d->mmu, pfn);
		return -PVISOR_ENOMEM;
	}
	return rc;
}

static long hc_memory_op(struct vcpu *v, const uint64_t a[5])
{
	struct domain *d = v->dom;
	uint64_t cmd = a[0], pfns = a[1], count = a[2], done = 0;
	struct guest_span list;
	long rc = 0;

	if (cmd != PVISOR_MEM_INCREASE_RESERVATION && cmd != PVISOR_MEM_DECREASE_RESERVATION)
		return -PVISOR_ENOSYS;
	if (count > PVISOR_MEMORY_OP_MAX)
		return -PVISOR_E2BIG;
	/* The whole list is resolved first: a bad pointer changes nothing. */
	if (guest_span_resolve(&d->view, &list, pfns, count * sizeof(uint64_t), 0) < 0)
		return -PVISOR_EFAULT;
	for (; done < count; done++) {
		uint64_t pfn;

		guest_span_read(&list, done * sizeof(pfn), &pfn, sizeof(pfn));
		rc = memory_op_one(d, cmd, pfn);
		if (rc)
			break;
	}
	return done ? (long)done : rc;
}

static bool guest_code_address(uint64_t va)
{
	return va >= PVISOR_GUEST_VA_MIN && va < PVISOR_GUEST_VA_END;
}

static long hc_callback_op(struct vcpu *v, const uint64_t a[5])
{
	switch (a[0]) {
	case PVISOR_CALLBACK_UPCALL:
		if (a[1] && !guest_code_address(a[1]))
			return -PVISOR_EINVAL;
		v->upcall_entry = a[1];
		return 0;
	case PVISOR_CALLBACK_TRAP:
		if ((a[1] && !guest_code_address(a[1])) || (a[2] && !guest_code_address(a[2] - 1)) ||
		    a[3] >> 32)
			return -PVISOR_EINVAL;
		v->trap_entry = a[1];
		v->trap_stack = a[2];
		v->trap_mask = a[3];
		return 0;
	default:
		return -PVISOR_ENOSYS;
	}
}

static long hc_vcpu_info(struct vcpu *v, const uint64_t a[5])
{
	switch (a[0]) {
	case PVISOR_VCPU_INFO_TIME:  return (long)pvclock_now(&v->dom->clock);
	case PVISOR_VCPU_INFO_EXITS: return (long)(v->dom->stats.exits +
						   __atomic_load_n(&v->dom->stats.doorbell_kicks,
								   __ATOMIC_RELAXED));
	default:                     return -PVISOR_ENOSYS;
	}
}

static long hc_device_op(struct vcpu *v, const uint64_t a[5])
{
	return domain_bus_device_op(v->dom, a[0], a[1]);
}

static const hypercall_fn hypercalls[PVISOR_HC_COUNT] = {
	[PVISOR_HC_VERSION] = hc_version,
	[PVISOR_HC_CONSOLE_IO] = hc_console_io,
	[PVISOR_HC_SCHED_OP] = hc_sched_op,
	[PVISOR_HC_SET_TIMER] = hc_set_timer,
	[PVISOR_HC_EVENT_CHANNEL_OP] = hc_event_channel_op,
	[PVISOR_HC_MMU_UPDATE] = hc_mmu_update,
	[PVISOR_HC_MEMORY_OP] = hc_memory_op,
	[PVISOR_HC_CALLBACK_OP] = hc_callback_op,
	[PVISOR_HC_VCPU_INFO] = hc_vcpu_info,
	[PVISOR_HC_DEVICE_OP] = hc_device_op,
};

/* A hybrid guest runs its own CPU (docs/full-virt.md): only the calls
 * that serve PV devices are offered; the CPU, MMU, timer and upcall ones
 * would fight the guest's own tables and interrupt controller. */
static bool allowed_in_hybrid(uint32_t nr)
{
	return nr == PVISOR_HC_VERSION || nr == PVISOR_HC_CONSOLE_IO ||
	       nr == PVISOR_HC_EVENT_CHANNEL_OP || nr == PVISOR_HC_VCPU_INFO ||
	       nr == PVISOR_HC_DEVICE_OP;
}

void hypercall_dispatch(struct vcpu *v, struct kvm_regs *regs)
{
	uint32_t nr = *(uint32_t *)((uint8_t *)v->run + v->run->io.data_offset);
	const uint64_t args[5] = { regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8 };

	if (nr >= PVISOR_HC_COUNT ||
	    (v->dom->cfg->mode == DOMAIN_MODE_HYBRID && !allowed_in_hybrid(nr))) {
		v->dom->stats.hypercalls[PVISOR_HC_COUNT]++;
		regs->rax = (uint64_t)-PVISOR_ENOSYS;
		return;
	}
	v->dom->stats.hypercalls[nr]++;
	regs->rax = (uint64_t)hypercalls[nr](v, args);
}

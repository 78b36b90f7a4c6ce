/* vcpu.c: a vCPU thread: the KVM_RUN loop, exit dispatch, the kick signal,
 * the one-shot timer and blocking.
 *
 * SIGKICK is blocked in every pvisor thread except while a vCPU thread sits
 * in KVM_RUN or in ppoll() inside a block, so a kick sent at any moment
 * either interrupts those or stays pending until the next one: no wakeup
 * is lost and no thread busy-waits. */
#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/domain.h"
#include "core/layout.h"
#include "lib/log.h"
#include "lib/seccomp_policy.h"

#define UPCALL_RETRY_NS 50000ull

static void on_kick(int sig)
{
	(void)sig;
}

void vcpu_signals_init(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	sigaction(SIGKICK, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGKICK);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* KVM_RUN returns -EINTR for a pending SIGKICK but restores the blocked
 * mask without delivering it; take it off the pending set, or every later
 * KVM_RUN would return at once. */
static void consume_kicks(void)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGKICK);
	while (sigtimedwait(&set, NULL, &zero) == SIGKICK)
		;
}

static void unblocked_mask(sigset_t *set)
{
	pthread_sigmask(SIG_BLOCK, NULL, set);
	sigdelset(set, SIGKICK);
}

int vcpu_create(struct domain *d, unsigned id)
{
	struct vcpu *v = &d->vcpus[id];
	int size;

	memset(v, 0, sizeof(*v));
	v->dom = d;
	v->id = id;
	v->fd = ioctl(d->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0) {
		log_errno("cannot create vCPU %u", id);
		return -1;
	}
	size = ioctl(d->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0) {
		log_errno("KVM_GET_VCPU_MMAP_SIZE");
		return -1;
	}
	v->run_size = (size_t)size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		log_errno("cannot map the vCPU run area");
		return -1;
	}
	v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->timer_created)
		timer_delete(v->timer);
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd > 0)
		close(v->fd);
}

void vcpu_kick(struct vcpu *v)
{
	if (v->thread_started && !pthread_equal(pthread_self(), v->thread))
		pthread_kill(v->thread, SIGKICK);
}

void vcpu_notify(void *domain, unsigned vcpu_id)
{
	struct domain *d = domain;

	if (vcpu_id < d->nr_vcpus)
		vcpu_kick(&d->vcpus[vcpu_id]);
}

/* Programs the host timer for the guest's deadline or, sooner, an upcall
 * retry. The timer only kicks; vcpu_poll_timer decides what is due. */
static void vcpu_arm_timer(struct vcpu *v)
{
	struct domain *d = v->dom;
	uint64_t when = v->timer_deadline;
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (v->upcall_retry) {
		uint64_t retry = pvclock_now(&d->clock) + UPCALL_RETRY_NS;

		if (!when || retry < when)
			when = retry;
	}
	if (when) {
		uint64_t host = d->clock.boot_mono_ns + when;

		its.it_value.tv_sec = (time_t)(host / 1000000000ull);
		its.it_value.tv_nsec = (long)(host % 1000000000ull);
	}
	timer_settime(v->timer, TIMER_ABSTIME, &its, NULL);
}

/* Raises VIRQ_TIMER when the guest's deadline has passed. */
void vcpu_poll_timer(struct vcpu *v)
{
	struct domain *d = v->dom;

	if (v->timer_deadline && pvclock_now(&d->clock) >= v->timer_deadline) {
		v->timer_deadline = 0;
		d->stats.timer_fires++;
		evtchn_raise_virq(&d->evtchn, PVISOR_VIRQ_TIMER);
	}
}

int vcpu_set_timer(struct vcpu *v, uint64_t deadline)
{
	v->timer_deadline = deadline;
	vcpu_poll_timer(v);
	vcpu_arm_timer(v);
	return 0;
}

void vcpu_set_upcall_retry(struct vcpu *v, bool retry)
{
	if (v->upcall_retry != retry) {
		v->upcall_retry = retry;
		vcpu_arm_timer(v);
	}
}

long vcpu_block(struct vcpu *v, uint64_t deadline)
{
	struct domain *d = v->dom;
	struct pvisor_vcpu_info *vi = &d->shared->vcpu_info[v->id];
	sigset_t mask;

	unblocked_mask(&mask);
	d->stats.blocks++;
	__atomic_store_n(&vi->upcall_mask, 0, __ATOMIC_SEQ_CST);
	for (;;) {
		uint64_t now;
		struct timespec ts, *timeout = NULL;

		domain_wait_while_paused(d);
		vcpu_poll_timer(v);
		if (__atomic_load_n(&vi->upcall_pending, __ATOMIC_SEQ_CST) || domain_finished(d))
			return 0;
		now = pvclock_now(&d->clock);
		if (deadline) {
			if (now >= deadline)
				return 0;
			ts.tv_sec = (time_t)((deadline - now) / 1000000000ull);
			ts.tv_nsec = (long)((deadline - now) % 1000000000ull);
			timeout = &ts;
		}
		ppoll(NULL, 0, timeout, &mask);
	}
}

/* The OUT of hypercall stub `nr` sits at a known place in the hypercall
 * page (x86_build_hypercall_page): 5 bytes in, 2 bytes long. */
static uint64_t stub_out_address(uint32_t nr)
{
	return PVISOR_HYPERCALL_PAGE_GVA + (uint64_t)nr * PVISOR_HYPERCALL_STUB_SIZE + 5;
}

/* After an exit from the hypercall page, the rip to resume at is known
 * without asking KVM: rip is either on the OUT (KVM advances it on the next
 * entry, unless rip changed) or already past it (this host). Returns 1 and
 * moves rip past the OUT when it could tell, 0 otherwise. */
static int finish_stub_out(struct vcpu *v)
{
	struct kvm_regs *r = &v->run->s.regs.regs;
	uint64_t out;
	uint8_t insn[2];

	if (!v->io_from_stub)
		return 0;
	out = stub_out_address(v->io_stub_nr);
	if (guest_copy_from(&v->dom->view, insn, out, 2) < 0 || insn[0] != 0xe7 ||
	    insn[1] != PVISOR_PORT_HYPERCALL)
		return 0;
	if (r->rip == out)
		r->rip += 2;
	return r->rip == out + 2;
}

/* KVM finishes an OUT (advances rip) only when KVM_RUN is entered again;
 * when exactly differs between KVM versions. Before editing rip, finish it
 * the documented way: KVM_RUN with immediate_exit completes pending I/O
 * and returns -EINTR without running guest code. Exits from the hypercall
 * page take the shortcut above. */
int vcpu_complete_io(struct vcpu *v)
{
	int rc, err;

	if (!v->io_incomplete)
		return 0;
	if (finish_stub_out(v)) {
		v->io_incomplete = false;
		return 0;
	}
	v->io_incomplete = false;
	v->run->immediate_exit = 1;
	rc = ioctl(v->fd, KVM_RUN, 0);
	err = errno;
	v->run->immediate_exit = 0;
	consume_kicks();
	/* A kick just consumed may have been the timer's: look again, or a
	 * deadline that passed meanwhile is never seen. */
	vcpu_poll_timer(v);
	if (rc == 0 || err != EINTR) {
		errno = err;
		log_errno("cannot complete guest I/O");
		domain_finish(v->dom, OUTCOME_ERROR, 0);
		return -1;
	}
	return 0;
}

/* Hybrid and full mode: the hypercall port (hybrid only) keeps its PV
 * meaning; every other port goes to the buses, the emulated PC last
 * (it answers every port, so false is never returned in practice). */
static bool vcpu_handle_native_io(struct vcpu *v)
{
	struct domain *d = v->dom;
	struct kvm_run *run = v->run;

	if (d->cfg->mode == DOMAIN_MODE_HYBRID && run->io.direction == KVM_EXIT_IO_OUT &&
	    run->io.count == 1 && run->io.port == PVISOR_PORT_HYPERCALL && run->io.size == 4) {
		v->io_incomplete = true;
		v->io_from_stub = false;
		hypercall_dispatch(v, &run->s.regs.regs);
		run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return true;
	}
	return domain_bus_port_exit(d, v);
}

static void vcpu_handle_io(struct vcpu *v)
{
	struct domain *d = v->dom;
	struct kvm_run *run = v->run;
	struct kvm_regs *regs = &run->s.regs.regs;
	uint16_t port = run->io.port;

	if (d->cfg->mode != DOMAIN_MODE_PV) {
		if (vcpu_handle_native_io(v))
			return;
		goto bad;
	}
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.count != 1)
		goto bad;
	if (port == PVISOR_PORT_TRAP && run->io.size == 1 && regs->rip >= HV_AREA_VA) {
		d->stats.trap_exits++;
		delivery_handle_trap(v);
		return;
	}
	v->io_incomplete = true;
	v->io_from_stub = false;
	if (port == PVISOR_PORT_HYPERCALL && run->io.size == 4) {
		uint32_t nr = *(uint32_t *)((uint8_t *)run + run->io.data_offset);

		v->io_from_stub = nr < PVISOR_HYPERCALL_MAX &&
				  (regs->rip == stub_out_address(nr) || regs->rip == stub_out_address(nr) + 2);
		v->io_stub_nr = nr;
		hypercall_dispatch(v, regs);
		run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return;
	}
	if (port == PVISOR_PORT_KICK) {
		d->stats.kick_exits++;
		return;
	}
	if (port == PVISOR_PORT_NULL) {
		d->stats.null_exits++;
		return;
	}
	if (domain_bus_port_exit(d, v))
		return;
bad:
	v->io_incomplete = false;
	crash_report_from_vcpu(v, "unexpected port I/O");
	log_error("  port %#x, size %u, %s, count %u", port, run->io.size,
		  run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.count);
	domain_finish(d, OUTCOME_CRASH, 0);
}

static void vcpu_handle_exit(struct vcpu *v)
{
	struct domain *d = v->dom;
	struct kvm_run *run = v->run;
	char what[128];

	if (run->exit_reason < STATS_EXIT_REASONS)
		d->stats.exit_reason[run->exit_reason]++;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(v);
		return;
	case KVM_EXIT_SHUTDOWN:
		crash_report_from_vcpu(v, "triple fault (the vCPU shut down)");
		break;
	case KVM_EXIT_MMIO:
		if (domain_bus_mmio_exit(d, v))
			return;
		snprintf(what, sizeof(what), "access to unbacked guest-physical address %#llx",
			 (unsigned long long)run->mmio.phys_addr);
		crash_report_from_vcpu(v, what);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what), "KVM internal error (suberror %u)", run->internal.suberror);
		crash_report_from_vcpu(v, what);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "KVM could not enter the guest (reason %#llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		crash_report_from_vcpu(v, what);
		break;
	default:
		snprintf(what, sizeof(what), "unexpected KVM exit %u", run->exit_reason);
		crash_report_from_vcpu(v, what);
		break;
	}
	domain_finish(d, OUTCOME_CRASH, 0);
}

static int vcpu_setup_thread(struct vcpu *v)
{
	struct {
		struct kvm_signal_mask hdr;
		uint8_t bits[8];
	} kmask;
	struct sigevent sev;
	sigset_t mask;

	/* A blocked guest wakes from ppoll's timeout, which Linux would
	 * otherwise stretch by the default 50 us of timer slack. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	unblocked_mask(&mask);
	kmask.hdr.len = 8;
	memcpy(kmask.bits, &mask, 8);
	if (ioctl(v->fd, KVM_SET_SIGNAL_MASK, &kmask) < 0) {
		log_errno("KVM_SET_SIGNAL_MASK");
		return -1;
	}
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGKICK;
	sev._sigev_un._tid = gettid();  /* sigev_notify_thread_id */
	if (timer_create(CLOCK_MONOTONIC, &sev, &v->timer) < 0) {
		log_errno("cannot create the vCPU timer");
		return -1;
	}
	v->timer_created = true;
	/* From here on the thread runs guest code and handles its exits:
	 * the guest-I/O list (docs/confinement.md). */
	snprintf(v->name, sizeof(v->name), "vcpu%u", v->id);
	return seccomp_confine_thread(SECCOMP_LIST_GUEST_IO, v->name);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct domain *d = v->dom;

	if (vcpu_setup_thread(v) < 0) {
		domain_finish(d, OUTCOME_ERROR, 0);
		return NULL;
	}
	while (!domain_finished(d)) {
		domain_wait_while_paused(d);
		if (d->cfg->mode == DOMAIN_MODE_PV)
			delivery_prepare_entry(v);  /* upcalls: PV mode only */
		if (domain_finished(d))
			break;
		d->stats.exits++;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			v->io_incomplete = false;
			v->regs_valid = true;
			if (errno == EINTR || errno == EAGAIN) {
				consume_kicks();  /* may change errno */
				d->stats.exit_intr++;
				continue;
			}
			log_errno("KVM_RUN");
			domain_finish(d, OUTCOME_ERROR, 0);
			break;
		}
		v->regs_valid = true;
		if (log_verbose)
			log_debug("exit %u%s", v->run->exit_reason,
				  v->run->exit_reason == KVM_EXIT_IO ? " (io)" : "");
		vcpu_handle_exit(v);
	}
	if (d->outcome == OUTCOME_TIMEOUT)
		crash_report_from_vcpu(v, "timed out; the vCPU was here");
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	if (pthread_create(&v->thread, NULL, vcpu_thread, v) != 0) {
		log_error("cannot start the vCPU thread");
		return -1;
	}
	v->thread_started = true;
	return 0;
}

/* control.c: what the toolstack does to a running domain from outside its
 * vCPUs: pause and unpause, ask the guest to power off or reboot, and read
 * a snapshot of its state (hv/domctl serves these over a socket).
 *
 * Pause: a paused vCPU thread waits on d->resumed before it enters the
 * guest and inside SCHED_BLOCK, so no guest CPU time accrues. Kicks and
 * timer signals that arrive meanwhile stay pending (SIGKICK is blocked
 * outside KVM_RUN and ppoll), so the first entry after unpause sees them:
 * no event and no timer is lost. Guest system time runs on, as on Xen.
 *
 * Memory: a target (mem-set) the guest's balloon driver follows, and a
 * max (mem-max) that MEMORY_OP increase enforces (pv_mmu.c); both in
 * the shared info page, announced by VIRQ_CONTROL. */
#include <errno.h>
#include <string.h>

#include "core/domain.h"
#include "core/layout.h"

void domain_pause(struct domain *d)
{
	pthread_mutex_lock(&d->lock);
	if (!d->paused) {
		d->paused = true;
		for (unsigned i = 0; i < d->nr_vcpus; i++)
			vcpu_kick(&d->vcpus[i]);
	}
	pthread_mutex_unlock(&d->lock);
}

void domain_unpause(struct domain *d)
{
	pthread_mutex_lock(&d->lock);
	d->paused = false;
	pthread_cond_broadcast(&d->resumed);
	pthread_mutex_unlock(&d->lock);
}

bool domain_paused(struct domain *d)
{
	return __atomic_load_n(&d->paused, __ATOMIC_SEQ_CST);
}

void domain_wait_while_paused(struct domain *d)
{
	if (!domain_paused(d))
		return;
	pthread_mutex_lock(&d->lock);
	while (d->paused && d->outcome == OUTCOME_RUNNING)
		pthread_cond_wait(&d->resumed, &d->lock);
	pthread_mutex_unlock(&d->lock);
}

int domain_request(struct domain *d, uint32_t request)
{
	if (d->cfg->mode == DOMAIN_MODE_FULL)
		return -ENOTSUP;        /* the emulated PC has no such line (no ACPI) */
	if (!evtchn_virq_bound(&d->evtchn, PVISOR_VIRQ_CONTROL))
		return -ENOENT;         /* the guest does not listen */
	__atomic_store_n(&d->shared->control_request, request, __ATOMIC_SEQ_CST);
	evtchn_raise_virq(&d->evtchn, PVISOR_VIRQ_CONTROL);
	return 0;
}

/* The target is held here (the guest may write its copy) and published in
 * the shared info page. */
static void set_target(struct domain *d, uint64_t pages)
{
	__atomic_store_n(&d->mem_target_pages, pages, __ATOMIC_SEQ_CST);
	__atomic_store_n(&d->shared->mem_target_pages, pages, __ATOMIC_SEQ_CST);
}

/* The balloon target and max: PV guests only (hybrid and full guests
 * manage their own page tables and have no balloon). */
int domain_set_mem_target(struct domain *d, uint64_t pages)
{
	if (d->cfg->mode != DOMAIN_MODE_PV)
		return -ENOTSUP;
	if (pages == 0 || pages > __atomic_load_n(&d->mmu.max_pages, __ATOMIC_RELAXED))
		return -EINVAL;
	set_target(d, pages);
	evtchn_raise_virq(&d->evtchn, PVISOR_VIRQ_CONTROL);
	return 0;
}

int domain_set_mem_max(struct domain *d, uint64_t pages)
{
	if (d->cfg->mode != DOMAIN_MODE_PV)
		return -ENOTSUP;
	if (pages == 0 || pages > d->mmu.nr_pages)
		return -EINVAL;
	__atomic_store_n(&d->mmu.max_pages, pages, __ATOMIC_SEQ_CST);
	__atomic_store_n(&d->shared->mem_max_pages, pages, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&d->mem_target_pages, __ATOMIC_SEQ_CST) > pages)
		set_target(d, pages);
	evtchn_raise_virq(&d->evtchn, PVISOR_VIRQ_CONTROL);
	return 0;
}

void domain_snapshot(struct domain *d, struct domain_info *info)
{
	struct timespec now;

	memset(info, 0, sizeof(*info));
	clock_gettime(CLOCK_MONOTONIC, &now);
	info->domid = d->domid;
	info->mode = d->cfg->mode;
	info->vcpus = d->nr_vcpus;
	info->paused = domain_paused(d);
	info->boot_count = d->cfg->boot_count;
	info->mem_boot_bytes = d->cfg->mem_bytes;
	info->mem_max_bytes = __atomic_load_n(&d->mmu.max_pages, __ATOMIC_RELAXED) * PAGE_SIZE;
	info->mem_target_bytes = __atomic_load_n(&d->mem_target_pages, __ATOMIC_RELAXED) * PAGE_SIZE;
	info->mem_bytes = d->cfg->mem_bytes -
			  __atomic_load_n(&d->mmu.ballooned_pages, __ATOMIC_RELAXED) * PAGE_SIZE;
	info->uptime_ns = (uint64_t)(now.tv_sec - d->created.tv_sec) * 1000000000ull +
			  (uint64_t)(now.tv_nsec - d->created.tv_nsec);
	info->exits = __atomic_load_n(&d->stats.exits, __ATOMIC_RELAXED);
	for (unsigned i = 0; i <= PVISOR_HC_COUNT; i++)
		info->hypercalls += __atomic_load_n(&d->stats.hypercalls[i], __ATOMIC_RELAXED);
	info->upcalls = __atomic_load_n(&d->stats.upcalls, __ATOMIC_RELAXED);
	info->console_bytes = __atomic_load_n(&d->stats.console_bytes, __ATOMIC_RELAXED);
	domain_bus_add_io(d, &info->io);
}

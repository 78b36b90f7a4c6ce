/* control.c: the toolstack's requests to the guest (pv/kernel.h
 * pv_on_control_request): VIRQ_CONTROL announces one, the shared info
 * page's control_request says which (include/pvisor/shared_info.h). Bound
 * at boot where there is a shared info page (PV and hybrid); a full-mode
 * PC has no such line.
 *
 * The same event carries the memory target (mem_target_pages, `pvisor
 * mem-set`): the balloon driver here inflates or deflates the balloon
 * (balloon.c) until the guest holds that many RAM pages, as far as free
 * pages allow. A program that drives the balloon itself can turn this off
 * (pv_balloon_follow_target(0)). */
#include "kernel.h"

static pv_control_handler_t handler;
static int follow_target = 1;
static uint64_t ram_pages;      /* the start info's nr_pages */

void pv_on_control_request(pv_control_handler_t fn)
{
	handler = fn;
}

void pv_balloon_follow_target(int on)
{
	follow_target = on;
}

/* Pages held: RAM less what the balloon holds. Event context. */
static void balloon_to_target(volatile struct pvisor_shared_info *si)
{
	uint64_t target = si->mem_target_pages, total = ram_pages;
	uint64_t held = total - pv_balloon_size();

	if (!follow_target || target == 0 || target > total)
		return;         /* (only PV guests are given a target other than all RAM) */
	if (target < held)
		pv_balloon_inflate(held - target);
	else if (target > held)
		pv_balloon_deflate(target - held);
}

static void control_virq(unsigned int port, void *arg)
{
	volatile struct pvisor_shared_info *si = (void *)PVISOR_SHARED_INFO_GVA;
	unsigned int request = __atomic_exchange_n(&si->control_request, PVISOR_CONTROL_NONE,
						   __ATOMIC_SEQ_CST);

	(void)port;
	(void)arg;
	balloon_to_target(si);
	if (request == PVISOR_CONTROL_NONE)
		return;
	if (handler) {
		handler(request);
		return;
	}
	if (request == PVISOR_CONTROL_POWEROFF)
		pv_poweroff(0);
	if (request == PVISOR_CONTROL_REBOOT)
		pv_reboot();
}

void control_init(const struct pvisor_start_info *si)
{
	int port;

	ram_pages = si->nr_pages;
	if (!si->shared_info)
		return;
	port = pv_evtchn_bind_virq(PVISOR_VIRQ_CONTROL, control_virq, NULL);
	if (port < 0)
		kprintf("pvisor-guest: no control event (error %d); shutdown requests are not heard\n", port);
}

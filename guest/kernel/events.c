/* events.c: event channels: the upcall handler's two-level demultiplexer,
 * per-port handlers, port operations and the event mask.
 *
 * Pending ports are found as in Xen: upcall_pending says "look",
 * evtchn_pending_sel says which 64-port words, evtchn_pending &
 * ~evtchn_mask which ports. Each port's pending bit is cleared atomically
 * before its handler runs, so an event raised during the handler is seen
 * again. */
#include <errno.h>
#include "kernel.h"
#include "thread_internal.h"

struct port_handler {
	pv_event_handler_t fn;
	void *arg;
	uint64_t count;
};

static struct port_handler handlers[PVISOR_NR_EVENT_PORTS];

static bool port_valid(unsigned int port)
{
	return port > 0 && port < PVISOR_NR_EVENT_PORTS;
}

static uint64_t *pending_word(unsigned int port)
{
	return (uint64_t *)&SHARED_INFO->evtchn_pending[port / 64];
}

static uint64_t *mask_word(unsigned int port)
{
	return (uint64_t *)&SHARED_INFO->evtchn_mask[port / 64];
}

/* ---- The upcall mask ---------------------------------------------------- */

void pv_events_restore(unsigned long old)
{
	volatile struct pvisor_vcpu_info *v = pv_vcpu0();

	__asm__ volatile("" ::: "memory");
	if (old) {
		v->upcall_mask = 1;
		return;
	}
	/* A locked store: the pending check below cannot pass it. */
	__atomic_store_n((uint8_t *)&v->upcall_mask, 0, __ATOMIC_SEQ_CST);
	if (v->upcall_pending)
		platform_kick();
}

/* ---- Demultiplexing ------------------------------------------------------ */

static void dispatch_port(unsigned int port)
{
	struct port_handler *h = &handlers[port];

	h->count++;
	if (h->fn)
		h->fn(port, h->arg);
}

static void dispatch_word(unsigned int word)
{
	volatile struct pvisor_shared_info *si = SHARED_INFO;
	uint64_t bits = si->evtchn_pending[word] & ~si->evtchn_mask[word];

	while (bits) {
		unsigned int bit = (unsigned int)__builtin_ctzll(bits);

		bits &= bits - 1;
		__atomic_fetch_and((uint64_t *)&si->evtchn_pending[word], ~(1ull << bit),
				   __ATOMIC_SEQ_CST);
		dispatch_port(word * 64 + bit);
	}
}

static void events_dispatch(void)
{
	volatile struct pvisor_vcpu_info *v = pv_vcpu0();

	while (v->upcall_pending) {
		uint64_t sel;

		v->upcall_pending = 0;
		sel = __atomic_exchange_n((uint64_t *)&v->evtchn_pending_sel, 0,
					  __ATOMIC_SEQ_CST);
		while (sel) {
			unsigned int word = (unsigned int)__builtin_ctzll(sel);

			sel &= sel - 1;
			dispatch_word(word);
		}
	}
}

/* Entered from upcall_entry with events masked, on the interrupted stack. */
struct context *upcall_handler(struct context *ctx)
{
	restore_fold_tail(ctx);
	sched_enter_handler();
	sched_stats.upcalls++;
	events_dispatch();
	sched_leave_handler();
	return sched_handler_exit(ctx, true);
}

void events_init(void)
{
	long err = platform->upcall_register(upcall_entry);

	if (err < 0)
		pv_panic("cannot register the upcall entry (error %ld)", err);
}

/* ---- Ports --------------------------------------------------------------- */

/* Runs a port-allocating operation and installs the handler before any
 * event on the new port can be delivered. */
static int port_open(long port, pv_event_handler_t fn, void *arg)
{
	if (port < 0)
		return (int)port;
	if (!port_valid((unsigned int)port))
		return -EINVAL;
	handlers[port].fn = fn;
	handlers[port].arg = arg;
	handlers[port].count = 0;
	return (int)port;
}

int pv_evtchn_bind_virq(unsigned int virq, pv_event_handler_t fn, void *arg)
{
	unsigned long flags = pv_events_disable();
	int port = port_open(platform->evtchn_op(PVISOR_EVTCHN_BIND_VIRQ, virq, 0), fn, arg);

	pv_events_restore(flags);
	return port;
}

int pv_evtchn_alloc_unbound(unsigned int remote, pv_event_handler_t fn, void *arg)
{
	unsigned long flags = pv_events_disable();
	int port = port_open(platform->evtchn_op(PVISOR_EVTCHN_ALLOC_UNBOUND, remote, 0), fn, arg);

	pv_events_restore(flags);
	return port;
}

int pv_evtchn_bind_interdomain(unsigned int remote, unsigned int rport,
			       pv_event_handler_t fn, void *arg)
{
	unsigned long flags = pv_events_disable();
	int port = port_open(platform->evtchn_op(PVISOR_EVTCHN_BIND_INTERDOMAIN, remote, rport),
			     fn, arg);

	pv_events_restore(flags);
	return port;
}

int pv_evtchn_set_handler(unsigned int port, pv_event_handler_t fn, void *arg)
{
	unsigned long flags;

	if (!port_valid(port))
		return -EINVAL;
	flags = pv_events_disable();
	handlers[port].fn = fn;
	handlers[port].arg = arg;
	pv_events_restore(flags);
	return 0;
}

int pv_evtchn_send(unsigned int port)
{
	return (int)platform->evtchn_op(PVISOR_EVTCHN_SEND, port, 0);
}

int pv_evtchn_close(unsigned int port)
{
	unsigned long flags = pv_events_disable();
	int err = (int)platform->evtchn_op(PVISOR_EVTCHN_CLOSE, port, 0);

	if (err == 0 && port_valid(port))
		handlers[port] = (struct port_handler){ 0 };
	pv_events_restore(flags);
	return err;
}

void pv_evtchn_mask(unsigned int port)
{
	if (port_valid(port))
		__atomic_fetch_or(mask_word(port), 1ull << (port % 64), __ATOMIC_SEQ_CST);
}

/* Clears the mask bit ourselves; only if the port became pending while
 * masked is the UNMASK operation (a hypercall in PV mode) needed to have it
 * delivered. */
int pv_evtchn_unmask(unsigned int port)
{
	if (!port_valid(port))
		return (int)platform->evtchn_op(PVISOR_EVTCHN_UNMASK, port, 0);
	__atomic_fetch_and(mask_word(port), ~(1ull << (port % 64)), __ATOMIC_SEQ_CST);
	if (!pv_evtchn_pending(port))
		return 0;
	return (int)platform->evtchn_op(PVISOR_EVTCHN_UNMASK, port, 0);
}

int pv_evtchn_pending(unsigned int port)
{
	if (!port_valid(port))
		return 0;
	return (__atomic_load_n(pending_word(port), __ATOMIC_SEQ_CST) >> (port % 64)) & 1;
}

uint64_t pv_evtchn_count(unsigned int port)
{
	return port_valid(port) ? handlers[port].count : 0;
}

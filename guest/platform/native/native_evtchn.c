/* native_evtchn.c: event ports without a hypervisor to raise them.
 *
 * native_port_raise() is "raise port p" of docs/abi.md section 4, done by
 * the guest itself (interrupt stubs, the UART, local sends): set pending;
 * if it was not pending and is not masked, set its word's bit in
 * evtchn_pending_sel and upcall_pending. Atomic, so it may race with the
 * kernel's demultiplexer, and in hybrid mode with pvisor's own raising.
 *
 * local_evtchn_op() is EVENT_CHANNEL_OP for full mode, where the shared
 * info page is ordinary RAM: ALLOC_UNBOUND and BIND_INTERDOMAIN make
 * loopback pairs within this domain, SEND raises the peer, CLOSE unbinds
 * the peer, UNMASK delivers a port that became pending while masked.
 * Same errors as pvisor's (include/pvisor/event_channel.h); there are no
 * backends (PVISOR_DOMID_BACKEND: -EINVAL). BIND_VIRQ is native_irq.c's. */
#include <errno.h>
#include <pv/kernel.h>
#include "native.h"

enum local_state { PORT_FREE, PORT_UNBOUND, PORT_CONNECTED };

struct local_port {
	uint8_t state;
	uint16_t peer;		/* PORT_CONNECTED */
};

static struct local_port local_ports[PVISOR_NR_EVENT_PORTS];

static volatile struct pvisor_shared_info *shared(void)
{
	return (volatile struct pvisor_shared_info *)PVISOR_SHARED_INFO_GVA;
}

static uint64_t bit(unsigned int port)
{
	return 1ull << (port % 64);
}

void native_port_raise(unsigned int port)
{
	volatile struct pvisor_shared_info *s = shared();
	volatile struct pvisor_vcpu_info *v = &s->vcpu_info[0];
	unsigned int word = port / 64;

	if (__atomic_fetch_or((uint64_t *)&s->evtchn_pending[word], bit(port),
			      __ATOMIC_SEQ_CST) & bit(port))
		return;
	if (__atomic_load_n((uint64_t *)&s->evtchn_mask[word], __ATOMIC_SEQ_CST) & bit(port))
		return;
	__atomic_fetch_or((uint64_t *)&v->evtchn_pending_sel, 1ull << word, __ATOMIC_SEQ_CST);
	__atomic_store_n((uint8_t *)&v->upcall_pending, 1, __ATOMIC_SEQ_CST);
}

static bool is_self(unsigned long dom)
{
	return dom == PVISOR_DOMID_SELF || dom == pv_start_info()->domid;
}

static bool allocated(unsigned long port)
{
	return port > 0 && port < PVISOR_NR_EVENT_PORTS && local_ports[port].state != PORT_FREE;
}

static long alloc_port(enum local_state state)
{
	unsigned int port;

	for (port = 1; port < PVISOR_NR_EVENT_PORTS; port++) {
		if (local_ports[port].state == PORT_FREE) {
			local_ports[port] = (struct local_port){ .state = (uint8_t)state };
			return port;
		}
	}
	return -ENOMEM;
}

static long alloc_unbound(unsigned long remote)
{
	return is_self(remote) ? alloc_port(PORT_UNBOUND) : -EINVAL;
}

static long bind_interdomain(unsigned long remote, unsigned long rport)
{
	long port;

	if (!is_self(remote) || !allocated(rport) || local_ports[rport].state != PORT_UNBOUND)
		return -EINVAL;
	port = alloc_port(PORT_CONNECTED);
	if (port > 0) {
		local_ports[port].peer = (uint16_t)rport;
		local_ports[rport] = (struct local_port){ PORT_CONNECTED, (uint16_t)port };
	}
	return port;
}

static long send(unsigned long port)
{
	if (!allocated(port) || local_ports[port].state != PORT_CONNECTED)
		return -EINVAL;
	native_port_raise(local_ports[port].peer);
	return 0;
}

static long close_port(unsigned long port)
{
	volatile struct pvisor_shared_info *s = shared();
	struct local_port *p;

	if (!allocated(port))
		return -EINVAL;
	p = &local_ports[port];
	if (p->state == PORT_CONNECTED)
		local_ports[p->peer] = (struct local_port){ .state = PORT_UNBOUND };
	*p = (struct local_port){ .state = PORT_FREE };
	__atomic_fetch_and((uint64_t *)&s->evtchn_pending[port / 64], ~bit((unsigned)port),
			   __ATOMIC_SEQ_CST);
	__atomic_fetch_and((uint64_t *)&s->evtchn_mask[port / 64], ~bit((unsigned)port),
			   __ATOMIC_SEQ_CST);
	return 0;
}

static long unmask(unsigned long port)
{
	volatile struct pvisor_shared_info *s = shared();
	unsigned int word = (unsigned int)port / 64;

	if (!allocated(port))
		return -EINVAL;
	__atomic_fetch_and((uint64_t *)&s->evtchn_mask[word], ~bit((unsigned)port),
			   __ATOMIC_SEQ_CST);
	if (__atomic_load_n((uint64_t *)&s->evtchn_pending[word], __ATOMIC_SEQ_CST) &
	    bit((unsigned)port)) {
		__atomic_fetch_or((uint64_t *)&s->vcpu_info[0].evtchn_pending_sel, 1ull << word,
				  __ATOMIC_SEQ_CST);
		__atomic_store_n((uint8_t *)&s->vcpu_info[0].upcall_pending, 1, __ATOMIC_SEQ_CST);
	}
	return 0;
}

static long local_op(unsigned int cmd, unsigned long a, unsigned long b)
{
	switch (cmd) {
	case PVISOR_EVTCHN_ALLOC_UNBOUND:    return alloc_unbound(a);
	case PVISOR_EVTCHN_BIND_INTERDOMAIN: return bind_interdomain(a, b);
	case PVISOR_EVTCHN_SEND:             return send(a);
	case PVISOR_EVTCHN_CLOSE:            return close_port(a);
	case PVISOR_EVTCHN_UNMASK:           return unmask(a);
	default:                             return -ENOSYS;
	}
}

/* With events masked, so no thread interleaves with the table; unmasking
 * afterwards delivers what SEND or UNMASK made pending, as the hypercall's
 * return does in PV mode. */
long local_evtchn_op(unsigned int cmd, unsigned long a, unsigned long b)
{
	unsigned long flags = pv_events_disable();
	long rc = local_op(cmd, a, b);

	pv_events_restore(flags);
	return rc;
}

/* evtchn.c: event channels (see evtchn.h and include/pvisor/event_channel.h). */
#include <stdbool.h>
#include <string.h>

#include <pvisor/device.h>
#include <pvisor/errno.h>

#include "core/evtchn.h"

/* PORT_BACKEND: an unbound port offered to PVISOR_DOMID_BACKEND that a
 * started device bound; the device's backend raises it. */
enum evtchn_state { PORT_FREE, PORT_UNBOUND, PORT_INTERDOMAIN, PORT_VIRQ, PORT_BACKEND };

void evtchn_init(struct evtchn_table *t, struct pvisor_shared_info *shared, uint16_t domid,
		 void (*notify)(void *, unsigned), void *notify_arg)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->shared = shared;
	t->domid = domid;
	t->notify = notify;
	t->notify_arg = notify_arg;
}

void evtchn_destroy(struct evtchn_table *t)
{
	pthread_mutex_destroy(&t->lock);
}

static uint64_t port_bit(uint32_t port)
{
	return 1ull << (port % 64);
}

/* Marks port pending and, if it is unmasked and newly pending, tells vCPU 0
 * (events are bound to vCPU 0 for now). Lock-free against the guest. */
static void set_pending(struct evtchn_table *t, uint32_t port)
{
	struct pvisor_shared_info *s = t->shared;
	struct pvisor_vcpu_info *vi = &s->vcpu_info[0];
	uint32_t word = port / 64;

	if (__atomic_fetch_or(&s->evtchn_pending[word], port_bit(port), __ATOMIC_SEQ_CST) & port_bit(port))
		return;
	if (__atomic_load_n(&s->evtchn_mask[word], __ATOMIC_SEQ_CST) & port_bit(port))
		return;
	if (__atomic_fetch_or(&vi->evtchn_pending_sel, 1ull << word, __ATOMIC_SEQ_CST) & (1ull << word))
		return;
	__atomic_store_n(&vi->upcall_pending, 1, __ATOMIC_SEQ_CST);
	t->notify(t->notify_arg, 0);
}

static int valid_port(const struct evtchn_table *t, uint64_t port)
{
	return port > 0 && port < PVISOR_NR_EVENT_PORTS && t->ports[port].state != PORT_FREE;
}

static int is_self(const struct evtchn_table *t, uint64_t dom)
{
	return dom == PVISOR_DOMID_SELF || dom == t->domid;
}

static long alloc_port(struct evtchn_table *t, uint8_t state)
{
	for (uint32_t port = 1; port < PVISOR_NR_EVENT_PORTS; port++) {
		if (t->ports[port].state == PORT_FREE) {
			memset(&t->ports[port], 0, sizeof(t->ports[port]));
			t->ports[port].state = state;
			return port;
		}
	}
	return -PVISOR_ENOMEM;
}

static long bind_virq(struct evtchn_table *t, uint64_t virq)
{
	long port;

	if (virq >= PVISOR_NR_VIRQS)
		return -PVISOR_EINVAL;
	if (t->virq_port[virq])
		return -PVISOR_EEXIST;
	port = alloc_port(t, PORT_VIRQ);
	if (port > 0) {
		t->ports[port].virq = (uint8_t)virq;
		t->virq_port[virq] = (uint32_t)port;
	}
	return port;
}

static long alloc_unbound(struct evtchn_table *t, uint64_t remote)
{
	long port;

	/* Other guest domains as peers arrive with many domains. */
	if (!is_self(t, remote) && remote != PVISOR_DOMID_BACKEND)
		return -PVISOR_EINVAL;
	port = alloc_port(t, PORT_UNBOUND);
	if (port > 0)
		t->ports[port].remote_dom = is_self(t, remote) ? t->domid : PVISOR_DOMID_BACKEND;
	return port;
}

static long bind_interdomain(struct evtchn_table *t, uint64_t remote, uint64_t rport)
{
	long port;

	if (!is_self(t, remote) || !valid_port(t, rport) || t->ports[rport].state != PORT_UNBOUND ||
	    t->ports[rport].remote_dom != t->domid)
		return -PVISOR_EINVAL;
	port = alloc_port(t, PORT_INTERDOMAIN);
	if (port > 0) {
		t->ports[port].remote_dom = t->domid;
		t->ports[port].remote_port = (uint32_t)rport;
		t->ports[rport].state = PORT_INTERDOMAIN;
		t->ports[rport].remote_port = (uint32_t)port;
	}
	return port;
}

static bool backend_port(const struct evtchn_table *t, uint64_t port)
{
	return valid_port(t, port) && t->ports[port].state == PORT_BACKEND;
}

static long send_event(struct evtchn_table *t, uint64_t port)
{
	if (!valid_port(t, port) || t->ports[port].state != PORT_INTERDOMAIN)
		return -PVISOR_EINVAL;
	set_pending(t, t->ports[port].remote_port);
	return 0;
}

static long close_port(struct evtchn_table *t, uint64_t port)
{
	struct evtchn_port *p;

	if (!valid_port(t, port))
		return -PVISOR_EINVAL;
	p = &t->ports[port];
	if (p->state == PORT_VIRQ)
		t->virq_port[p->virq] = 0;
	if (p->state == PORT_BACKEND)
		return -PVISOR_EBUSY;   /* reset the device first */
	if (p->state == PORT_INTERDOMAIN) {
		t->ports[p->remote_port].state = PORT_UNBOUND;
		t->ports[p->remote_port].remote_port = 0;
	}
	memset(p, 0, sizeof(*p));
	__atomic_fetch_and(&t->shared->evtchn_pending[port / 64], ~port_bit(port), __ATOMIC_SEQ_CST);
	__atomic_fetch_and(&t->shared->evtchn_mask[port / 64], ~port_bit(port), __ATOMIC_SEQ_CST);
	return 0;
}

static long unmask_port(struct evtchn_table *t, uint64_t port)
{
	struct pvisor_shared_info *s = t->shared;
	uint64_t word = port / 64;

	if (!valid_port(t, port))
		return -PVISOR_EINVAL;
	__atomic_fetch_and(&s->evtchn_mask[word], ~port_bit(port), __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&s->evtchn_pending[word], __ATOMIC_SEQ_CST) & port_bit(port)) {
		__atomic_fetch_or(&s->vcpu_info[0].evtchn_pending_sel, 1ull << word, __ATOMIC_SEQ_CST);
		__atomic_store_n(&s->vcpu_info[0].upcall_pending, 1, __ATOMIC_SEQ_CST);
		t->notify(t->notify_arg, 0);
	}
	return 0;
}

long evtchn_op(struct evtchn_table *t, uint64_t cmd, uint64_t a, uint64_t b)
{
	long rc;

	pthread_mutex_lock(&t->lock);
	switch (cmd) {
	case PVISOR_EVTCHN_BIND_VIRQ:        rc = bind_virq(t, a); break;
	case PVISOR_EVTCHN_ALLOC_UNBOUND:    rc = alloc_unbound(t, a); break;
	case PVISOR_EVTCHN_BIND_INTERDOMAIN: rc = bind_interdomain(t, a, b); break;
	case PVISOR_EVTCHN_SEND:             rc = send_event(t, a); break;
	case PVISOR_EVTCHN_CLOSE:            rc = close_port(t, a); break;
	case PVISOR_EVTCHN_UNMASK:           rc = unmask_port(t, a); break;
	default:                             rc = -PVISOR_ENOSYS; break;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void evtchn_raise_virq(struct evtchn_table *t, unsigned virq)
{
	pthread_mutex_lock(&t->lock);
	if (virq < PVISOR_NR_VIRQS && t->virq_port[virq])
		set_pending(t, t->virq_port[virq]);
	pthread_mutex_unlock(&t->lock);
}

int evtchn_virq_bound(struct evtchn_table *t, unsigned virq)
{
	int bound;

	pthread_mutex_lock(&t->lock);
	bound = virq < PVISOR_NR_VIRQS && t->virq_port[virq] != 0;
	pthread_mutex_unlock(&t->lock);
	return bound;
}

int evtchn_bind_backend(struct evtchn_table *t, uint32_t port)
{
	int rc = -PVISOR_EINVAL;

	pthread_mutex_lock(&t->lock);
	if (valid_port(t, port) && t->ports[port].state == PORT_UNBOUND &&
	    t->ports[port].remote_dom == PVISOR_DOMID_BACKEND) {
		t->ports[port].state = PORT_BACKEND;
		rc = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void evtchn_unbind_backend(struct evtchn_table *t, uint32_t port)
{
	pthread_mutex_lock(&t->lock);
	if (backend_port(t, port))
		t->ports[port].state = PORT_UNBOUND;
	pthread_mutex_unlock(&t->lock);
}

void evtchn_raise_backend(struct evtchn_table *t, uint32_t port)
{
	pthread_mutex_lock(&t->lock);
	if (backend_port(t, port))
		set_pending(t, port);
	pthread_mutex_unlock(&t->lock);
}

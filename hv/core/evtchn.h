/* evtchn.h: a domain's event-channel table: port allocation, binding,
 * sending and the pending/mask protocol on the shared info page
 * (include/pvisor/event_channel.h). Pure logic plus one callback, notify,
 * that wakes the vCPU an event became pending on. Thread-safe: backends
 * and timers raise events from other threads. */
#ifndef PVISOR_EVTCHN_H
#define PVISOR_EVTCHN_H

#include <pthread.h>
#include <stdint.h>

#include <pvisor/event_channel.h>

struct evtchn_port {
	uint8_t state;        /* enum evtchn_state */
	uint8_t virq;
	uint16_t remote_dom;
	uint32_t remote_port;
};

struct evtchn_table {
	pthread_mutex_t lock;
	struct pvisor_shared_info *shared;
	uint16_t domid;
	struct evtchn_port ports[PVISOR_NR_EVENT_PORTS];
	uint32_t virq_port[PVISOR_NR_VIRQS];
	void (*notify)(void *arg, unsigned vcpu);
	void *notify_arg;
};

void evtchn_init(struct evtchn_table *t, struct pvisor_shared_info *shared, uint16_t domid,
		 void (*notify)(void *, unsigned), void *notify_arg);
void evtchn_destroy(struct evtchn_table *t);

/* The hypercall: returns a port, 0, or a negated PVISOR_E* code. */
long evtchn_op(struct evtchn_table *t, uint64_t cmd, uint64_t a, uint64_t b);

/* Raises the port bound to virq, if any (from any thread). */
void evtchn_raise_virq(struct evtchn_table *t, unsigned virq);

/* Is virq bound to a port? */
int evtchn_virq_bound(struct evtchn_table *t, unsigned virq);

/* Device ports. A guest offers a port to its backends with
 * EVTCHN_ALLOC_UNBOUND(PVISOR_DOMID_BACKEND); starting the device binds it
 * (0, or -PVISOR_EINVAL if port is not such a port); while bound the guest
 * cannot close it (-EBUSY). Raising is a no-op for a port that is not
 * bound to a backend. All three are safe from any thread. */
int evtchn_bind_backend(struct evtchn_table *t, uint32_t port);
void evtchn_unbind_backend(struct evtchn_table *t, uint32_t port);
void evtchn_raise_backend(struct evtchn_table *t, uint32_t port);

#endif

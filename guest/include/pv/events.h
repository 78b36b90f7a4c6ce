/* pv/events.h: event channels and the event mask.
 *
 * Event channels are pvisor's only interrupts (include/pvisor/
 * event_channel.h); natively, hardware interrupt lines are bound to ports
 * too (pv/irq.h). The kernel binds a handler to each port it allocates;
 * when the port fires, the handler runs in upcall context: on the
 * interrupted thread's stack, with events masked, before any thread runs.
 * Handlers must be short and must not block; to hand work to a thread, use
 * pv_sem_post() or pv_cond_signal()/broadcast() (pv/sync.h). A thread
 * woken by a handler that outranks the interrupted one runs as soon as the
 * handler returns.
 *
 * The event mask works like an interrupt flag that every thread keeps for
 * itself: pv_events_disable() holds off upcalls (and so preemption) until
 * the matching pv_events_restore(). A thread may block with events
 * disabled; they are re-enabled while other threads run.
 *
 * Port functions return the port (>= 1) or 0 on success, or a negative
 * errno value (the hypervisor's, see include/pvisor/errno.h). */
#ifndef PV_EVENTS_H
#define PV_EVENTS_H

#include <stdint.h>
#include <pvisor/pvisor.h>

typedef void (*pv_event_handler_t)(unsigned int port, void *arg);

/* ---- The upcall mask -------------------------------------------------- */

static inline volatile struct pvisor_vcpu_info *pv_vcpu0(void)
{
	return &((volatile struct pvisor_shared_info *)PVISOR_SHARED_INFO_GVA)->vcpu_info[0];
}

/* Masks event delivery; returns the previous mask for pv_events_restore(). */
static inline unsigned long pv_events_disable(void)
{
	volatile struct pvisor_vcpu_info *v = pv_vcpu0();
	unsigned long old = v->upcall_mask;

	v->upcall_mask = 1;
	__asm__ volatile("" ::: "memory");
	return old;
}

/* Puts the mask back as pv_events_disable() found it. Unmasking takes any
 * event that became pending meanwhile (one kick exit). */
void pv_events_restore(unsigned long old);

/* Nonzero if events are masked now. */
static inline int pv_events_disabled(void)
{
	return pv_vcpu0()->upcall_mask != 0;
}

/* ---- Ports -------------------------------------------------------------- */

/* Binds virtual IRQ virq (PVISOR_VIRQ_*) to a new port with handler fn.
 * The kernel owns PVISOR_VIRQ_TIMER (-EEXIST). */
int pv_evtchn_bind_virq(unsigned int virq, pv_event_handler_t fn, void *arg);

/* A new port that domain `remote` (PVISOR_DOMID_SELF: this one) may
 * connect to with PVISOR_EVTCHN_BIND_INTERDOMAIN. */
int pv_evtchn_alloc_unbound(unsigned int remote, pv_event_handler_t fn, void *arg);

/* A new port connected to unbound port rport of domain remote. */
int pv_evtchn_bind_interdomain(unsigned int remote, unsigned int rport,
			       pv_event_handler_t fn, void *arg);

/* Replaces a port's handler (NULL: events on it are dropped). */
int pv_evtchn_set_handler(unsigned int port, pv_event_handler_t fn, void *arg);

/* Raises the peer of an interdomain port. */
int pv_evtchn_send(unsigned int port);

/* Closes the port; its handler is forgotten. */
int pv_evtchn_close(unsigned int port);

/* Masking one port: while masked, the port can become pending but is not
 * delivered; pv_evtchn_unmask() delivers it then (no edge is lost). */
void pv_evtchn_mask(unsigned int port);
int pv_evtchn_unmask(unsigned int port);

/* Nonzero if the port's pending bit is set (delivered ports are cleared). */
int pv_evtchn_pending(unsigned int port);

/* Number of times the port's handler has run. */
uint64_t pv_evtchn_count(unsigned int port);

#endif

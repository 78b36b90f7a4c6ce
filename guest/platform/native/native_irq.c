/* native_irq.c: interrupt lines as event ports, on the native platform.
 *
 * An ISA IRQ bound with pv_irq_bind() gets a port from the platform's port
 * source (pvisor's event channels in hybrid mode, the local ones in full
 * mode) and an IOAPIC route to vector 0x20 + irq; its stub marks the port
 * pending (native_irq()) and the kernel's upcall path does the rest, so a
 * driver's handler runs exactly like any event handler.
 *
 * Virtual IRQs become ports the same way: VIRQ_TIMER is IRQ 0 (the PIT,
 * which native_timer.c programs), VIRQ_CONSOLE is raised by the UART
 * driver when input arrives. In hybrid mode IRQ 5 is pvisor's "event
 * pending" line: pvisor has marked the ports itself, the stub only EOIs. */
#include <errno.h>
#include <pvisor/platform.h>
#include "native.h"
#include "pc.h"

static long (*ports)(unsigned int cmd, unsigned long a, unsigned long b);
static unsigned int irq_port[NATIVE_NR_IRQS];
static unsigned int virq_port[PVISOR_NR_VIRQS];
static uint16_t reserved_irqs;	/* lines that are not ours to bind */

void native_irq_init(long (*ports_op)(unsigned int cmd, unsigned long a, unsigned long b))
{
	ports = ports_op;
	reserved_irqs = 1u << 2;	/* the 8259 cascade */
}

/* The line is routed, but raises nothing: pvisor marks the ports. */
void native_irq_reserve_for_events(unsigned int irq)
{
	reserved_irqs |= (uint16_t)(1u << irq);
	ioapic_route(irq, (uint8_t)(NATIVE_VECTOR_IRQ0 + irq));
}

/* From the stub, interrupts off. */
void native_irq(unsigned int irq)
{
	unsigned int port = irq_port[irq];

	if (irq == PVISOR_IRQ_PIT)
		native_timer_fired();
	if (port)
		native_port_raise(port);
	lapic_eoi();
}

void native_virq_raise(unsigned int virq)
{
	if (virq < PVISOR_NR_VIRQS && virq_port[virq])
		native_port_raise(virq_port[virq]);
}

static void route(unsigned int irq, unsigned int port)
{
	irq_port[irq] = port;
	ioapic_route(irq, (uint8_t)(NATIVE_VECTOR_IRQ0 + irq));
}

static bool irq_taken(unsigned int irq)
{
	return irq_port[irq] || ((reserved_irqs >> irq) & 1);
}

/* Called through pv_irq_bind(), which the events layer completes by
 * installing fn on the port (pv_evtchn_alloc_unbound) before routing. */
int native_irq_bind(unsigned int irq, pv_event_handler_t fn, void *arg)
{
	unsigned long flags;
	int port;

	if (irq >= NATIVE_NR_IRQS)
		return -EINVAL;
	flags = pv_events_disable();
	if (irq_taken(irq)) {
		pv_events_restore(flags);
		return -EEXIST;
	}
	port = pv_evtchn_alloc_unbound(PVISOR_DOMID_SELF, fn, arg);
	if (port > 0)
		route(irq, (unsigned int)port);
	pv_events_restore(flags);
	return port;
}

static long bind_virq(unsigned long virq)
{
	long port;

	if (virq >= PVISOR_NR_VIRQS)
		return -EINVAL;
	if (virq_port[virq])
		return -EEXIST;
	if (virq == PVISOR_VIRQ_TIMER && irq_taken(PVISOR_IRQ_PIT))
		return -EEXIST;
	port = ports(PVISOR_EVTCHN_ALLOC_UNBOUND, PVISOR_DOMID_SELF, 0);
	if (port <= 0)
		return port;
	virq_port[virq] = (unsigned int)port;
	if (virq == PVISOR_VIRQ_TIMER)
		route(PVISOR_IRQ_PIT, (unsigned int)port);
	return port;
}

/* A closed port raises nothing any more. */
static void forget(unsigned long port)
{
	unsigned int i;

	for (i = 0; i < NATIVE_NR_IRQS; i++) {
		if (irq_port[i] == port) {
			ioapic_mask(i);
			irq_port[i] = 0;
		}
	}
	for (i = 0; i < PVISOR_NR_VIRQS; i++)
		if (virq_port[i] == port)
			virq_port[i] = 0;
}

/* platform.h evtchn_op: BIND_VIRQ is ours, the rest is the port source's.
 * Callers (events.c) have events disabled around port changes. */
long native_evtchn_op(unsigned int cmd, unsigned long a, unsigned long b)
{
	long rc;

	if (cmd == PVISOR_EVTCHN_BIND_VIRQ)
		return bind_virq(a);
	rc = ports(cmd, a, b);
	if (cmd == PVISOR_EVTCHN_CLOSE && rc == 0)
		forget(a);
	return rc;
}

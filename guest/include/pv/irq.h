/* irq.h: hardware interrupt lines for drivers of emulated hardware.
 *
 * On a machine with an interrupt controller (hybrid and full mode,
 * docs/full-virt.md) an ISA IRQ is bound to an event port: when the line
 * fires, the port becomes pending and its handler runs exactly like any
 * event handler (events masked, in upcall context, must not block). */
#ifndef PV_IRQ_H
#define PV_IRQ_H

#include <pv/events.h>

/* Binds ISA IRQ irq (0..15) to fn(port, arg) and unmasks it at the
 * interrupt controller. Returns the port (> 0), -ENODEV when this machine
 * has no interrupt controller (PV mode), -EEXIST if already bound,
 * -EINVAL for a bad irq. */
int pv_irq_bind(unsigned int irq, pv_event_handler_t fn, void *arg);

/* Is there an interrupt controller, i.e. emulated hardware to drive? */
int pv_irq_available(void);

#endif

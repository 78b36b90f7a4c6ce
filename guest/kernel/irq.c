/* irq.c: hardware interrupt lines (pv/irq.h) for drivers of emulated
 * hardware. The platform binds them (platform.h irq_bind): natively an ISA
 * IRQ becomes an event port raised by the interrupt's stub; a PV machine
 * has no interrupt controller. */
#include "kernel.h"
#include <pv/irq.h>

int pv_irq_bind(unsigned int irq, pv_event_handler_t fn, void *arg)
{
	return platform->irq_bind(irq, fn, arg);
}

int pv_irq_available(void)
{
	return platform->has_irq_controller;
}

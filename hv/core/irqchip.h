/* irqchip.h: KVM's in-kernel interrupt controller (LAPIC, IOAPIC, 8259
 * pair) of a hybrid or full domain, and its ISA interrupt lines. ISA IRQ
 * n is IOAPIC pin n (include/pvisor/platform.h names the lines). */
#ifndef PVISOR_IRQCHIP_H
#define PVISOR_IRQCHIP_H

struct domain;

/* Creates it; must run before the first vCPU exists. 0, or -1 after logging. */
int irqchip_create(struct domain *d);
/* Drives ISA line irq (0..15) to level (0 or 1). Any thread. */
void irqchip_set_line(struct domain *d, unsigned irq, int level);

#endif

/* irqchip.h: KVM's in-kernel interrupt controller (LAPIC, IOAPIC, 8259
 * pair) of a hybrid or full domain, and its ISA interrupt lines, wired as
 * a PC wires them (the MP specification's default configuration, which
 * QEMU follows too): ISA IRQ n is 8259 input n and IOAPIC pin n, except
 * IRQ 0 (the PIT), which is IOAPIC pin 2, and IRQ 2, the 8259 cascade,
 * which reaches no pin (include/pvisor/platform.h names the lines). */
#ifndef PVISOR_IRQCHIP_H
#define PVISOR_IRQCHIP_H

struct domain;

/* Creates it; must run before the first vCPU exists. 0, or -1 after logging. */
int irqchip_create(struct domain *d);
/* Drives ISA line irq (0..15) to level (0 or 1). Any thread. */
void irqchip_set_line(struct domain *d, unsigned irq, int level);

#endif

/* irqchip.c: the in-kernel interrupt controller (irqchip.h). */
#include <linux/kvm.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "core/domain.h"
#include "core/irqchip.h"
#include "lib/log.h"
#include "pvisor/platform.h"

#define ISA_IRQS	16
#define IOAPIC_PINS	24
#define CASCADE_IRQ	2
#define MAX_ROUTES	(2 * ISA_IRQS + IOAPIC_PINS)

static void add_route(struct kvm_irq_routing *r, unsigned gsi, unsigned chip, unsigned pin)
{
	struct kvm_irq_routing_entry *e = &r->entries[r->nr++];

	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/* KVM's default routing is GSI n = 8259 input n = IOAPIC pin n; a PC
 * has the PIT on pin 2 (irqchip.h). */
static int set_pc_routing(struct domain *d)
{
	struct kvm_irq_routing *r;
	unsigned gsi;
	int rc;

	r = calloc(1, sizeof(*r) + MAX_ROUTES * sizeof(r->entries[0]));
	if (!r) {
		log_error("out of memory for the interrupt routing table");
		return -1;
	}
	for (gsi = 0; gsi < ISA_IRQS; gsi++) {
		if (gsi == CASCADE_IRQ)
			continue;
		add_route(r, gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
		add_route(r, gsi, KVM_IRQCHIP_IOAPIC, gsi == PVISOR_IRQ_PIT ? PVISOR_IOAPIC_PIN_PIT : gsi);
	}
	for (gsi = ISA_IRQS; gsi < IOAPIC_PINS; gsi++)
		add_route(r, gsi, KVM_IRQCHIP_IOAPIC, gsi);
	rc = ioctl(d->vm_fd, KVM_SET_GSI_ROUTING, r);
	if (rc < 0)
		log_errno("cannot wire the interrupt lines (KVM_SET_GSI_ROUTING)");
	free(r);
	return rc < 0 ? -1 : 0;
}

int irqchip_create(struct domain *d)
{
	if (ioctl(d->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		log_errno("cannot create the in-kernel interrupt controller (KVM_CREATE_IRQCHIP)");
		return -1;
	}
	return set_pc_routing(d);
}

void irqchip_set_line(struct domain *d, unsigned irq, int level)
{
	struct kvm_irq_level line = { .irq = irq, .level = (uint32_t)level };

	if (ioctl(d->vm_fd, KVM_IRQ_LINE, &line) < 0)
		log_errno("KVM_IRQ_LINE %u", irq);
}

/* irqchip.c: the in-kernel interrupt controller (irqchip.h). */
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "core/domain.h"
#include "core/irqchip.h"
#include "lib/log.h"

int irqchip_create(struct domain *d)
{
	if (ioctl(d->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		log_errno("cannot create the in-kernel interrupt controller (KVM_CREATE_IRQCHIP)");
		return -1;
	}
	return 0;
}

void irqchip_set_line(struct domain *d, unsigned irq, int level)
{
	struct kvm_irq_level line = { .irq = irq, .level = (uint32_t)level };

	if (ioctl(d->vm_fd, KVM_IRQ_LINE, &line) < 0)
		log_errno("KVM_IRQ_LINE %u", irq);
}

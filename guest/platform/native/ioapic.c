/* ioapic.c: the IO APIC at its default address. ISA IRQ n is pin n,
 * except IRQ 0 (the PIT), which is pin 2 (the MP specification's default
 * configuration: pvisor's PC and QEMU's both wire it so), all
 * edge-triggered, active high; each
 * routed pin goes to LAPIC 0 in fixed, physical delivery. Pins come out of
 * reset masked, and stay so until a driver binds them. */
#include <pvisor/platform.h>
#include "pc.h"

#define IOREGSEL	0x00
#define IOWIN		0x10
#define REDIR_LOW(pin)	(0x10 + 2 * (pin))
#define REDIR_HIGH(pin)	(0x11 + 2 * (pin))
#define REDIR_MASKED	(1u << 16)

static void write_reg(uint32_t index, uint32_t value)
{
	volatile uint32_t *base = (volatile uint32_t *)(uintptr_t)PVISOR_IOAPIC_GPA;

	base[IOREGSEL / 4] = index;
	base[IOWIN / 4] = value;
}

static unsigned int pin_of(unsigned int irq)
{
	return irq == PVISOR_IRQ_PIT ? PVISOR_IOAPIC_PIN_PIT : irq;
}

void ioapic_route(unsigned int irq, uint8_t vector)
{
	unsigned int pin = pin_of(irq);

	write_reg(REDIR_HIGH(pin), 0);		/* destination: APIC id 0 */
	write_reg(REDIR_LOW(pin), vector);	/* fixed, physical, high, edge, unmasked */
}

void ioapic_mask(unsigned int irq)
{
	write_reg(REDIR_LOW(pin_of(irq)), REDIR_MASKED);
}

/* lapic.c: the local APIC at its default address (xAPIC, memory-mapped,
 * uncached in the native page tables). The kernel needs little of it:
 * software-enable it with a spurious vector, accept every priority, and
 * end each interrupt. */
#include <pvisor/platform.h>
#include "pc.h"

#define LAPIC_TPR	0x080
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define SVR_ENABLE	0x100

static volatile uint32_t *reg(unsigned int offset)
{
	return (volatile uint32_t *)(uintptr_t)(PVISOR_LAPIC_GPA + offset);
}

void lapic_init(uint8_t spurious_vector)
{
	*reg(LAPIC_TPR) = 0;
	*reg(LAPIC_SVR) = SVR_ENABLE | spurious_vector;
}

void lapic_eoi(void)
{
	*reg(LAPIC_EOI) = 0;
}

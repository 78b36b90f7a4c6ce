/* native_idt.c: the kernel's IDT on the native platform: an interrupt
 * gate (DPL0, interrupts off on entry) for every exception, ISA IRQ and
 * the LAPIC's spurious vector, each to its stub in native_entry.S. #DF,
 * NMI and #MC run on the fatal IST stack, page faults on their own. */
#include "native.h"

#define GATE_INTERRUPT 0x8e	/* present, DPL0, 64-bit interrupt gate */

struct gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

static struct gate idt[256] __attribute__((aligned(16)));

struct descriptor_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void set_gate(unsigned int vector, uint64_t handler, uint8_t ist)
{
	idt[vector] = (struct gate){
		.offset_low = (uint16_t)handler,
		.selector = NATIVE_CS,
		.ist = ist,
		.type = GATE_INTERRUPT,
		.offset_mid = (uint16_t)(handler >> 16),
		.offset_high = (uint32_t)(handler >> 32),
	};
}

static uint8_t exception_ist(unsigned int vector)
{
	switch (vector) {
	case 2: case 8: case 18:
		return NATIVE_IST_FATAL;
	case 14:
		return NATIVE_IST_PAGE_FAULT;
	default:
		return 0;
	}
}

void native_idt_init(void)
{
	struct descriptor_pointer p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	unsigned int i;

	for (i = 0; i < NATIVE_NR_EXCEPTIONS; i++)
		set_gate(i, native_stub_table[i], exception_ist(i));
	for (i = 0; i < NATIVE_NR_IRQS; i++)
		set_gate(NATIVE_VECTOR_IRQ0 + i, native_stub_table[NATIVE_NR_EXCEPTIONS + i], 0);
	set_gate(NATIVE_VECTOR_SPURIOUS, native_stub_table[NATIVE_NR_STUBS - 1], 0);
	__asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

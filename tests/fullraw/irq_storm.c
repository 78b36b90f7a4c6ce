/* irq_storm.c: a hostile full-mode guest asks for interrupts as fast as
 * the hardware allows: PIT channel 0 as a rate generator with count 2
 * (~600 kHz), the RTC's fastest periodic rate, UART THR-empty interrupts
 * re-armed by every handler. The device models must bound their own work
 * (coalescing what the guest cannot take) and pvisor must stay
 * responsive. Exit 0 once interrupts were taken and the storm stopped. */
#include "raw.h"

#define LAPIC_EOI 0xfee000b0u
#define LAPIC_SVR 0xfee000f0u

static volatile uint64_t irqs_taken;
static uint64_t idt[256 * 2] __attribute__((aligned(16)));

void irq_common(void);
__asm__(".text\n"
	"irq_common:\n"
	"	push %rax\n"
	"	push %rdx\n"
	"	incq irqs_taken(%rip)\n"
	"	mov $0xfee000b0, %eax\n"      /* LAPIC EOI */
	"	movl $0, (%rax)\n"
	"	mov $0x3fa, %dx\n"            /* read IIR: acknowledges THRE */
	"	inb %dx, %al\n"
	"	mov $0x71, %dx\n"             /* read RTC register C (selected) */
	"	inb %dx, %al\n"
	"	pop %rdx\n"
	"	pop %rax\n"
	"	iretq\n");

static void set_gate(unsigned vec, void (*fn)(void))
{
	uint64_t off = (uint64_t)fn;

	idt[2 * vec] = (off & 0xffff) | (0x08ull << 16) | (0x8eull << 40) | (((off >> 16) & 0xffff) << 48);
	idt[2 * vec + 1] = off >> 32;
}

static void load_idt(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { sizeof(idt) - 1, (uint64_t)idt };

	for (unsigned v = 32; v < 256; v++)
		set_gate(v, irq_common);
	__asm__ volatile("lidt %0" : : "m"(d));
}

static void ioapic_route(unsigned pin, unsigned vector)
{
	mmio_write32(PVISOR_IOAPIC_GPA, 0x10 + 2 * pin);
	mmio_write32(PVISOR_IOAPIC_GPA + 0x10, vector);
	mmio_write32(PVISOR_IOAPIC_GPA, 0x11 + 2 * pin);
	mmio_write32(PVISOR_IOAPIC_GPA + 0x10, 0);
}

static void start_storm(void)
{
	outb(0x21, 0xff);                 /* mask the 8259 pair */
	outb(0xa1, 0xff);
	mmio_write32(LAPIC_SVR, 0x1ff);   /* LAPIC on, spurious vector 0xff */
	ioapic_route(PVISOR_IOAPIC_PIN_PIT, 0x20);
	ioapic_route(PVISOR_IRQ_COM1, 0x24);
	ioapic_route(PVISOR_IRQ_RTC, 0x28);
	outb(0x43, 0x34);                 /* channel 0, lo/hi, mode 2 */
	outb(0x40, 2);
	outb(0x40, 0);
	outb(0x70, 0x0a);
	outb(0x71, 0x23);                 /* fastest periodic rate */
	outb(0x70, 0x0b);
	outb(0x71, 0x52);                 /* PIE + UIE, 24 h */
	outb(0x70, 0x0c);                 /* leave register C selected */
	outb(PVISOR_PORT_COM1 + 1, 0x02); /* THR-empty interrupts */
}

static void stop_storm(void)
{
	__asm__ volatile("cli");
	outb(0x43, 0x30);                 /* channel 0 mode 0: one last shot */
	outb(0x40, 0xff);
	outb(0x40, 0xff);
	outb(0x70, 0x0b);
	outb(0x71, 0x02);
	outb(PVISOR_PORT_COM1 + 1, 0);
}

static int raw_main(void)
{
	load_idt();
	start_storm();
	__asm__ volatile("sti");
	for (volatile int i = 0; i < 20000 && irqs_taken < 2000; i++)
		;
	stop_storm();
	raw_serial_init();
	raw_puts("irq storm: interrupts taken ");
	raw_put_hex(irqs_taken);
	raw_puts("\n");
	return irqs_taken > 0 ? 0 : 1;
}

/* port_probe.c: a hostile full-mode guest reads every I/O port in all
 * three sizes and writes all-ones and zeros to the ports of every device
 * model (and a spread of others), with interrupts off. pvisor must
 * survive it; the guest then checks that unowned ports read as all ones
 * and reports on COM1. Exit 0: survived and consistent. */
#include "raw.h"

static int owned(uint16_t port)
{
	return (port >= 0x20 && port <= 0x21) || (port >= 0xa0 && port <= 0xa1) ||
	       (port >= 0x40 && port <= 0x43) || port == 0x61 || (port >= 0x70 && port <= 0x71) ||
	       (port >= 0x1f0 && port <= 0x1f7) || port == 0x3f6 ||
	       (port >= 0x3f8 && port <= 0x3ff) || (port >= 0xc000 && port <= 0xc1ff) ||
	       port == PVISOR_EXIT_PORT || (port >= 0x4d0 && port <= 0x4d1);
}

static volatile uint64_t ports_read;

static int read_everything(void)
{
	int bad = 0;

	for (uint32_t port = 0; port <= 0xffff; port++) {
		uint8_t v = inb((uint16_t)port);

		ports_read++;

		if (!owned((uint16_t)port) && v != 0xff && bad++ < 4) {
			raw_puts("unowned port did not read 0xff: ");
			raw_put_hex(port);
			raw_puts("\n");
		}
	}
	for (uint32_t port = 0; port <= 0xfffc; port += 0x101) {
		(void)inw((uint16_t)port);
		(void)inl((uint16_t)port);
	}
	return bad;
}

static void write_garbage(uint16_t first, uint16_t last)
{
	for (uint32_t port = first; port <= last; port++) {
		if (port == PVISOR_EXIT_PORT)
			continue;
		outb((uint16_t)port, 0xff);
		outw((uint16_t)port, 0xffff);
		outl((uint16_t)port, 0xffffffffu);
		outb((uint16_t)port, 0);
	}
}

static int raw_main(void)
{
	int bad = read_everything();

	write_garbage(0x0, 0x7ff);
	write_garbage(0xc000, 0xc1ff);
	for (uint32_t port = 0x800; port <= 0xffff; port += 0x3f1)
		outl((uint16_t)port, 0xdeadbeefu);
	raw_serial_init();
	raw_puts(bad ? "port probe: inconsistent reads\n" : "port probe: survived\n");
	return bad ? 1 : 0;
}

/* pci.c: configuration mechanism #1 (the address at port 0xcf8, the data
 * at 0xcfc; PCI Local Bus Specification 3.0, 3.2.2.3.2) on bus 0, which is
 * where a PC's firmware leaves the devices these drivers know. The
 * firmware (SeaBIOS on QEMU) has assigned the BARs and the interrupt
 * lines; this file only reads them. Without PCI, as on pvisor's PC, the
 * data port reads all ones and the first probe says "nothing here" after
 * two port accesses. */
#include <pv/io.h>
#include "pci.h"

#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define PCI_ENABLE		0x80000000u
#define PCI_DEVICES		32
#define PCI_FUNCTIONS		8

#define PCI_ID			0x00	/* vendor (low), device (high) */
#define PCI_COMMAND		0x04
#define PCI_HEADER_TYPE		0x0c	/* byte 2 of this dword */
#define PCI_BAR0		0x10
#define PCI_BARS		6
#define PCI_INTERRUPT		0x3c	/* line in the low byte */

#define PCI_COMMAND_IO		0x1
#define PCI_COMMAND_MASTER	0x4
#define PCI_HEADER_MULTI	0x80
#define PCI_BAR_IO		0x1
#define PCI_BAR_IO_MASK		0xfffcu
#define PCI_NO_DEVICE		0xffffu

static uint32_t address(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
	return PCI_ENABLE | (uint32_t)bus << 16 | (uint32_t)dev << 11 |
	       (uint32_t)fn << 8 | (off & 0xfcu);
}

static uint32_t config_read(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
	outl(PCI_CONFIG_ADDRESS, address(bus, dev, fn, off));
	return inl(PCI_CONFIG_DATA);
}

static void config_write(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off, uint32_t v)
{
	outl(PCI_CONFIG_ADDRESS, address(bus, dev, fn, off));
	outl(PCI_CONFIG_DATA, v);
}

static uint16_t first_io_bar(uint8_t dev, uint8_t fn)
{
	for (uint8_t i = 0; i < PCI_BARS; i++) {
		uint32_t bar = config_read(0, dev, fn, PCI_BAR0 + 4 * i);

		if (bar & PCI_BAR_IO)
			return (uint16_t)(bar & PCI_BAR_IO_MASK);
	}
	return 0;
}

static bool matches(uint8_t dev, uint8_t fn, uint32_t id, struct pci_function *out)
{
	if (config_read(0, dev, fn, PCI_ID) != id)
		return false;
	out->bus = 0;
	out->dev = dev;
	out->fn = fn;
	out->io_base = first_io_bar(dev, fn);
	out->irq = (uint8_t)config_read(0, dev, fn, PCI_INTERRUPT);
	return true;
}

bool pci_find(uint16_t vendor, uint16_t device, unsigned nth, struct pci_function *out)
{
	uint32_t id = (uint32_t)device << 16 | vendor;

	for (uint8_t dev = 0; dev < PCI_DEVICES; dev++) {
		uint32_t first = config_read(0, dev, 0, PCI_ID);
		uint8_t fns = 1;

		if ((first & 0xffff) == PCI_NO_DEVICE) {
			if (dev == 0)
				return false;	/* no host bridge: no PCI */
			continue;
		}
		if ((config_read(0, dev, 0, PCI_HEADER_TYPE) >> 16) & PCI_HEADER_MULTI)
			fns = PCI_FUNCTIONS;
		for (uint8_t fn = 0; fn < fns; fn++)
			if (matches(dev, fn, id, out) && nth-- == 0)
				return true;
	}
	return false;
}

void pci_enable_io_dma(const struct pci_function *f)
{
	uint32_t cmd = config_read(f->bus, f->dev, f->fn, PCI_COMMAND);

	/* The status half is write-one-to-clear: write zeros there. */
	config_write(f->bus, f->dev, f->fn, PCI_COMMAND,
		     (cmd & 0xffff) | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
}

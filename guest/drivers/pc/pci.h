/* pci.h: PCI configuration space, as much as the PC drivers need to find
 * their device on a PC that has PCI (QEMU's; pvisor's PC has none, and
 * its devices sit at the fixed places of docs/full-virt.md). */
#ifndef GUEST_PC_PCI_H
#define GUEST_PC_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct pci_function {
	uint8_t bus, dev, fn;
	uint16_t io_base;	/* the first I/O BAR, 0 if none */
	uint8_t irq;		/* the interrupt line the firmware assigned */
};

/* The nth function (0-based) on bus 0 with these ids; false if there is
 * none or no PCI at all. */
bool pci_find(uint16_t vendor, uint16_t device, unsigned nth, struct pci_function *out);

/* Turns on I/O decoding and bus mastering (DMA). */
void pci_enable_io_dma(const struct pci_function *f);

#endif

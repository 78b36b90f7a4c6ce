/* mmio_probe.c: a hostile full-mode guest reads and writes guest-physical
 * addresses that no RAM or device backs (between the end of RAM and the
 * IOAPIC, and around the APICs), through the boot loader's identity map.
 * Unbacked reads must return all ones; nothing may crash the host. */
#include "raw.h"

static int probe(uint64_t addr)
{
	uint32_t v = mmio_read32(addr);

	mmio_write32(addr, 0x5a5a5a5au);
	if (mmio_read32(addr) != 0xffffffffu || v != 0xffffffffu) {
		raw_puts("unbacked address did not read all ones: ");
		raw_put_hex(addr);
		raw_puts("\n");
		return 1;
	}
	return 0;
}

static int raw_main(void)
{
	uint64_t ram_end = raw_boot_info->nr_pages * 4096;
	int bad = 0;

	for (uint64_t a = ram_end; a < PVISOR_IOAPIC_GPA; a += 32ull << 20)
		bad += probe(a);
	bad += probe(PVISOR_IOAPIC_GPA - 4096);
	bad += probe(PVISOR_IOAPIC_GPA + 0x100000);
	bad += probe(0xfffff000u);
	raw_puts(bad ? "mmio probe: inconsistent\n" : "mmio probe: survived\n");
	return bad ? 1 : 0;
}

/* dma_attack.c: a hostile full-mode guest programs the emulated disk and
 * NIC with nonsense: ATA reads beyond the disk, sector counts that wrap,
 * commands that do not exist, data-port reads with no transfer; RTL8139
 * transmits from addresses outside guest RAM and with sizes the chip
 * cannot send, and a receive ring placed outside RAM. The models must
 * refuse each with the device's error status, never touching host memory
 * outside the guest. Exit 0 when every refusal was reported as the
 * datasheets say. */
#include "raw.h"

#define ATA      PVISOR_PORT_ATA0
#define NIC      PVISOR_PORT_NIC0
#define ATA_ERR  0x01
#define ATA_DRQ  0x08
#define TSD_TOK  (1u << 15)
#define TSD_OWN  (1u << 13)

static int failures;

static void expect(int ok, const char *what)
{
	if (!ok) {
		raw_puts("FAILED: ");
		raw_puts(what);
		raw_puts("\n");
		failures++;
	}
}

static uint8_t ata_command(uint8_t cmd, uint32_t lba, uint8_t count)
{
	outb(ATA + 6, 0xe0 | ((lba >> 24) & 0x0f));
	outb(ATA + 2, count);
	outb(ATA + 3, (uint8_t)lba);
	outb(ATA + 4, (uint8_t)(lba >> 8));
	outb(ATA + 5, (uint8_t)(lba >> 16));
	outb(ATA + 7, cmd);
	return inb(ATA + 7);
}

static void attack_ata(void)
{
	uint8_t st;

	if (inb(ATA + 7) == 0xff) {
		raw_puts("no ATA controller: skipping the disk part\n");
		return;
	}
	st = ata_command(0x20, 0x0fffffff, 1);     /* far beyond a small disk */
	expect((st & ATA_ERR) && !(st & ATA_DRQ), "ATA read beyond capacity is refused");
	st = ata_command(0x30, 0x0ffffff0, 0);      /* write 256 sectors off the end */
	expect((st & ATA_ERR) && !(st & ATA_DRQ), "ATA write beyond capacity is refused");
	st = ata_command(0xff, 0, 1);               /* no such command */
	expect(st & ATA_ERR, "unknown ATA command aborts");
	for (int i = 0; i < 4096; i++)
		(void)inw(ATA);                     /* data port with no transfer */
	outb(ATA + 7, 0x24);                        /* READ EXT with garbage HOB */
	(void)inb(ATA + 7);
}

static void attack_nic(void)
{
	uint64_t ram_end = raw_boot_info->nr_pages * 4096;
	uint32_t tsd;

	if (inl(NIC) == 0xffffffffu && inl(NIC + 4) == 0xffffffffu) {
		raw_puts("no NIC: skipping the network part\n");
		return;
	}
	outb(NIC + 0x37, 0x10);                     /* reset */
	outb(NIC + 0x37, 0x0c);                     /* RE | TE */
	outl(NIC + 0x20, (uint32_t)ram_end);        /* TSAD0 just past RAM */
	outl(NIC + 0x10, 64);                       /* TSD0: send 64 bytes */
	tsd = inl(NIC + 0x10);
	expect(!(tsd & TSD_TOK), "TX from outside RAM does not complete OK");
	outl(NIC + 0x24, 0x200000);                 /* TSAD1 in RAM */
	outl(NIC + 0x14, 0x1fff);                   /* TSD1: 8191 bytes, > 1792 */
	tsd = inl(NIC + 0x14);
	expect(!(tsd & TSD_TOK), "oversized TX does not complete OK");
	outl(NIC + 0x28, 0xfffffff0u);              /* TSAD2 wrapping past 4 GiB */
	outl(NIC + 0x18, 1500);
	tsd = inl(NIC + 0x18);
	expect(!(tsd & TSD_TOK), "TX wrapping past 4 GiB does not complete OK");
	outl(NIC + 0x30, 0xfffff000u);              /* RBSTART outside RAM */
	outw(NIC + 0x38, 0xfff0);                   /* CAPR nonsense */
	outl(NIC + 0x44, 0x0000f88f);               /* RCR: accept all, 64K ring, WRAP */
}

static int raw_main(void)
{
	attack_ata();
	attack_nic();
	raw_puts(failures ? "dma attack: device models misbehaved\n" : "dma attack: survived\n");
	return failures ? 1 : 0;
}

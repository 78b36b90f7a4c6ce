/* test_ata.c: the ATA/IDE channel model (hv/hw/ata.c) driven through its
 * register regions like a guest driver would, over scratch disk images:
 * IDENTIFY contents, PIO reads and writes (28-bit, 48-bit and CHS
 * addressing, single sectors, multi-sector, READ/WRITE MULTIPLE, 16- and
 * 32-bit and string accesses) checked against the image file, FLUSH, the
 * error paths, sector count 0, interrupts and nIEN, Status versus
 * Alternate Status, the HOB FIFOs, an absent and a present slave, soft
 * reset, and random register traffic that must never crash or touch a
 * read-only image. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pvisor/platform.h>

#include "disk/disk.h"
#include "check.h"
#include "hw/ata.h"
#include "scratch.h"

#define IRQ_EDGES_LINE PVISOR_IRQ_ATA0
#include "irq_probe.h"

#define SECTORS     8192u                 /* the main image: 4 MiB */
#define IMG_BYTES   (SECTORS * 512u)
#define BIG_SECTORS (65536u + 8u)         /* sparse: for sector count 0 in LBA48 */

static char errbuf[512];
static uint8_t *master_data, *slave_data;
static const char *master_path, *slave_path, *ro_path, *big_path;

/* ---- The interrupt line ------------------------------------------------------ */

/* pulses, bad_edges and irq_line: irq_probe.h */

/* ---- A channel and its registers ------------------------------------------------ */

struct rig {
	struct ata_channel *ch;
	struct emul_pio_region tf, ctl;
	struct disk *master, *slave;
};

static struct disk *open_disk(const char *path, bool ro)
{
	struct disk_config cfg;
	char spec[600];
	struct disk *d;

	snprintf(spec, sizeof(spec), "%s%s", path, ro ? ",ro" : "");
	CHECK_EQ(disk_parse_spec(spec, &cfg, errbuf, sizeof(errbuf)), 0);
	d = disk_open(&cfg, errbuf, sizeof(errbuf));
	if (!d)
		printf("# disk_open %s: %s\n", spec, errbuf);
	return d;
}

static bool rig_open(struct rig *r, const char *master, bool ro, const char *slave)
{
	memset(r, 0, sizeof(*r));
	r->master = open_disk(master, ro);
	r->slave = slave ? open_disk(slave, false) : NULL;
	if (!r->master || (slave && !r->slave))
		return false;
	r->ch = ata_create(&irq_line, PVISOR_IRQ_ATA0, r->master, r->slave);
	CHECK(r->ch != NULL);
	if (!r->ch)
		return false;
	ata_regions(r->ch, &r->tf, &r->ctl);
	pulses = 0;
	return true;
}

static void rig_close(struct rig *r)
{
	ata_destroy(r->ch);
	if (r->master)
		disk_close(r->master);
	if (r->slave)
		disk_close(r->slave);
}

static uint8_t inb(struct rig *r, unsigned reg)
{
	return (uint8_t)r->tf.read(r->tf.dev, (uint16_t)reg, 1);
}

static void outb(struct rig *r, unsigned reg, uint8_t v)
{
	r->tf.write(r->tf.dev, (uint16_t)reg, 1, v);
}

static uint16_t inw(struct rig *r)
{
	return (uint16_t)r->tf.read(r->tf.dev, ATA_REG_DATA, 2);
}

static void outw(struct rig *r, uint16_t v)
{
	r->tf.write(r->tf.dev, ATA_REG_DATA, 2, v);
}

static uint8_t altstatus(struct rig *r)
{
	return (uint8_t)r->ctl.read(r->ctl.dev, 0, 1);
}

static void devctl(struct rig *r, uint8_t v)
{
	r->ctl.write(r->ctl.dev, 0, 1, v);
}

/* Task file for a 28-bit LBA command on device dev. */
static void lba28(struct rig *r, unsigned dev, uint32_t lba, uint8_t count, uint8_t cmd)
{
	outb(r, ATA_REG_DEVICE, (uint8_t)(0xa0 | ATA_DEV_LBA | dev << 4 | ((lba >> 24) & 0xf)));
	outb(r, ATA_REG_NSECT, count);
	outb(r, ATA_REG_LBAL, (uint8_t)lba);
	outb(r, ATA_REG_LBAM, (uint8_t)(lba >> 8));
	outb(r, ATA_REG_LBAH, (uint8_t)(lba >> 16));
	outb(r, ATA_REG_COMMAND, cmd);
}

/* Task file for a 48-bit command: previous bytes first, then current. */
static void lba48(struct rig *r, uint64_t lba, uint16_t count, uint8_t cmd)
{
	outb(r, ATA_REG_DEVICE, 0xa0 | ATA_DEV_LBA);
	outb(r, ATA_REG_NSECT, (uint8_t)(count >> 8));
	outb(r, ATA_REG_LBAL, (uint8_t)(lba >> 24));
	outb(r, ATA_REG_LBAM, (uint8_t)(lba >> 32));
	outb(r, ATA_REG_LBAH, (uint8_t)(lba >> 40));
	outb(r, ATA_REG_NSECT, (uint8_t)count);
	outb(r, ATA_REG_LBAL, (uint8_t)lba);
	outb(r, ATA_REG_LBAM, (uint8_t)(lba >> 8));
	outb(r, ATA_REG_LBAH, (uint8_t)(lba >> 16));
	outb(r, ATA_REG_COMMAND, cmd);
}

/* Reads one 512-byte DRQ sector word by word; false if DRQ was not set. */
static bool read_sector_words(struct rig *r, uint8_t *out)
{
	if (!(altstatus(r) & ATA_SR_DRQ))
		return false;
	for (unsigned i = 0; i < 256; i++) {
		uint16_t w = inw(r);

		out[2 * i] = (uint8_t)w;
		out[2 * i + 1] = (uint8_t)(w >> 8);
	}
	return true;
}

static bool file_read(const char *path, void *buf, size_t len, off_t off)
{
	int fd = open(path, O_RDONLY);
	bool ok = fd >= 0 && pread(fd, buf, len, off) == (ssize_t)len;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* ---- IDENTIFY ------------------------------------------------------------------ */

static void identify_block(struct rig *r, uint16_t id[256])
{
	uint8_t b[512];

	outb(r, ATA_REG_DEVICE, 0xa0);
	outb(r, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
	memset(b, 0, sizeof(b));
	CHECK(read_sector_words(r, b));
	for (unsigned i = 0; i < 256; i++)
		id[i] = (uint16_t)(b[2 * i] | b[2 * i + 1] << 8);
}

/* words [first, first + n) as the ATA string they hold (high byte first). */
static void ata_string(const uint16_t *id, unsigned first, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = (char)(id[first + i] >> 8);
		out[2 * i + 1] = (char)id[first + i];
	}
	out[2 * n] = '\0';
}

static void identify(void)
{
	struct rig r;
	uint16_t id[256];
	char s[64], want[64];
	uint8_t sum = 0;

	if (!rig_open(&r, master_path, false, NULL))
		return;
	identify_block(&r, id);
	CHECK_EQ(pulses, 1u);
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);   /* DRQ gone */
	CHECK_EQ((unsigned)id[60] | (unsigned)id[61] << 16, SECTORS);
	CHECK_EQ((uint64_t)id[100] | (uint64_t)id[101] << 16 | (uint64_t)id[102] << 32 |
		 (uint64_t)id[103] << 48, SECTORS);
	CHECK(id[83] & (1u << 10));           /* LBA48 supported */
	CHECK(id[83] & (1u << 13));           /* FLUSH CACHE EXT supported */
	CHECK(id[83] & (1u << 12));
	CHECK_EQ(id[83] >> 14, 1u);           /* word valid */
	CHECK(id[86] & (1u << 10));
	CHECK(id[86] & (1u << 13));
	CHECK(id[49] & (1u << 9));            /* LBA */
	CHECK_EQ(id[47], 0x8010);             /* READ/WRITE MULTIPLE: up to 16 */
	CHECK_EQ(id[59] & 0x100, 0u);         /* multiple mode not set yet */
	CHECK_EQ(id[0] & 0x8000, 0u);         /* ATA device */
	CHECK_EQ(id[3], 16u);
	CHECK_EQ(id[6], 63u);
	ata_string(id, 27, 20, s);
	snprintf(want, sizeof(want), "%-40s", ATA_MODEL);
	CHECK_STR(s, want);
	ata_string(id, 10, 10, s);
	CHECK(!memcmp(s, r.master->id, DISK_ID_BYTES));
	ata_string(id, 23, 4, s);
	snprintf(want, sizeof(want), "%-8s", ATA_FIRMWARE);
	CHECK_STR(s, want);
	CHECK_EQ(id[255] & 0xff, 0xa5u);
	for (unsigned i = 0; i < 256; i++)
		sum = (uint8_t)(sum + (id[i] & 0xff) + (id[i] >> 8));
	CHECK_EQ(sum, 0);
	/* The identify block through 32-bit reads too. */
	outb(&r, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
	for (unsigned i = 0; i < 128; i++) {
		uint32_t v = r.tf.read(r.tf.dev, ATA_REG_DATA, 4);

		CHECK_EQ(v, (uint32_t)id[2 * i] | (uint32_t)id[2 * i + 1] << 16);
	}
	CHECK_EQ(altstatus(&r) & ATA_SR_DRQ, 0);
	rig_close(&r);
}

/* ---- Reads and writes ------------------------------------------------------------ */

static void read_lba28(void)
{
	struct rig r;
	uint8_t b[512];
	struct ata_stats st;

	if (!rig_open(&r, master_path, false, NULL))
		return;
	lba28(&r, 0, 5, 3, ATA_CMD_READ_SECTORS);
	for (unsigned s = 0; s < 3; s++) {
		CHECK_EQ(pulses, s + 1);               /* one interrupt per DRQ block */
		CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
		CHECK(read_sector_words(&r, b));
		CHECK(!memcmp(b, master_data + (5 + s) * 512, 512));
	}
	CHECK_EQ(pulses, 3u);                          /* none after the last block */
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
	CHECK_EQ(inb(&r, ATA_REG_LBAL), 7);            /* the last sector read */
	/* A high 28-bit address, with LBA bits 27:24 in the device register. */
	lba28(&r, 0, SECTORS - 1, 1, ATA_CMD_READ_SECTORS);
	CHECK(read_sector_words(&r, b));
	CHECK(!memcmp(b, master_data + (SECTORS - 1) * 512, 512));
	ata_get_stats(r.ch, &st);
	CHECK_EQ(st.sectors_read, 4u);
	CHECK_EQ(st.commands, 2u);
	CHECK_EQ(st.errors, 0u);
	rig_close(&r);
}

static void read_lba48(void)
{
	struct rig r;
	size_t bytes = 256 * 512;
	uint8_t *b = malloc(bytes);

	if (!rig_open(&r, master_path, false, NULL)) {
		free(b);
		return;
	}
	/* 256 sectors by a 48-bit count (previous byte 1, current 0). */
	lba48(&r, 1000, 0x100, ATA_CMD_READ_SECTORS_EXT);
	CHECK_EQ(pulses, 1u);
	CHECK_EQ(ata_data_read_block(r.ch, b, bytes), bytes);
	CHECK(!memcmp(b, master_data + 1000 * 512, bytes));
	CHECK_EQ(pulses, 2u);     /* blocks 2..256 within one access: one pulse */
	CHECK_EQ(altstatus(&r), ATA_SR_DRDY | ATA_SR_DSC);
	/* The address registers hold the last sector, HOB bytes included. */
	CHECK_EQ(inb(&r, ATA_REG_LBAL), (uint8_t)(1255 & 0xff));
	CHECK_EQ(inb(&r, ATA_REG_LBAM), (uint8_t)(1255 >> 8));
	devctl(&r, ATA_CTL_HOB);
	CHECK_EQ(inb(&r, ATA_REG_LBAL), 0);
	devctl(&r, 0);
	/* A string read longer than the transfer: the rest reads as zeros. */
	lba48(&r, 7, 1, ATA_CMD_READ_SECTORS_EXT);
	memset(b, 0x55, 1024);
	CHECK_EQ(ata_data_read_block(r.ch, b, 1024), 512u);
	CHECK(!memcmp(b, master_data + 7 * 512, 512));
	CHECK(b[512] == 0 && b[1023] == 0);
	rig_close(&r);
	free(b);
}

static void write_and_readback(void)
{
	struct rig r;
	uint8_t data[3 * 512], back[3 * 512];
	struct ata_stats st;

	if (!rig_open(&r, master_path, false, NULL))
		return;
	fill_random(data, sizeof(data));
	/* WRITE SECTORS, 16-bit accesses. */
	lba28(&r, 0, 100, 2, ATA_CMD_WRITE_SECTORS);
	CHECK_EQ(pulses, 0u);                            /* first block: DRQ, no IRQ */
	CHECK_EQ(altstatus(&r), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
	for (unsigned i = 0; i < 256; i++)
		outw(&r, (uint16_t)(data[2 * i] | data[2 * i + 1] << 8));
	CHECK_EQ(pulses, 1u);
	CHECK_EQ(altstatus(&r), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
	CHECK(file_read(master_path, back, 512, 100 * 512));
	CHECK(!memcmp(back, data, 512));                  /* on disk before the IRQ */
	/* The second sector by 32-bit accesses. */
	for (unsigned i = 0; i < 128; i++) {
		const uint8_t *p = data + 512 + 4 * i;

		r.tf.write(r.tf.dev, ATA_REG_DATA, 4,
			   (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			   (uint32_t)p[3] << 24);
	}
	CHECK_EQ(pulses, 2u);
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
	CHECK(file_read(master_path, back, 1024, 100 * 512));
	CHECK(!memcmp(back, data, 1024));
	/* WRITE SECTORS EXT by string I/O, spilling past the transfer. */
	lba48(&r, 4000, 3, ATA_CMD_WRITE_SECTORS_EXT);
	CHECK_EQ(pulses, 2u);
	CHECK_EQ(ata_data_write_block(r.ch, data, sizeof(data)), sizeof(data));
	CHECK_EQ(pulses, 3u);
	CHECK(file_read(master_path, back, sizeof(back), 4000 * 512));
	CHECK(!memcmp(back, data, sizeof(data)));
	CHECK_EQ(ata_data_write_block(r.ch, data, 512), 0u);   /* no DRQ: nothing */
	/* And the guest reads back what it wrote. */
	lba28(&r, 0, 4000, 3, ATA_CMD_READ_SECTORS);
	CHECK_EQ(ata_data_read_block(r.ch, back, sizeof(back)), sizeof(back));
	CHECK(!memcmp(back, data, sizeof(data)));
	ata_get_stats(r.ch, &st);
	CHECK_EQ(st.sectors_written, 5u);
	memcpy(master_data + 100 * 512, data, 1024);
	memcpy(master_data + 4000 * 512, data, sizeof(data));
	rig_close(&r);
}

static void multiple(void)
{
	struct rig r;
	uint16_t id[256];
	uint8_t *b = malloc(20 * 512), *w = malloc(9 * 512);

	if (!rig_open(&r, master_path, false, NULL)) {
		free(b);
		free(w);
		return;
	}
	/* Without SET MULTIPLE, READ MULTIPLE is aborted. */
	lba28(&r, 0, 0, 4, ATA_CMD_READ_MULTIPLE);
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR);
	CHECK_EQ(inb(&r, ATA_REG_ERROR), ATA_ER_ABRT);
	/* Not a power of two, or too many: aborted. */
	outb(&r, ATA_REG_NSECT, 3);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_SET_MULTIPLE);
	CHECK_EQ(inb(&r, ATA_REG_ERROR), ATA_ER_ABRT);
	outb(&r, ATA_REG_NSECT, 32);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_SET_MULTIPLE);
	CHECK_EQ(inb(&r, ATA_REG_ERROR), ATA_ER_ABRT);
	outb(&r, ATA_REG_NSECT, 8);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_SET_MULTIPLE);
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
	identify_block(&r, id);
	CHECK_EQ(id[59], 0x0108);
	/* 20 sectors in blocks of 8, 8, 4: three interrupts. */
	pulses = 0;
	lba28(&r, 0, 300, 20, ATA_CMD_READ_MULTIPLE);
	CHECK_EQ(pulses, 1u);
	CHECK_EQ(ata_data_read_block(r.ch, b, 8 * 512), 8 * 512u);
	CHECK_EQ(pulses, 2u);
	CHECK_EQ(ata_data_read_block(r.ch, b + 8 * 512, 12 * 512), 12 * 512u);
	CHECK_EQ(pulses, 3u);
	CHECK(!memcmp(b, master_data + 300 * 512, 20 * 512));
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
	/* READ MULTIPLE EXT. */
	pulses = 0;
	lba48(&r, 17, 9, ATA_CMD_READ_MULTIPLE_EXT);
	CHECK_EQ(ata_data_read_block(r.ch, b, 9 * 512), 9 * 512u);
	CHECK_EQ(pulses, 2u);
	CHECK(!memcmp(b, master_data + 17 * 512, 9 * 512));
	/* WRITE MULTIPLE: 9 sectors as 8 + 1; an interrupt after each block. */
	fill_random(w, 9 * 512);
	pulses = 0;
	lba28(&r, 0, 2000, 9, ATA_CMD_WRITE_MULTIPLE);
	CHECK_EQ(pulses, 0u);
	CHECK_EQ(ata_data_write_block(r.ch, w, 8 * 512), 8 * 512u);
	CHECK_EQ(pulses, 1u);
	CHECK(altstatus(&r) & ATA_SR_DRQ);
	CHECK_EQ(ata_data_write_block(r.ch, w + 8 * 512, 512), 512u);
	CHECK_EQ(pulses, 2u);
	CHECK_EQ(altstatus(&r), ATA_SR_DRDY | ATA_SR_DSC);
	CHECK(file_read(master_path, b, 9 * 512, 2000 * 512));
	CHECK(!memcmp(b, w, 9 * 512));
	memcpy(master_data + 2000 * 512, w, 9 * 512);
	/* WRITE MULTIPLE EXT. */
	lba48(&r, 2100, 2, ATA_CMD_WRITE_MULTIPLE_EXT);
	CHECK_EQ(ata_data_write_block(r.ch, w, 1024), 1024u);
	CHECK(file_read(master_path, b, 1024, 2100 * 512));
	CHECK(!memcmp(b, w, 1024));
	memcpy(master_data + 2100 * 512, w, 1024);
	/* SET MULTIPLE 0 turns it off again. */
	outb(&r, ATA_REG_NSECT, 0);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_SET_MULTIPLE);
	lba28(&r, 0, 0, 1, ATA_CMD_READ_MULTIPLE);
	CHECK_EQ(inb(&r, ATA_REG_ERROR), ATA_ER_ABRT);
	rig_close(&r);
	free(b);
	free(w);
}

static void flush(void)
{
	struct rig r;
	struct ata_stats st;

	if (!rig_open(&r, master_path, false, NULL))
		return;
	outb(&r, ATA_REG_COMMAND, ATA_CMD_FLUSH_CACHE);
	CHECK_EQ(pulses, 1u);
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_FLUSH_CACHE_EXT);
	CHECK_EQ(pulses, 2u);
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
	ata_get_stats(r.ch, &st);
	CHECK_EQ(st.flushes, 2u);
	CHECK_EQ(st.errors, 0u);
	rig_close(&r);
}

/* ---- Errors ------------------------------------------------------------------------ */

/* The command failed with error bits err: ERR, no DRQ, one interrupt,
 * the data port gives nothing. */
static void expect_error(struct rig *r, uint8_t err, unsigned pulses_before)
{
	uint8_t b[512];

	CHECK_EQ(pulses, pulses_before + 1);
	CHECK_EQ(altstatus(r), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR);
	CHECK_EQ(inb(r, ATA_REG_ERROR), err);
	CHECK_EQ(ata_data_read_block(r->ch, b, sizeof(b)), 0u);
	CHECK_EQ(inw(r), 0);
	CHECK_EQ(inb(r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR);
}

static void errors(void)
{
	struct rig r;
	struct ata_stats st;
	uint8_t back[512];

	if (!rig_open(&r, master_path, false, NULL))
		return;
	/* Beyond the end. */
	lba28(&r, 0, SECTORS, 1, ATA_CMD_READ_SECTORS);
	expect_error(&r, ATA_ER_IDNF, 0);
	CHECK_EQ(inb(&r, ATA_REG_LBAM), (uint8_t)(SECTORS >> 8));  /* where it failed */
	/* Crossing the end: nothing is transferred at all. */
	lba28(&r, 0, SECTORS - 1, 2, ATA_CMD_READ_SECTORS);
	expect_error(&r, ATA_ER_IDNF, 1);
	lba28(&r, 0, SECTORS - 1, 2, ATA_CMD_WRITE_SECTORS);
	expect_error(&r, ATA_ER_IDNF, 2);
	/* 48-bit addresses far beyond the end. */
	lba48(&r, 1ull << 40, 1, ATA_CMD_READ_SECTORS_EXT);
	expect_error(&r, ATA_ER_IDNF, 3);
	devctl(&r, ATA_CTL_HOB);
	CHECK_EQ(inb(&r, ATA_REG_LBAH), 1);                   /* bits 47:40 */
	devctl(&r, 0);
	lba48(&r, 0xffffffffffffull, 0xffff, ATA_CMD_WRITE_SECTORS_EXT);
	expect_error(&r, ATA_ER_IDNF, 4);
	lba48(&r, 0, 1, ATA_CMD_READ_VERIFY_EXT);
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
	lba28(&r, 0, SECTORS, 1, ATA_CMD_READ_VERIFY);
	expect_error(&r, ATA_ER_IDNF, 6);
	/* Unknown commands, DMA commands, IDENTIFY PACKET DEVICE, NOP. */
	outb(&r, ATA_REG_COMMAND, 0x00);
	expect_error(&r, ATA_ER_ABRT, 7);
	outb(&r, ATA_REG_COMMAND, 0xc8);
	expect_error(&r, ATA_ER_ABRT, 8);
	outb(&r, ATA_REG_COMMAND, 0xa1);
	expect_error(&r, ATA_ER_ABRT, 9);
	outb(&r, ATA_REG_COMMAND, 0xff);
	expect_error(&r, ATA_ER_ABRT, 10);
	/* No DRQ: data writes are ignored and change nothing on disk. */
	for (unsigned i = 0; i < 300; i++)
		outw(&r, 0xdead);
	CHECK(file_read(master_path, back, 512, 0));
	CHECK(!memcmp(back, master_data, 512));
	ata_get_stats(r.ch, &st);
	CHECK_EQ(st.sectors_read, 0u);
	CHECK_EQ(st.sectors_written, 0u);
	CHECK_EQ(st.errors, 10u);
	/* A good command after all that. */
	lba28(&r, 0, 1, 1, ATA_CMD_READ_SECTORS);
	CHECK(read_sector_words(&r, back));
	CHECK(!memcmp(back, master_data + 512, 512));
	rig_close(&r);
}

static void read_only(void)
{
	struct rig r;
	uint8_t before[1024], after[1024], junk[1024];

	CHECK(file_read(ro_path, before, sizeof(before), 0));
	if (!rig_open(&r, ro_path, true, NULL))
		return;
	lba28(&r, 0, 0, 2, ATA_CMD_WRITE_SECTORS);
	expect_error(&r, ATA_ER_ABRT, 0);
	memset(junk, 0x5a, sizeof(junk));
	CHECK_EQ(ata_data_write_block(r.ch, junk, sizeof(junk)), 0u);
	lba48(&r, 0, 2, ATA_CMD_WRITE_SECTORS_EXT);
	expect_error(&r, ATA_ER_ABRT, 1);
	outb(&r, ATA_REG_NSECT, 2);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_SET_MULTIPLE);
	lba28(&r, 0, 0, 2, ATA_CMD_WRITE_MULTIPLE);
	expect_error(&r, ATA_ER_ABRT, 3);
	/* Reads and flushes work. */
	lba28(&r, 0, 1, 1, ATA_CMD_READ_SECTORS);
	CHECK(read_sector_words(&r, after));
	CHECK(!memcmp(after, before + 512, 512));
	outb(&r, ATA_REG_COMMAND, ATA_CMD_FLUSH_CACHE);
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
	rig_close(&r);
	CHECK(file_read(ro_path, after, sizeof(after), 0));
	CHECK(!memcmp(before, after, sizeof(before)));
}

/* A disk read that fails on the host (the image shrank under it): UNC. */
static void io_error(void)
{
	const char *path = tmp_path("shrinking.img");
	uint8_t *data = malloc(64 * 512);
	struct rig r;

	fill_random(data, 64 * 512);
	write_file(path, data, 64 * 512);
	if (!rig_open(&r, path, false, NULL)) {
		free(data);
		return;
	}
	CHECK_EQ(truncate(path, 32 * 512), 0);
	lba28(&r, 0, 30, 4, ATA_CMD_READ_SECTORS);       /* 30, 31 fine, 32 fails */
	CHECK_EQ(pulses, 1u);
	CHECK_EQ(ata_data_read_block(r.ch, data, 512), 512u);
	CHECK_EQ(pulses, 2u);                            /* block 2 */
	CHECK_EQ(ata_data_read_block(r.ch, data, 512), 512u);
	CHECK_EQ(pulses, 3u);                            /* the error */
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR);
	CHECK_EQ(inb(&r, ATA_REG_ERROR), ATA_ER_UNC);
	CHECK_EQ(inb(&r, ATA_REG_LBAL), 32);
	CHECK_EQ(ata_data_read_block(r.ch, data, 512), 0u);
	rig_close(&r);
	free(data);
}

/* Sector count 0: 256 sectors (28-bit), 65536 (48-bit). */
static void count_zero(void)
{
	struct rig r;
	size_t bytes = 65536u * 512u;
	uint8_t *b = malloc(bytes);
	int fd;

	if (!rig_open(&r, master_path, false, NULL)) {
		free(b);
		return;
	}
	lba28(&r, 0, 10, 0, ATA_CMD_READ_SECTORS);
	CHECK_EQ(ata_data_read_block(r.ch, b, 256 * 512), 256 * 512u);
	CHECK(!memcmp(b, master_data + 10 * 512, 256 * 512));
	CHECK_EQ(pulses, 2u);
	CHECK_EQ(ata_data_read_block(r.ch, b, 512), 0u);  /* exactly 256 */
	CHECK_EQ(altstatus(&r), ATA_SR_DRDY | ATA_SR_DSC);
	rig_close(&r);

	/* A sparse disk of 65536 + 8 sectors with a marker in its last one. */
	fd = open(big_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, (off_t)BIG_SECTORS * 512), 0);
	CHECK_EQ(pwrite(fd, "last", 4, (off_t)(BIG_SECTORS - 1) * 512), 4);
	close(fd);
	if (!rig_open(&r, big_path, false, NULL)) {
		free(b);
		return;
	}
	lba48(&r, 8, 0, ATA_CMD_READ_SECTORS_EXT);       /* 8 .. 65543: exactly fits */
	CHECK_EQ(altstatus(&r), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
	CHECK_EQ(ata_data_read_block(r.ch, b, bytes), bytes);
	CHECK(!memcmp(b + bytes - 512, "last", 4));
	CHECK_EQ(altstatus(&r), ATA_SR_DRDY | ATA_SR_DSC);
	CHECK_EQ(pulses, 2u);
	lba48(&r, 9, 0, ATA_CMD_READ_SECTORS_EXT);       /* one too many */
	expect_error(&r, ATA_ER_IDNF, 2);
	CHECK_EQ(inb(&r, ATA_REG_LBAL), (uint8_t)BIG_SECTORS);
	rig_close(&r);
	free(b);
}

/* ---- Interrupts ---------------------------------------------------------------------- */

static void interrupts(void)
{
	struct rig r;

	if (!rig_open(&r, master_path, false, NULL))
		return;
	/* nIEN: no pulse, but the interrupt is pending... */
	devctl(&r, ATA_CTL_NIEN);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_FLUSH_CACHE);
	CHECK_EQ(pulses, 0u);
	/* ...and enabling interrupts asserts INTRQ. */
	devctl(&r, 0);
	CHECK_EQ(pulses, 1u);
	/* Alternate Status does not clear a pending interrupt: re-enabling
	 * pulses again. */
	CHECK_EQ(altstatus(&r), ATA_SR_DRDY | ATA_SR_DSC);
	devctl(&r, ATA_CTL_NIEN);
	devctl(&r, 0);
	CHECK_EQ(pulses, 2u);
	/* Status does. */
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
	devctl(&r, ATA_CTL_NIEN);
	devctl(&r, 0);
	CHECK_EQ(pulses, 2u);
	/* Writing the command register clears it too (WRITE SECTORS asks for
	 * its first block without an interrupt). */
	devctl(&r, ATA_CTL_NIEN);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_FLUSH_CACHE);
	lba28(&r, 0, 0, 1, ATA_CMD_WRITE_SECTORS);
	CHECK_EQ(altstatus(&r), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
	devctl(&r, 0);
	CHECK_EQ(pulses, 2u);
	/* Every data-in block interrupts, even if Status was not read. */
	lba28(&r, 0, 0, 4, ATA_CMD_READ_SECTORS);
	for (unsigned i = 0; i < 4; i++) {
		uint8_t b[512];

		CHECK_EQ(pulses, 3u + i);
		CHECK(read_sector_words(&r, b));
	}
	CHECK_EQ(pulses, 6u);
	/* nIEN during a transfer: silent. */
	devctl(&r, ATA_CTL_NIEN);
	lba28(&r, 0, 0, 2, ATA_CMD_READ_SECTORS);
	{
		uint8_t b[2 * 512];

		CHECK_EQ(ata_data_read_block(r.ch, b, sizeof(b)), sizeof(b));
	}
	CHECK_EQ(pulses, 6u);
	CHECK_EQ(bad_edges, 0u);
	rig_close(&r);
}

/* HOB: the 48-bit FIFOs read back, and any register write clears HOB. */
static void hob_fifo(void)
{
	struct rig r;

	if (!rig_open(&r, master_path, false, NULL))
		return;
	outb(&r, ATA_REG_NSECT, 0x12);
	outb(&r, ATA_REG_NSECT, 0x34);
	outb(&r, ATA_REG_LBAH, 0x56);
	outb(&r, ATA_REG_LBAH, 0x78);
	CHECK_EQ(inb(&r, ATA_REG_NSECT), 0x34);
	CHECK_EQ(inb(&r, ATA_REG_LBAH), 0x78);
	devctl(&r, ATA_CTL_HOB);
	CHECK_EQ(inb(&r, ATA_REG_NSECT), 0x12);
	CHECK_EQ(inb(&r, ATA_REG_LBAH), 0x56);
	outb(&r, ATA_REG_FEATURES, 0);                 /* clears HOB */
	CHECK_EQ(inb(&r, ATA_REG_NSECT), 0x34);
	/* A 16-bit access to byte registers touches both. */
	r.tf.write(r.tf.dev, ATA_REG_LBAL, 2, 0xbbaa);
	CHECK_EQ(r.tf.read(r.tf.dev, ATA_REG_LBAL, 2), 0xbbaau);
	rig_close(&r);
}

static void chs(void)
{
	struct rig r;
	uint8_t b[512];
	uint32_t lba = (1 * 16 + 2) * 63 + 3 - 1;        /* cylinder 1, head 2, sector 3 */

	if (!rig_open(&r, master_path, false, NULL))
		return;
	outb(&r, ATA_REG_DEVICE, 0xa0 | 15);            /* 16 heads */
	outb(&r, ATA_REG_NSECT, 63);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_INIT_DEV_PARAMS);
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
	outb(&r, ATA_REG_DEVICE, 0xa0 | 2);
	outb(&r, ATA_REG_NSECT, 1);
	outb(&r, ATA_REG_LBAL, 3);
	outb(&r, ATA_REG_LBAM, 1);
	outb(&r, ATA_REG_LBAH, 0);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_READ_SECTORS);
	CHECK(read_sector_words(&r, b));
	CHECK(!memcmp(b, master_data + lba * 512, 512));
	/* Sector 0 does not exist in CHS. */
	outb(&r, ATA_REG_LBAL, 0);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_READ_SECTORS);
	CHECK_EQ(inb(&r, ATA_REG_ERROR), ATA_ER_IDNF);
	/* INITIALIZE DEVICE PARAMETERS with 0 sectors per track: aborted. */
	outb(&r, ATA_REG_NSECT, 0);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_INIT_DEV_PARAMS);
	CHECK_EQ(inb(&r, ATA_REG_ERROR), ATA_ER_ABRT);
	rig_close(&r);
}

/* ---- Devices ------------------------------------------------------------------------- */

static void absent_slave(void)
{
	struct rig r;
	struct ata_stats st;

	if (!rig_open(&r, master_path, false, NULL))
		return;
	outb(&r, ATA_REG_DEVICE, 0xb0);                 /* slave */
	CHECK_EQ(inb(&r, ATA_REG_STATUS), 0);
	CHECK_EQ(altstatus(&r), 0);
	outb(&r, ATA_REG_NSECT, 0x42);
	CHECK_EQ(inb(&r, ATA_REG_NSECT), 0x42);         /* registers still latch */
	outb(&r, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);    /* not executed */
	CHECK_EQ(pulses, 0u);
	CHECK_EQ(altstatus(&r), 0);
	CHECK_EQ(inw(&r), 0);
	lba28(&r, 1, 0, 1, ATA_CMD_READ_SECTORS);
	CHECK_EQ(pulses, 0u);
	ata_get_stats(r.ch, &st);
	CHECK_EQ(st.commands, 0u);
	/* The master is untouched. */
	outb(&r, ATA_REG_DEVICE, 0xa0);
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
	/* EXECUTE DEVICE DIAGNOSTIC with the slave selected: the master runs
	 * it, selects itself and interrupts. */
	outb(&r, ATA_REG_DEVICE, 0xb0);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_EXEC_DIAGNOSTIC);
	CHECK_EQ(pulses, 1u);
	CHECK_EQ(inb(&r, ATA_REG_DEVICE), 0);
	CHECK_EQ(inb(&r, ATA_REG_ERROR), 0x01);
	CHECK_EQ(inb(&r, ATA_REG_NSECT), 1);
	CHECK_EQ(inb(&r, ATA_REG_LBAL), 1);
	CHECK_EQ(inb(&r, ATA_REG_LBAM), 0);
	CHECK_EQ(inb(&r, ATA_REG_LBAH), 0);
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
	rig_close(&r);
}

static void present_slave(void)
{
	struct rig r;
	uint8_t b[512];
	uint16_t id[256];

	if (!rig_open(&r, master_path, false, slave_path))
		return;
	lba28(&r, 1, 3, 1, ATA_CMD_READ_SECTORS);
	CHECK(read_sector_words(&r, b));
	CHECK(!memcmp(b, slave_data + 3 * 512, 512));
	lba28(&r, 0, 3, 1, ATA_CMD_READ_SECTORS);
	CHECK(read_sector_words(&r, b));
	CHECK(!memcmp(b, master_data + 3 * 512, 512));
	/* An error on the slave does not show on the master. */
	lba28(&r, 1, 1u << 27, 1, ATA_CMD_READ_SECTORS);
	CHECK(inb(&r, ATA_REG_STATUS) & ATA_SR_ERR);
	outb(&r, ATA_REG_DEVICE, 0xa0);
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
	/* The slave's IDENTIFY has its own capacity (SECTORS / 2). */
	outb(&r, ATA_REG_DEVICE, 0xb0);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
	CHECK(read_sector_words(&r, b));
	for (unsigned i = 0; i < 256; i++)
		id[i] = (uint16_t)(b[2 * i] | b[2 * i + 1] << 8);
	CHECK_EQ((unsigned)id[60] | (unsigned)id[61] << 16, SECTORS / 2);
	rig_close(&r);
}

static void soft_reset(void)
{
	struct rig r;
	uint8_t b[512];

	if (!rig_open(&r, master_path, false, NULL))
		return;
	lba28(&r, 0, 0, 4, ATA_CMD_READ_SECTORS);
	CHECK(altstatus(&r) & ATA_SR_DRQ);
	pulses = 0;
	devctl(&r, ATA_CTL_SRST);
	CHECK_EQ(altstatus(&r), ATA_SR_BSY);
	CHECK_EQ(inb(&r, ATA_REG_STATUS), ATA_SR_BSY);
	outb(&r, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);    /* held in reset: ignored */
	devctl(&r, 0);
	CHECK_EQ(pulses, 0u);                          /* reset does not interrupt */
	CHECK_EQ(altstatus(&r), ATA_SR_DRDY | ATA_SR_DSC);
	CHECK_EQ(inb(&r, ATA_REG_ERROR), 0x01);
	CHECK_EQ(inb(&r, ATA_REG_NSECT), 1);
	CHECK_EQ(inb(&r, ATA_REG_LBAL), 1);
	CHECK_EQ(inb(&r, ATA_REG_LBAM), 0);
	CHECK_EQ(inb(&r, ATA_REG_LBAH), 0);
	CHECK_EQ(inb(&r, ATA_REG_DEVICE), 0);
	CHECK_EQ(ata_data_read_block(r.ch, b, sizeof(b)), 0u);  /* transfer gone */
	/* Works normally afterwards. */
	lba28(&r, 0, 2, 1, ATA_CMD_READ_SECTORS);
	CHECK(read_sector_words(&r, b));
	CHECK(!memcmp(b, master_data + 2 * 512, 512));
	rig_close(&r);
}

/* Random register traffic: never crashes, never hangs, and a read-only
 * image stays as it was. */
static void random_traffic(void)
{
	struct rig r;
	uint8_t *before = malloc(IMG_BYTES), *after = malloc(IMG_BYTES), buf[2048];

	CHECK(file_read(ro_path, before, IMG_BYTES, 0));
	if (!rig_open(&r, ro_path, true, NULL)) {
		free(before);
		free(after);
		return;
	}
	check_rng_state = 12345;
	for (unsigned i = 0; i < 200000; i++) {
		uint64_t x = check_rng();
		unsigned size = 1u << (x % 3), op = (x >> 2) % 16;
		uint16_t off = (uint16_t)((x >> 8) % 8);
		uint32_t v = (uint32_t)(x >> 32);

		if (op < 6)
			r.tf.write(r.tf.dev, off, size, v);
		else if (op < 11)
			(void)r.tf.read(r.tf.dev, off, size);
		else if (op == 11)
			r.ctl.write(r.ctl.dev, 0, size, v);
		else if (op == 12)
			(void)r.ctl.read(r.ctl.dev, 0, size);
		else if (op == 13)
			(void)ata_data_read_block(r.ch, buf, (x >> 16) % sizeof(buf));
		else if (op == 14)
			(void)ata_data_write_block(r.ch, buf, (x >> 16) % sizeof(buf));
		else
			r.tf.write(r.tf.dev, ATA_REG_COMMAND, 1, (uint8_t)(v >> 8));
	}
	devctl(&r, 0);
	CHECK_EQ(bad_edges, 0u);
	rig_close(&r);
	CHECK(file_read(ro_path, after, IMG_BYTES, 0));
	CHECK(!memcmp(before, after, IMG_BYTES));
	free(before);
	free(after);
}

int main(void)
{
	if (!scratch_create("ata"))
		return 1;
	master_path = tmp_path("master.img");
	slave_path = tmp_path("slave.img");
	ro_path = tmp_path("ro.img");
	big_path = tmp_path("big.img");
	master_data = malloc(IMG_BYTES);
	slave_data = malloc(IMG_BYTES / 2);
	fill_random(master_data, IMG_BYTES);
	fill_random(slave_data, IMG_BYTES / 2);
	write_file(master_path, master_data, IMG_BYTES);
	write_file(slave_path, slave_data, IMG_BYTES / 2);
	write_file(ro_path, master_data, IMG_BYTES);

	RUN(identify);
	RUN(read_lba28);
	RUN(read_lba48);
	RUN(write_and_readback);
	RUN(multiple);
	RUN(flush);
	RUN(errors);
	RUN(read_only);
	RUN(io_error);
	RUN(count_zero);
	RUN(interrupts);
	RUN(hob_fifo);
	RUN(chs);
	RUN(absent_slave);
	RUN(present_slave);
	RUN(soft_reset);
	RUN(random_traffic);

	scratch_remove();
	free(master_data);
	free(slave_data);
	CHECK_EXIT();
}

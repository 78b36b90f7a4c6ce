/* ata.c: the ATA/IDE channel model (ata.h), after ATA/ATAPI-6.
 *
 * Registers. Both devices latch every write to the command block
 * registers, so each drive slot keeps its own copy (an absent slave's copy
 * is the shadow its reads return). Features, sector count and LBA
 * low/mid/high are two-deep FIFOs for 48-bit commands: a write pushes the
 * current byte into the "previous" (HOB) byte; with HOB set in device
 * control, reads return the previous bytes; any command block write clears
 * HOB. The device register's DEV bit picks the drive that answers reads
 * and executes commands.
 *
 * Absent device (only the slave may be absent): its Status and Alternate
 * Status read 00h, its other registers read back what was written,
 * commands written while it is selected are not executed (no interrupt),
 * except EXECUTE DEVICE DIAGNOSTIC, which the master always executes.
 *
 * Protocols. PIO data-in: on the command, and each time the guest has
 * read a whole DRQ block (one sector, or the multiple count for READ
 * MULTIPLE), the next block is read from the disk into a buffer, DRQ is
 * set and INTRQ asserted; after the last block DRQ clears with no further
 * interrupt. PIO data-out: DRQ is set for the first block without an
 * interrupt; each completed block is written to the disk before the model
 * asserts INTRQ with DRQ set for the next block, or clear after the last.
 * Non-data commands complete at once with INTRQ. The disk I/O happens
 * synchronously inside the guest's register access, so BSY is never
 * visible; the only time the status reads BSY is while the guest holds
 * SRST set. Range errors are found at command time (IDNF, no data is
 * moved and the disk is not touched); a failing disk read ends the command
 * with UNC, a failing write or flush with ABRT. On completion of each
 * block, and on an error, the LBA (or CHS) registers hold the address of
 * the last sector transferred or of the failing one. Data-register
 * accesses without DRQ read 0 and writes are ignored.
 *
 * Interrupts. Every time a device asserts INTRQ, its interrupt becomes
 * pending and, if it is the selected device and nIEN is clear, one edge
 * pulse goes out on the IRQ line. Reading Status (not Alternate Status),
 * writing the command register or a reset clears the pending state.
 * Clearing nIEN, or selecting a device, while that device's interrupt is
 * pending sends a pulse too (INTRQ goes from released to asserted). A new
 * assertion pulses even if the guest did not read Status after the last
 * one, so a guest that skips the Status read loses no interrupt. One
 * register access or string-I/O call sends at most one pulse (the vCPU
 * is stopped during it: its interrupt controller would merge the edges).
 *
 * Soft reset: SRST 0->1 stops every command and holds the devices in
 * reset (BSY); SRST 1->0 completes the reset: the ATA signature (sector
 * count 01h, LBA low 01h, LBA mid/high 00h, device 00h), error 01h
 * (diagnostic passed), status DRDY|DSC, no interrupt. The multiple count
 * and CHS translation are kept. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <pvisor/platform.h>

#include "hw/ata.h"

#define SECTOR       512u
#define BUF_BYTES    (ATA_MAX_MULTIPLE * SECTOR)
#define LBA28_LIMIT  0x0fffffffull          /* addressable sectors, 28-bit */
#define LBA48_LIMIT  (1ull << 48)
#define DIAG_PASSED  0x01                    /* error register after reset */
#define ST_READY     (ATA_SR_DRDY | ATA_SR_DSC)

enum xfer { XFER_NONE, XFER_IN, XFER_OUT };

struct ata_drive {
	struct disk *disk;        /* NULL: absent */
	uint64_t sectors;
	/* Task file: current bytes and the previous ("HOB") bytes. */
	uint8_t feature, nsect, lbal, lbam, lbah;
	uint8_t hob_feature, hob_nsect, hob_lbal, hob_lbam, hob_lbah;
	uint8_t device, error, status;
	bool irq_pending;
	unsigned mult;            /* sectors per block of READ/WRITE MULTIPLE; 0 off */
	unsigned cyls, heads, spt;/* current CHS translation */
	unsigned def_cyls;        /* default translation: def_cyls x 16 x 63 */
	/* The PIO transfer in progress. */
	enum xfer xfer;
	bool from_disk;           /* data-in from the disk (else buf holds it all) */
	bool lba48;
	uint64_t lba;             /* first sector of the current block */
	uint64_t left;            /* sectors left, the current block included */
	unsigned block;           /* sectors per DRQ block */
	size_t pos, len;          /* bytes moved / bytes in the current block */
	uint8_t *buf;
};

struct ata_channel {
	pthread_mutex_t lock;
	const struct emul_irq *irq;
	unsigned irq_nr;
	uint8_t devctl;           /* HOB, SRST, nIEN */
	unsigned sel;             /* 0 master, 1 slave */
	bool pulse;               /* send one pulse when unlocking */
	struct ata_drive drive[2];
	struct ata_stats stats;
};

/* ---- Locking and interrupts ------------------------------------------------ */

static void lock(struct ata_channel *ch)
{
	pthread_mutex_lock(&ch->lock);
}

/* Unlocks, then sends the pulse an access asked for (never under the lock). */
static void unlock(struct ata_channel *ch)
{
	bool pulse = ch->pulse;

	ch->pulse = false;
	if (pulse)
		ch->stats.interrupts++;
	pthread_mutex_unlock(&ch->lock);
	if (pulse)
		emul_irq_pulse(ch->irq, ch->irq_nr);
}

static struct ata_drive *selected(struct ata_channel *ch)
{
	return &ch->drive[ch->sel];
}

/* The device asserts INTRQ. */
static void raise_irq(struct ata_channel *ch, struct ata_drive *d)
{
	d->irq_pending = true;
	if (d == selected(ch) && !(ch->devctl & ATA_CTL_NIEN))
		ch->pulse = true;
}

/* ---- Task file helpers ---------------------------------------------------- */

static void signature(struct ata_drive *d)
{
	d->nsect = 1;
	d->lbal = 1;
	d->lbam = d->lbah = 0;
	d->hob_nsect = d->hob_lbal = d->hob_lbam = d->hob_lbah = 0;
	d->feature = d->hob_feature = 0;
	d->device = 0;
	d->error = DIAG_PASSED;
	d->status = d->disk ? ST_READY : 0;
	d->irq_pending = false;
	d->xfer = XFER_NONE;
	d->pos = d->len = 0;
}

/* Puts sector address lba into the address registers, in the form the
 * command used (48-bit, 28-bit LBA, or CHS). */
static void set_address(struct ata_drive *d, uint64_t lba, bool lba48)
{
	if (lba48) {
		d->lbal = (uint8_t)lba;
		d->lbam = (uint8_t)(lba >> 8);
		d->lbah = (uint8_t)(lba >> 16);
		d->hob_lbal = (uint8_t)(lba >> 24);
		d->hob_lbam = (uint8_t)(lba >> 32);
		d->hob_lbah = (uint8_t)(lba >> 40);
	} else if (d->device & ATA_DEV_LBA) {
		d->lbal = (uint8_t)lba;
		d->lbam = (uint8_t)(lba >> 8);
		d->lbah = (uint8_t)(lba >> 16);
		d->device = (uint8_t)((d->device & 0xf0) | ((lba >> 24) & 0x0f));
	} else {
		uint64_t track = lba / d->spt, cyl = track / d->heads;

		d->lbal = (uint8_t)(lba % d->spt + 1);
		d->lbam = (uint8_t)cyl;
		d->lbah = (uint8_t)(cyl >> 8);
		d->device = (uint8_t)((d->device & 0xf0) | (track % d->heads));
	}
}

/* The sector range a read/write/verify command names. false: the address
 * is invalid or the range leaves the disk; *bad is then the first sector
 * that is not there (or UINT64_MAX for an impossible CHS address). */
static bool command_range(const struct ata_drive *d, bool lba48, uint64_t *lba, uint64_t *count,
			  uint64_t *bad)
{
	uint64_t limit;

	*bad = UINT64_MAX;
	if (lba48) {
		*lba = (uint64_t)d->hob_lbah << 40 | (uint64_t)d->hob_lbam << 32 |
		       (uint64_t)d->hob_lbal << 24 | (uint64_t)d->lbah << 16 |
		       (uint64_t)d->lbam << 8 | d->lbal;
		*count = (uint64_t)d->hob_nsect << 8 | d->nsect;
		if (!*count)
			*count = 65536;
		limit = d->sectors < LBA48_LIMIT ? d->sectors : LBA48_LIMIT;
	} else {
		if (d->device & ATA_DEV_LBA) {
			*lba = (uint64_t)(d->device & 0x0f) << 24 | (uint64_t)d->lbah << 16 |
			       (uint64_t)d->lbam << 8 | d->lbal;
		} else {
			unsigned cyl = (unsigned)d->lbah << 8 | d->lbam;
			unsigned head = d->device & 0x0f, sect = d->lbal;

			if (!sect || sect > d->spt || head >= d->heads || cyl >= d->cyls)
				return false;
			*lba = ((uint64_t)cyl * d->heads + head) * d->spt + sect - 1;
		}
		*count = d->nsect ? d->nsect : 256;
		limit = d->sectors < LBA28_LIMIT ? d->sectors : LBA28_LIMIT;
	}
	if (*lba >= limit || *count > limit - *lba) {
		*bad = *lba >= limit ? *lba : limit;
		return false;
	}
	return true;
}

/* ---- Command completion ---------------------------------------------------- */

static void complete(struct ata_channel *ch, struct ata_drive *d)
{
	d->xfer = XFER_NONE;
	d->pos = d->len = 0;
	d->status = ST_READY;
	raise_irq(ch, d);
}

static void fail(struct ata_channel *ch, struct ata_drive *d, uint8_t error)
{
	d->xfer = XFER_NONE;
	d->pos = d->len = 0;
	d->error = error;
	d->status = ST_READY | ATA_SR_ERR;
	ch->stats.errors++;
	raise_irq(ch, d);
}

/* Fails with IDNF, leaving the address of the missing sector behind. */
static void fail_range(struct ata_channel *ch, struct ata_drive *d, bool lba48, uint64_t bad)
{
	if (bad != UINT64_MAX)
		set_address(d, bad, lba48);
	fail(ch, d, ATA_ER_IDNF);
}

/* ---- PIO data-in and data-out --------------------------------------------- */

static unsigned block_sectors(const struct ata_drive *d)
{
	return d->left < d->block ? (unsigned)d->left : d->block;
}

/* Reads the next data-in block from the disk and offers it (DRQ, INTRQ). */
static void load_in_block(struct ata_channel *ch, struct ata_drive *d)
{
	unsigned n = block_sectors(d);
	struct iovec iov = { d->buf, (size_t)n * SECTOR };

	if (disk_preadv(d->disk, &iov, 1, d->lba * SECTOR) < 0) {
		set_address(d, d->lba, d->lba48);
		fail(ch, d, ATA_ER_UNC);
		return;
	}
	ch->stats.sectors_read += n;
	set_address(d, d->lba + n - 1, d->lba48);
	d->pos = 0;
	d->len = iov.iov_len;
	d->status = ST_READY | ATA_SR_DRQ;
	raise_irq(ch, d);
}

/* The guest has read the whole block. */
static void in_block_done(struct ata_channel *ch, struct ata_drive *d)
{
	uint64_t n = d->len / SECTOR;

	d->left = n < d->left ? d->left - n : 0;
	d->lba += n;
	if (d->from_disk && d->left) {
		load_in_block(ch, d);
	} else {
		d->xfer = XFER_NONE;
		d->pos = d->len = 0;
		d->status = ST_READY;      /* the last block: no interrupt */
	}
}

/* Asks for the next data-out block (DRQ). */
static void begin_out_block(struct ata_drive *d)
{
	d->pos = 0;
	d->len = (size_t)block_sectors(d) * SECTOR;
	d->status = ST_READY | ATA_SR_DRQ;
}

/* The guest has written the whole block: to the disk with it. */
static void out_block_done(struct ata_channel *ch, struct ata_drive *d)
{
	unsigned n = (unsigned)(d->len / SECTOR);
	struct iovec iov = { d->buf, d->len };

	if (disk_pwritev(d->disk, &iov, 1, d->lba * SECTOR) < 0) {
		set_address(d, d->lba, d->lba48);
		fail(ch, d, ATA_ER_ABRT);
		return;
	}
	ch->stats.sectors_written += n;
	set_address(d, d->lba + n - 1, d->lba48);
	d->lba += n;
	d->left = n < d->left ? d->left - n : 0;
	if (d->left) {
		begin_out_block(d);
		raise_irq(ch, d);
	} else {
		complete(ch, d);
	}
}

/* Moves up to n bytes of the current data-in block to p; 0 without DRQ. */
static size_t data_in(struct ata_channel *ch, uint8_t *p, size_t n)
{
	struct ata_drive *d = selected(ch);
	size_t k;

	if (d->xfer != XFER_IN || !d->disk || (ch->devctl & ATA_CTL_SRST) || d->pos >= d->len)
		return 0;
	k = d->len - d->pos < n ? d->len - d->pos : n;
	memcpy(p, d->buf + d->pos, k);
	d->pos += k;
	if (d->pos == d->len)
		in_block_done(ch, d);
	return k;
}

/* Moves up to n bytes from p into the current data-out block; 0 without DRQ. */
static size_t data_out(struct ata_channel *ch, const uint8_t *p, size_t n)
{
	struct ata_drive *d = selected(ch);
	size_t k;

	if (d->xfer != XFER_OUT || !d->disk || (ch->devctl & ATA_CTL_SRST) || d->pos >= d->len)
		return 0;
	k = d->len - d->pos < n ? d->len - d->pos : n;
	memcpy(d->buf + d->pos, p, k);
	d->pos += k;
	if (d->pos == d->len)
		out_block_done(ch, d);
	return k;
}

/* Every step moves at least one byte or ends the loop: bounded by bytes. */
static size_t data_in_all(struct ata_channel *ch, uint8_t *p, size_t bytes)
{
	size_t done = 0, k;

	while (done < bytes && (k = data_in(ch, p + done, bytes - done)) > 0)
		done += k;
	memset(p + done, 0, bytes - done);
	return done;
}

static size_t data_out_all(struct ata_channel *ch, const uint8_t *p, size_t bytes)
{
	size_t done = 0, k;

	while (done < bytes && (k = data_out(ch, p + done, bytes - done)) > 0)
		done += k;
	return done;
}

/* ---- Commands ---------------------------------------------------------------- */

/* Stores ATA string s in words [first, first + words): two characters a
 * word, the first in the high byte, padded with spaces. */
static void put_string(uint16_t *id, unsigned first, unsigned words, const char *s)
{
	size_t len = strlen(s);

	for (unsigned i = 0; i < words * 2; i++) {
		uint8_t c = i < len ? (uint8_t)s[i] : ' ';

		if (i % 2 == 0)
			id[first + i / 2] = (uint16_t)(c << 8);
		else
			id[first + i / 2] |= c;
	}
}

static void cmd_identify(struct ata_channel *ch, struct ata_drive *d)
{
	uint16_t id[256];
	uint64_t lba28 = d->sectors < LBA28_LIMIT ? d->sectors : LBA28_LIMIT;
	uint64_t lba48 = d->sectors < LBA48_LIMIT ? d->sectors : LBA48_LIMIT - 1;
	uint64_t chs = (uint64_t)d->cyls * d->heads * d->spt;
	char serial[DISK_ID_BYTES + 1];
	uint8_t sum = 0;

	memcpy(serial, d->disk->id, DISK_ID_BYTES);
	serial[DISK_ID_BYTES] = '\0';
	memset(id, 0, sizeof(id));
	id[0] = 0x0040;                     /* ATA device, fixed (not removable) */
	id[1] = (uint16_t)d->def_cyls;
	id[2] = 0xc837;                     /* no SET FEATURES spin-up; IDENTIFY complete */
	id[3] = 16;
	id[6] = 63;
	put_string(id, 10, 10, serial);
	put_string(id, 23, 4, ATA_FIRMWARE);
	put_string(id, 27, 20, ATA_MODEL);
	id[47] = 0x8000 | ATA_MAX_MULTIPLE;
	id[49] = 1u << 9;                   /* LBA supported (no DMA) */
	id[50] = 0x4000;
	id[51] = 0x0200;                    /* PIO mode 2 timing (obsolete word) */
	id[53] = 0x0003;                    /* words 54-58 and 64-70 valid */
	id[54] = (uint16_t)d->cyls;
	id[55] = (uint16_t)d->heads;
	id[56] = (uint16_t)d->spt;
	id[57] = (uint16_t)chs;
	id[58] = (uint16_t)(chs >> 16);
	id[59] = d->mult ? (uint16_t)(0x0100 | d->mult) : 0;
	id[60] = (uint16_t)lba28;
	id[61] = (uint16_t)(lba28 >> 16);
	id[64] = 0x0003;                    /* PIO modes 3 and 4 */
	id[67] = 120;                       /* PIO cycle times, ns */
	id[68] = 120;
	id[80] = 0x007e;                    /* ATA-1 .. ATA/ATAPI-6 */
	id[82] = (1u << 5) | (1u << 3);     /* write cache, power management */
	id[83] = 0x4000 | (1u << 13) | (1u << 12) | (1u << 10); /* FLUSH EXT, FLUSH, LBA48 */
	id[84] = 0x4000;
	id[85] = (1u << 5) | (1u << 3);
	id[86] = (1u << 13) | (1u << 12) | (1u << 10);
	id[87] = 0x4000;
	id[100] = (uint16_t)lba48;
	id[101] = (uint16_t)(lba48 >> 16);
	id[102] = (uint16_t)(lba48 >> 32);
	id[103] = (uint16_t)(lba48 >> 48);
	id[255] = 0x00a5;                   /* integrity word: checksum below */
	for (unsigned i = 0; i < 256; i++) {
		d->buf[2 * i] = (uint8_t)id[i];
		d->buf[2 * i + 1] = (uint8_t)(id[i] >> 8);
	}
	for (unsigned i = 0; i < 511; i++)
		sum = (uint8_t)(sum + d->buf[i]);
	d->buf[511] = (uint8_t)-sum;
	d->xfer = XFER_IN;
	d->from_disk = false;
	d->left = 1;
	d->block = 1;
	d->pos = 0;
	d->len = SECTOR;
	d->status = ST_READY | ATA_SR_DRQ;
	raise_irq(ch, d);
}

static void cmd_rw(struct ata_channel *ch, struct ata_drive *d, bool write, bool lba48,
		   bool multiple)
{
	uint64_t lba, count, bad;

	if (multiple && !d->mult) {
		fail(ch, d, ATA_ER_ABRT);
		return;
	}
	if (write && d->disk->readonly) {
		fail(ch, d, ATA_ER_ABRT);
		return;
	}
	if (!command_range(d, lba48, &lba, &count, &bad)) {
		fail_range(ch, d, lba48, bad);
		return;
	}
	d->xfer = write ? XFER_OUT : XFER_IN;
	d->from_disk = true;
	d->lba48 = lba48;
	d->lba = lba;
	d->left = count;
	d->block = multiple ? d->mult : 1;
	if (write)
		begin_out_block(d);        /* the first block: DRQ, no interrupt */
	else
		load_in_block(ch, d);
}

static void cmd_verify(struct ata_channel *ch, struct ata_drive *d, bool lba48)
{
	uint64_t lba, count, bad;

	if (!command_range(d, lba48, &lba, &count, &bad)) {
		fail_range(ch, d, lba48, bad);
		return;
	}
	set_address(d, lba + count - 1, lba48);
	complete(ch, d);
}

static void cmd_flush(struct ata_channel *ch, struct ata_drive *d)
{
	ch->stats.flushes++;
	if (!d->disk->readonly && disk_flush(d->disk) < 0)
		fail(ch, d, ATA_ER_ABRT);
	else
		complete(ch, d);
}

static void cmd_set_multiple(struct ata_channel *ch, struct ata_drive *d)
{
	unsigned n = d->nsect;

	if (n > ATA_MAX_MULTIPLE || (n & (n - 1))) {
		fail(ch, d, ATA_ER_ABRT);
		return;
	}
	d->mult = n;                        /* 0 turns multiple mode off */
	complete(ch, d);
}

static void cmd_init_params(struct ata_channel *ch, struct ata_drive *d)
{
	unsigned spt = d->nsect, heads = (d->device & 0x0f) + 1u;
	uint64_t cyls;

	if (!spt) {
		fail(ch, d, ATA_ER_ABRT);
		return;
	}
	cyls = d->sectors / ((uint64_t)heads * spt);
	d->spt = spt;
	d->heads = heads;
	d->cyls = cyls > 65535 ? 65535 : (unsigned)cyls;
	complete(ch, d);
}

/* EXECUTE DEVICE DIAGNOSTIC: both devices, whichever is selected. */
static void cmd_diagnostic(struct ata_channel *ch)
{
	signature(&ch->drive[0]);
	signature(&ch->drive[1]);
	ch->sel = 0;
	raise_irq(ch, &ch->drive[0]);
}

static void command(struct ata_channel *ch, uint8_t cmd)
{
	struct ata_drive *d = selected(ch);

	if (ch->devctl & ATA_CTL_SRST)
		return;                     /* held in reset */
	if (cmd == ATA_CMD_EXEC_DIAGNOSTIC) {
		ch->stats.commands++;
		cmd_diagnostic(ch);
		return;
	}
	if (!d->disk)
		return;                     /* absent device: not executed */
	ch->stats.commands++;
	d->xfer = XFER_NONE;
	d->pos = d->len = 0;
	d->irq_pending = false;
	d->error = 0;
	d->status = ST_READY;
	switch (cmd) {
	case ATA_CMD_IDENTIFY:
		cmd_identify(ch, d);
		break;
	case ATA_CMD_READ_SECTORS:
	case ATA_CMD_READ_SECTORS + 1:      /* without retries */
		cmd_rw(ch, d, false, false, false);
		break;
	case ATA_CMD_READ_SECTORS_EXT:
		cmd_rw(ch, d, false, true, false);
		break;
	case ATA_CMD_READ_MULTIPLE:
		cmd_rw(ch, d, false, false, true);
		break;
	case ATA_CMD_READ_MULTIPLE_EXT:
		cmd_rw(ch, d, false, true, true);
		break;
	case ATA_CMD_WRITE_SECTORS:
	case ATA_CMD_WRITE_SECTORS + 1:     /* without retries */
		cmd_rw(ch, d, true, false, false);
		break;
	case ATA_CMD_WRITE_SECTORS_EXT:
		cmd_rw(ch, d, true, true, false);
		break;
	case ATA_CMD_WRITE_MULTIPLE:
		cmd_rw(ch, d, true, false, true);
		break;
	case ATA_CMD_WRITE_MULTIPLE_EXT:
		cmd_rw(ch, d, true, true, true);
		break;
	case ATA_CMD_READ_VERIFY:
	case ATA_CMD_READ_VERIFY + 1:
		cmd_verify(ch, d, false);
		break;
	case ATA_CMD_READ_VERIFY_EXT:
		cmd_verify(ch, d, true);
		break;
	case ATA_CMD_FLUSH_CACHE:
	case ATA_CMD_FLUSH_CACHE_EXT:
		cmd_flush(ch, d);
		break;
	case ATA_CMD_SET_MULTIPLE:
		cmd_set_multiple(ch, d);
		break;
	case ATA_CMD_INIT_DEV_PARAMS:
		cmd_init_params(ch, d);
		break;
	case ATA_CMD_CHECK_POWER_MODE:
	case 0x98:                          /* CHECK POWER MODE, old opcode */
		d->nsect = 0xff;            /* active or idle */
		complete(ch, d);
		break;
	case ATA_CMD_SET_FEATURES:          /* accepted, nothing to change */
	case 0x10 ... 0x1f:                 /* RECALIBRATE */
	case 0x70 ... 0x7f:                 /* SEEK */
	case 0x94 ... 0x97:                 /* standby/idle, old opcodes */
	case 0x99:                          /* SLEEP, old opcode */
	case 0xe0 ... 0xe3:                 /* STANDBY/IDLE (IMMEDIATE) */
	case 0xe6:                          /* SLEEP */
		complete(ch, d);
		break;
	default:
		fail(ch, d, ATA_ER_ABRT);
		break;
	}
}

/* ---- Registers ------------------------------------------------------------- */

static void latch(struct ata_drive *d, unsigned reg, uint8_t v)
{
	switch (reg) {
	case ATA_REG_FEATURES:
		d->hob_feature = d->feature;
		d->feature = v;
		break;
	case ATA_REG_NSECT:
		d->hob_nsect = d->nsect;
		d->nsect = v;
		break;
	case ATA_REG_LBAL:
		d->hob_lbal = d->lbal;
		d->lbal = v;
		break;
	case ATA_REG_LBAM:
		d->hob_lbam = d->lbam;
		d->lbam = v;
		break;
	case ATA_REG_LBAH:
		d->hob_lbah = d->lbah;
		d->lbah = v;
		break;
	case ATA_REG_DEVICE:
		d->device = v;
		break;
	}
}

/* A write to task file register reg (1..7). */
static void write_reg(struct ata_channel *ch, unsigned reg, uint8_t v)
{
	ch->devctl &= (uint8_t)~ATA_CTL_HOB;
	if (reg == ATA_REG_COMMAND) {
		command(ch, v);
		return;
	}
	latch(&ch->drive[0], reg, v);
	latch(&ch->drive[1], reg, v);
	if (reg == ATA_REG_DEVICE) {
		unsigned sel = (v & ATA_DEV_DEV) ? 1 : 0;

		if (sel != ch->sel) {
			ch->sel = sel;
			if (selected(ch)->irq_pending && !(ch->devctl & ATA_CTL_NIEN))
				ch->pulse = true;
		}
	}
}

static uint8_t read_status(struct ata_channel *ch, bool clear)
{
	struct ata_drive *d = selected(ch);

	if (!d->disk)
		return 0;
	if (ch->devctl & ATA_CTL_SRST)
		return ATA_SR_BSY;
	if (clear)
		d->irq_pending = false;
	return d->status;
}

/* A read of task file register reg (1..7). */
static uint8_t read_reg(struct ata_channel *ch, unsigned reg)
{
	struct ata_drive *d = selected(ch);
	bool hob = ch->devctl & ATA_CTL_HOB;

	if (reg == ATA_REG_STATUS)
		return read_status(ch, true);
	if (d->disk && (ch->devctl & ATA_CTL_SRST))
		return ATA_SR_BSY;          /* BSY: every register reads as status */
	switch (reg) {
	case ATA_REG_ERROR:
		return d->error;
	case ATA_REG_NSECT:
		return hob ? d->hob_nsect : d->nsect;
	case ATA_REG_LBAL:
		return hob ? d->hob_lbal : d->lbal;
	case ATA_REG_LBAM:
		return hob ? d->hob_lbam : d->lbam;
	case ATA_REG_LBAH:
		return hob ? d->hob_lbah : d->lbah;
	case ATA_REG_DEVICE:
		return d->device;
	}
	return 0xff;
}

static void write_devctl(struct ata_channel *ch, uint8_t v)
{
	uint8_t old = ch->devctl;

	ch->devctl = v & (ATA_CTL_HOB | ATA_CTL_SRST | ATA_CTL_NIEN);
	if ((v & ATA_CTL_SRST) && !(old & ATA_CTL_SRST)) {
		for (unsigned i = 0; i < 2; i++) {
			ch->drive[i].xfer = XFER_NONE;
			ch->drive[i].pos = ch->drive[i].len = 0;
			ch->drive[i].irq_pending = false;
		}
		return;
	}
	if (!(v & ATA_CTL_SRST) && (old & ATA_CTL_SRST)) {
		signature(&ch->drive[0]);
		signature(&ch->drive[1]);
		ch->sel = 0;
		return;
	}
	if ((old & ATA_CTL_NIEN) && !(v & ATA_CTL_NIEN) && selected(ch)->irq_pending)
		ch->pulse = true;
}

static unsigned clamp_size(unsigned size)
{
	return size < 1 ? 1 : size > 4 ? 4 : size;
}

static uint32_t taskfile_read(void *dev, uint16_t offset, unsigned size)
{
	struct ata_channel *ch = dev;
	uint32_t v = 0;

	size = clamp_size(size);
	lock(ch);
	if (offset == ATA_REG_DATA) {
		uint8_t b[4];

		data_in_all(ch, b, size);
		for (unsigned i = 0; i < size; i++)
			v |= (uint32_t)b[i] << (8 * i);
	} else {
		for (unsigned i = 0; i < size; i++) {
			unsigned reg = offset + i;
			uint8_t b = reg < ATA_TASKFILE_LEN ? read_reg(ch, reg) : 0xff;

			v |= (uint32_t)b << (8 * i);
		}
	}
	unlock(ch);
	return v;
}

static void taskfile_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct ata_channel *ch = dev;
	uint8_t b[4];

	size = clamp_size(size);
	for (unsigned i = 0; i < 4; i++)
		b[i] = (uint8_t)(value >> (8 * i));
	lock(ch);
	if (offset == ATA_REG_DATA) {
		data_out_all(ch, b, size);
	} else {
		for (unsigned i = 0; i < size && offset + i < ATA_TASKFILE_LEN; i++)
			write_reg(ch, offset + i, b[i]);
	}
	unlock(ch);
}

static uint32_t control_read(void *dev, uint16_t offset, unsigned size)
{
	struct ata_channel *ch = dev;
	uint32_t v;

	size = clamp_size(size);
	if (offset != 0)
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	lock(ch);
	v = read_status(ch, false);
	unlock(ch);
	if (size > 1)
		v |= (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1) & ~0xffu;
	return v;
}

static void control_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct ata_channel *ch = dev;

	if (offset != 0)
		return;
	lock(ch);
	write_devctl(ch, (uint8_t)value);
	unlock(ch);
}

/* ---- Public interface --------------------------------------------------- */

static bool drive_init(struct ata_drive *d, struct disk *disk)
{
	uint64_t cyls;

	memset(d, 0, sizeof(*d));
	d->disk = disk;
	if (disk) {
		if (posix_memalign((void **)&d->buf, 4096, BUF_BYTES))
			return false;
		memset(d->buf, 0, BUF_BYTES);
		d->sectors = disk_sectors(disk);
	}
	cyls = d->sectors / (16 * 63);
	d->def_cyls = cyls < 1 ? 1 : cyls > 16383 ? 16383 : (unsigned)cyls;
	d->cyls = d->def_cyls;
	d->heads = 16;
	d->spt = 63;
	signature(d);
	return true;
}

struct ata_channel *ata_create(const struct emul_irq *irq, unsigned irq_nr, struct disk *master,
			       struct disk *slave)
{
	struct ata_channel *ch;

	if (!master)
		return NULL;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return NULL;
	if (!drive_init(&ch->drive[0], master) || !drive_init(&ch->drive[1], slave)) {
		free(ch->drive[0].buf);
		free(ch->drive[1].buf);
		free(ch);
		return NULL;
	}
	pthread_mutex_init(&ch->lock, NULL);
	ch->irq = irq;
	ch->irq_nr = irq_nr;
	return ch;
}

void ata_destroy(struct ata_channel *ch)
{
	if (!ch)
		return;
	pthread_mutex_destroy(&ch->lock);
	free(ch->drive[0].buf);
	free(ch->drive[1].buf);
	free(ch);
}

void ata_regions(struct ata_channel *ch, struct emul_pio_region *taskfile,
		 struct emul_pio_region *control)
{
	*taskfile = (struct emul_pio_region){
		.name = "ata0",
		.base = PVISOR_PORT_ATA0,
		.len = ATA_TASKFILE_LEN,
		.read = taskfile_read,
		.write = taskfile_write,
		.dev = ch,
	};
	*control = (struct emul_pio_region){
		.name = "ata0-control",
		.base = PVISOR_PORT_ATA0_CTL,
		.len = ATA_CONTROL_LEN,
		.read = control_read,
		.write = control_write,
		.dev = ch,
	};
}

size_t ata_data_read_block(struct ata_channel *ch, void *buf, size_t bytes)
{
	size_t done;

	lock(ch);
	done = data_in_all(ch, buf, bytes);
	unlock(ch);
	return done;
}

size_t ata_data_write_block(struct ata_channel *ch, const void *buf, size_t bytes)
{
	size_t done;

	lock(ch);
	done = data_out_all(ch, buf, bytes);
	unlock(ch);
	return done;
}

void ata_get_stats(struct ata_channel *ch, struct ata_stats *out)
{
	lock(ch);
	*out = ch->stats;
	pthread_mutex_unlock(&ch->lock);
}

/* ata.c: the PC's primary ATA channel driven by PIO, from ATA/ATAPI-6:
 * probing, device selection, the PIO data-in (IDENTIFY, READ), data-out
 * (WRITE) and non-data (FLUSH CACHE, SET MULTIPLE MODE) protocols, errors
 * and software reset.
 *
 * Interrupts: INTRQ stays enabled (nIEN = 0) and IRQ 14 is bound with
 * pv_irq_bind(); the handler only posts ch->intr. A command's thread
 * sleeps on it and reads the Status register when woken (the read
 * acknowledges INTRQ), then moves the DRQ block with one `rep insw`, or
 * `rep outsl` for writes (ata_outsl() says why). Without an IRQ
 * (pv_irq_bind() failed) the thread polls the status instead. A wait
 * also looks at the device every ATA_IRQ_SLICE_NS, so a lost edge costs a
 * slice, not the command.
 *
 * Addressing: 28-bit commands (READ SECTORS ...) whenever the request
 * ends below LBA 2^28, the EXT commands only above: their two-byte
 * register FIFOs take three more register writes (exits) per command.
 * READ/WRITE MULTIPLE replace READ/WRITE SECTORS when the drive accepts
 * SET MULTIPLE MODE: one interrupt per ATA_MULTIPLE_WANTED sectors
 * instead of one per sector.
 *
 * Errors: ERR or DF in the status ends the command with -EIO (the error
 * register is kept in the drive); a timeout or a device in a state the
 * protocol does not allow resets the channel (SRST) and fails the
 * command with -EIO. */
#include <errno.h>
#include <stddef.h>
#include <pv/io.h>
#include <pv/irq.h>
#include <pv/thread.h>
#include <pv/time.h>
#include <pvisor/platform.h>
#include "ata.h"

#define ATA_IRQ_SLICE_NS	(100 * PV_NSEC_PER_MSEC)
#define ATA_CMD_TIMEOUT_NS	(30 * PV_NSEC_PER_SEC)	/* ATA's own upper bound */
#define ATA_PROBE_TIMEOUT_NS	(2 * PV_NSEC_PER_SEC)
#define ATA_FLOATING		0xffu	/* status of a bus with nothing on it */

struct ata_channel {
	uint16_t base, ctl;
	unsigned irq;
	int port;			/* the IRQ's event port; 0: polled */
	struct pv_mutex lock;		/* one command at a time; the probe */
	struct pv_sem intr;		/* posted by the IRQ handler */
	int selected;			/* unit the device register selects, -1: unknown */
	bool probed;
	bool resetting;			/* channel_reset() runs */
	unsigned ndrives;
	struct ata_drive *found[ATA_UNITS];	/* hard disks, in probe order */
	struct ata_drive drives[ATA_UNITS];	/* by unit */
	struct ata_drive *active;	/* whose command runs (for the counters) */
	uint64_t stray_interrupts;	/* with no command running */
};

static struct ata_channel primary = {
	.base = PVISOR_PORT_ATA0,
	.ctl = PVISOR_PORT_ATA0_CTL,
	.irq = PVISOR_IRQ_ATA0,
	.selected = -1,
};

/* ---- Registers ----------------------------------------------------------- */

static uint8_t read_status(struct ata_channel *ch)
{
	return inb(ch->base + ATA_STATUS);	/* acknowledges INTRQ */
}

static uint8_t alt_status(struct ata_channel *ch)
{
	return inb(ch->ctl);
}

static uint64_t deadline_in(uint64_t ns)
{
	return pv_clock_ns() + ns;
}

static bool expired(uint64_t deadline)
{
	return pv_clock_ns() >= deadline;
}

/* ---- Interrupts ------------------------------------------------------------ */

/* Upcall context: count and wake the command's thread. */
static void ata_irq(unsigned int port, void *arg)
{
	struct ata_channel *ch = arg;

	(void)port;
	if (ch->active)
		ch->active->counters.interrupts++;
	else
		ch->stray_interrupts++;
	pv_sem_post(&ch->intr);
}

/* Forgets interrupts of earlier commands (late or spurious edges). */
static void intr_drain(struct ata_channel *ch)
{
	while (pv_sem_trywait(&ch->intr) == 0)
		;
}

/* Sleeps until the IRQ handler posts or a slice passes; true if it did. */
static bool intr_arrived(struct ata_channel *ch, uint64_t deadline)
{
	uint64_t until;

	if (pv_sem_trywait(&ch->intr) == 0)
		return true;	/* the usual case: it came with the access */
	ch->active->counters.sleeps++;
	until = deadline_in(ATA_IRQ_SLICE_NS);
	return pv_sem_timedwait(&ch->intr, until < deadline ? until : deadline) == 0;
}

/* Waits for the device's interrupt; returns the Status register read
 * after it (BSY clear), or -ETIMEDOUT. A wake-up while the device is
 * still busy was an earlier edge: it waits on. Polled, or when a slice
 * passes without an interrupt, the status alone decides. */
static int wait_intr(struct ata_channel *ch, uint64_t deadline)
{
	for (;;) {
		bool posted = false;
		uint8_t st;

		if (ch->port > 0)
			posted = intr_arrived(ch, deadline);
		else
			pv_thread_yield();
		st = read_status(ch);
		if (!(st & ATA_ST_BSY)) {
			if (!posted && ch->port > 0)
				ch->active->counters.lost_interrupts++;
			return st;
		}
		if (expired(deadline))
			return -ETIMEDOUT;
	}
}

/* Polls the alternate status until BSY is clear and one of the bits in
 * want is set (want 0: BSY and DRQ both clear). The first read only
 * passes the 400 ns during which a device may not yet show BSY. */
static int poll_status(struct ata_channel *ch, uint8_t want, uint64_t deadline)
{
	(void)alt_status(ch);
	for (;;) {
		uint8_t st = alt_status(ch);

		if (!(st & ATA_ST_BSY) && (want ? (st & want) : !(st & ATA_ST_DRQ)))
			return st;
		if (expired(deadline))
			return -ETIMEDOUT;
		pv_thread_yield();
	}
}

/* ---- Reset --------------------------------------------------------------- */

static int set_multiple(struct ata_drive *d, unsigned sectors);

/* Software reset of both drives (SRST for >= 5 us, then >= 2 ms before
 * the status means anything), then each drive's READ/WRITE MULTIPLE
 * block size again. */
static void channel_reset(struct ata_channel *ch)
{
	if (ch->resetting)
		return;		/* a command of the reset itself failed */
	ch->resetting = true;
	ch->active->counters.resets++;
	outb(ch->ctl, ATA_CTL_SRST);
	pv_sleep_us(5);
	outb(ch->ctl, 0);		/* nIEN clear: interrupts on */
	pv_sleep_ms(2);
	poll_status(ch, 0, deadline_in(ATA_CMD_TIMEOUT_NS));
	ch->selected = -1;
	for (unsigned u = 0; u < ATA_UNITS; u++) {
		struct ata_drive *d = &ch->drives[u];

		if (d->multiple && set_multiple(d, d->multiple) < 0)
			d->multiple = 0;
	}
	ch->resetting = false;
}

/* The device broke the protocol or stopped answering. */
static int protocol_failure(struct ata_channel *ch)
{
	channel_reset(ch);
	return -EIO;
}

/* ERR or DF: keep the error register for the record. */
static int device_error(struct ata_channel *ch, struct ata_drive *d, uint8_t st)
{
	d->last_error = inb(ch->base + ATA_ERROR);
	if (st & ATA_ST_DRQ)	/* the device still wants data moved: start over */
		channel_reset(ch);
	return -EIO;
}

/* What a status read after an interrupt means for the command. */
static int check_status(struct ata_channel *ch, struct ata_drive *d, int st, bool want_drq)
{
	if (st < 0)
		return protocol_failure(ch);
	if (st & (ATA_ST_ERR | ATA_ST_DF))
		return device_error(ch, d, (uint8_t)st);
	if (!(st & ATA_ST_DRQ) != !want_drq)
		return protocol_failure(ch);
	return 0;
}

/* ---- Issuing a command ------------------------------------------------------ */

/* The device selection protocol: BSY and DRQ clear before and after
 * writing the device register. Only when the unit changes. */
static int select_unit(struct ata_channel *ch, unsigned unit, uint64_t deadline)
{
	if (ch->selected == (int)unit)
		return 0;
	if (poll_status(ch, 0, deadline) < 0)
		return -ETIMEDOUT;
	outb(ch->base + ATA_DEVICE, ATA_DEV_OBS | ATA_DEV_LBA | ATA_DEV_UNIT(unit));
	ch->selected = (int)unit;
	return poll_status(ch, 0, deadline) < 0 ? -ETIMEDOUT : 0;
}

/* Sector count and LBA for a 28-bit command (count 256 is written as 0);
 * the device register carries LBA bits 27..24. */
static void taskfile_lba28(struct ata_channel *ch, unsigned unit, uint64_t lba, unsigned count)
{
	outb(ch->base + ATA_DEVICE,
	     (uint8_t)(ATA_DEV_OBS | ATA_DEV_LBA | ATA_DEV_UNIT(unit) | ((lba >> 24) & 0x0f)));
	outb(ch->base + ATA_NSECT, (uint8_t)count);
	outb(ch->base + ATA_LBA_LOW, (uint8_t)lba);
	outb(ch->base + ATA_LBA_MID, (uint8_t)(lba >> 8));
	outb(ch->base + ATA_LBA_HIGH, (uint8_t)(lba >> 16));
}

/* The same for an EXT command: each register is a two-byte FIFO, high
 * byte first. The device register (selected already) needs no write. */
static void taskfile_lba48(struct ata_channel *ch, uint64_t lba, unsigned count)
{
	outb(ch->base + ATA_NSECT, (uint8_t)(count >> 8));
	outb(ch->base + ATA_LBA_LOW, (uint8_t)(lba >> 24));
	outb(ch->base + ATA_LBA_MID, (uint8_t)(lba >> 32));
	outb(ch->base + ATA_LBA_HIGH, (uint8_t)(lba >> 40));
	outb(ch->base + ATA_NSECT, (uint8_t)count);
	outb(ch->base + ATA_LBA_LOW, (uint8_t)lba);
	outb(ch->base + ATA_LBA_MID, (uint8_t)(lba >> 8));
	outb(ch->base + ATA_LBA_HIGH, (uint8_t)(lba >> 16));
}

static void write_command(struct ata_channel *ch, uint8_t cmd)
{
	intr_drain(ch);
	outb(ch->base + ATA_COMMAND, cmd);
	ch->active->counters.commands++;
}

/* Selects d and writes a command without address (FLUSH CACHE,
 * IDENTIFY, ...) with the sector count register set to count. */
static int issue_plain(struct ata_drive *d, uint8_t cmd, unsigned count, uint64_t deadline)
{
	struct ata_channel *ch = d->ch;

	if (select_unit(ch, d->unit, deadline) < 0)
		return protocol_failure(ch);
	if (count)
		outb(ch->base + ATA_NSECT, (uint8_t)count);
	write_command(ch, cmd);
	return 0;
}

/* A non-data command: one interrupt at the end. */
static int run_nondata(struct ata_drive *d, uint8_t cmd, unsigned count)
{
	uint64_t deadline = deadline_in(ATA_CMD_TIMEOUT_NS);
	int rc = issue_plain(d, cmd, count, deadline);

	return rc < 0 ? rc : check_status(d->ch, d, wait_intr(d->ch, deadline), false);
}

/* ---- PIO data protocols -------------------------------------------------- */

/* 32-bit PIO writes: KVM emulates OUTS one element per exit, so `rep
 * outsl` costs half the exits of `rep outsw` for the same block (the
 * channel, like most PCI IDE controllers, takes 32-bit data-port
 * accesses). INS moves up to 1 KiB per exit either way: reads stay 16-bit,
 * the width ATA defines. */
static inline void ata_outsl(uint16_t port, const void *buf, size_t count)
{
	__asm__ volatile("rep outsl" : "+S"(buf), "+c"(count) : "d"(port) : "memory");
}

/* PIO data-in: an interrupt before each DRQ block of `block` sectors. */
static int pio_in(struct ata_drive *d, uint8_t *buf, unsigned count, unsigned block,
		  uint64_t deadline)
{
	struct ata_channel *ch = d->ch;

	while (count) {
		unsigned n = count < block ? count : block;
		int rc = check_status(ch, d, wait_intr(ch, deadline), true);

		if (rc < 0)
			return rc;
		insw(ch->base + ATA_DATA, buf, n * ATA_SECTOR_WORDS);
		buf += n * ATA_SECTOR_BYTES;
		count -= n;
	}
	return 0;
}

/* PIO data-out: the first block goes when DRQ shows (no interrupt), each
 * later one after the interrupt that ends the previous block; the last
 * interrupt carries the command's result. */
static int pio_out(struct ata_drive *d, const uint8_t *buf, unsigned count, unsigned block,
		   bool repeat, uint64_t deadline)
{
	struct ata_channel *ch = d->ch;
	int st = poll_status(ch, ATA_ST_DRQ | ATA_ST_ERR | ATA_ST_DF, deadline);

	while (count) {
		unsigned n = count < block ? count : block;
		int rc = check_status(ch, d, st, true);

		if (rc < 0)
			return rc;
		ata_outsl(ch->base + ATA_DATA, buf, n * ATA_SECTOR_WORDS / 2);
		if (!repeat)
			buf += n * ATA_SECTOR_BYTES;
		count -= n;
		st = wait_intr(ch, deadline);
	}
	return check_status(ch, d, st, false);
}

/* ---- Reads and writes ------------------------------------------------------- */

static uint8_t rw_command(const struct ata_drive *d, bool write, bool ext)
{
	static const uint8_t cmds[2][2][2] = {	/* [multiple][ext][write] */
		{ { ATA_CMD_READ, ATA_CMD_WRITE }, { ATA_CMD_READ_EXT, ATA_CMD_WRITE_EXT } },
		{ { ATA_CMD_READ_MULT, ATA_CMD_WRITE_MULT },
		  { ATA_CMD_READ_MULT_EXT, ATA_CMD_WRITE_MULT_EXT } },
	};

	return cmds[d->multiple != 0][ext][write];
}

/* Selects d, writes the address and the READ or WRITE command. */
static int issue_rw(struct ata_drive *d, bool write, uint64_t lba, unsigned count,
		    uint64_t deadline)
{
	struct ata_channel *ch = d->ch;
	bool ext = lba + count >= ATA_LBA28_LIMIT;

	if (count == 0 || count > ATA_MAX_SECTORS || (ext && !d->id.lba48))
		return -EINVAL;
	if (select_unit(ch, d->unit, deadline) < 0)
		return protocol_failure(ch);
	if (ext)
		taskfile_lba48(ch, lba, count);
	else
		taskfile_lba28(ch, d->unit, lba, count);
	write_command(ch, rw_command(d, write, ext));
	return 0;
}

/* Takes the channel for one of d's commands. */
static void channel_begin(struct ata_drive *d)
{
	pv_mutex_lock(&d->ch->lock);
	d->ch->active = d;
}

static void channel_end(struct ata_drive *d)
{
	d->ch->active = NULL;
	pv_mutex_unlock(&d->ch->lock);
}

static unsigned block_sectors(const struct ata_drive *d)
{
	return d->multiple ? d->multiple : 1;
}

int ata_read(struct ata_drive *d, uint64_t lba, unsigned count, void *buf)
{
	uint64_t deadline = deadline_in(ATA_CMD_TIMEOUT_NS);
	int rc;

	channel_begin(d);
	rc = issue_rw(d, false, lba, count, deadline);
	if (rc == 0)
		rc = pio_in(d, buf, count, block_sectors(d), deadline);
	channel_end(d);
	return rc;
}

int ata_write(struct ata_drive *d, uint64_t lba, unsigned count, const void *buf, bool repeat)
{
	uint64_t deadline = deadline_in(ATA_CMD_TIMEOUT_NS);
	int rc;

	channel_begin(d);
	rc = issue_rw(d, true, lba, count, deadline);
	if (rc == 0)
		rc = pio_out(d, buf, count, block_sectors(d), repeat, deadline);
	channel_end(d);
	return rc;
}

int ata_flush(struct ata_drive *d)
{
	int rc = 0;

	if (!d->id.flush)
		return 0;
	channel_begin(d);
	rc = run_nondata(d, d->id.flush_ext ? ATA_CMD_FLUSH_EXT : ATA_CMD_FLUSH, 0);
	channel_end(d);
	return rc;
}

/* ---- Probing -------------------------------------------------------------------- */

/* SET MULTIPLE MODE (channel locked): 0 if the drive took the block size. */
static int set_multiple(struct ata_drive *d, unsigned sectors)
{
	return run_nondata(d, ATA_CMD_SET_MULT, sectors);
}

/* The largest power of two <= both the drive's limit and ours; 0 below 2. */
static unsigned multiple_for(unsigned max_multiple)
{
	unsigned n = 1;

	while (n * 2 <= max_multiple && n * 2 <= ATA_MULTIPLE_WANTED)
		n *= 2;
	return n >= 2 ? n : 0;
}

/* IDENTIFY DEVICE on unit: -ENODEV unless an ATA hard disk answers. A
 * status of 0 after selection is device 0 answering for an absent device
 * 1; 0xff is a floating bus. */
static int identify(struct ata_drive *d)
{
	struct ata_channel *ch = d->ch;
	uint64_t deadline = deadline_in(ATA_PROBE_TIMEOUT_NS);
	uint16_t words[ATA_ID_WORDS];
	uint8_t st;
	int rc;

	if (select_unit(ch, d->unit, deadline) < 0) {
		channel_reset(ch);
		return -ENODEV;
	}
	st = alt_status(ch);
	if (st == 0 || st == ATA_FLOATING)
		return -ENODEV;
	write_command(ch, ATA_CMD_IDENTIFY);
	rc = wait_intr(ch, deadline);		/* ATAPI devices abort: ERR */
	if (rc < 0 || (rc & (ATA_ST_ERR | ATA_ST_DF)) || !(rc & ATA_ST_DRQ)) {
		if (rc < 0 || (rc & ATA_ST_DRQ))
			channel_reset(ch);
		return -ENODEV;
	}
	insw(ch->base + ATA_DATA, words, ATA_ID_WORDS);
	return ata_ident_parse(words, &d->id);
}

static void probe_unit(struct ata_channel *ch, unsigned unit)
{
	struct ata_drive *d = &ch->drives[unit];

	*d = (struct ata_drive){ .ch = ch, .unit = unit };
	ch->active = d;
	if (identify(d) == 0) {
		d->multiple = multiple_for(d->id.max_multiple);
		if (d->multiple && set_multiple(d, d->multiple) < 0)
			d->multiple = 0;
		ch->found[ch->ndrives++] = d;
	}
	ch->active = NULL;
}

/* Looks for a controller (a floating bus reads 0xff), binds its IRQ and
 * identifies both units. Channel locked. */
static void probe_channel(struct ata_channel *ch)
{
	int port;

	ch->probed = true;
	if (inb(ch->base + ATA_STATUS) == ATA_FLOATING && alt_status(ch) == ATA_FLOATING)
		return;
	port = pv_irq_bind(ch->irq, ata_irq, ch);
	ch->port = port > 0 ? port : 0;
	outb(ch->ctl, 0);		/* nIEN clear, SRST clear */
	for (unsigned unit = 0; unit < ATA_UNITS; unit++)
		probe_unit(ch, unit);
}

struct ata_drive *ata_find_drive(unsigned nth)
{
	struct ata_channel *ch = &primary;
	struct ata_drive *d;

	pv_mutex_lock(&ch->lock);
	if (!ch->probed)
		probe_channel(ch);
	d = nth < ch->ndrives ? ch->found[nth] : NULL;
	pv_mutex_unlock(&ch->lock);
	return d;
}

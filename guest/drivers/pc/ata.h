/* ata.h: the ATA PIO driver's channel and drives (ata.c: probing and the
 * PIO protocols; ata_identify.c: IDENTIFY DEVICE data; ata_blk.c: the
 * pv/blk.h backend on top).
 *
 * The PC's primary channel (docs/full-virt.md) has one register file for
 * both drives, one IRQ line and no command queue: one command runs at a
 * time, under the channel's mutex. A command's interrupts are waited for
 * on a semaphore the IRQ handler posts; data moves by `rep insw` (reads)
 * and `rep outsl` (writes), one DRQ block (1 sector, or up to 16 with
 * READ/WRITE MULTIPLE) per interrupt. */
#ifndef GUEST_PC_ATA_H
#define GUEST_PC_ATA_H

#include <stdbool.h>
#include <stdint.h>
#include <pv/sync.h>
#include "ata_regs.h"

#define ATA_UNITS		2	/* master, slave */
#define ATA_MAX_SECTORS		256u	/* per command (LBA28's limit) */
#define ATA_MULTIPLE_WANTED	16u	/* sectors per DRQ block we ask for */

struct ata_channel;

/* What IDENTIFY DEVICE said about a drive (ata_identify.c). */
struct ata_ident {
	uint64_t sectors;		/* user addressable, 512 bytes each */
	bool lba48;			/* 48-bit address feature set */
	bool flush;			/* FLUSH CACHE (a volatile write cache) */
	bool flush_ext;			/* FLUSH CACHE EXT */
	unsigned max_multiple;		/* sectors per DRQ block, 0: no MULTIPLE */
	char serial[ATA_ID_SERIAL_LEN + 1];	/* trimmed */
	char model[ATA_ID_MODEL_LEN + 1];	/* trimmed */
};

/* A drive's counters (for pv_blk_stats() and docs/native-drivers.md). */
struct ata_counters {
	uint64_t commands;		/* command register writes */
	uint64_t interrupts;		/* IRQ handler runs during its commands */
	uint64_t sleeps;		/* waits that blocked for an interrupt */
	uint64_t lost_interrupts;	/* the device was ready, no IRQ came */
	uint64_t resets;		/* channel resets its commands caused */
};

struct ata_drive {
	struct ata_channel *ch;
	unsigned unit;			/* 0 master, 1 slave */
	struct ata_ident id;
	unsigned multiple;		/* SET MULTIPLE MODE accepted: sectors per
					 * DRQ block; 0: READ/WRITE SECTORS */
	bool open;			/* a struct pv_blk has it */
	uint8_t last_error;		/* error register of the last failure */
	struct ata_counters counters;
};

/* Probes the primary channel once (later calls return the result): the
 * nth ATA hard disk (master first), or NULL. */
struct ata_drive *ata_find_drive(unsigned nth);

/* Read or write count (1..ATA_MAX_SECTORS) sectors at lba. A write with
 * repeat set writes the first DRQ block's worth of buf into every block
 * (buf must then hold ATA_MULTIPLE_WANTED sectors). 0 or -EIO (the
 * device reported an error, or timed out: the channel was reset). */
int ata_read(struct ata_drive *d, uint64_t lba, unsigned count, void *buf);
int ata_write(struct ata_drive *d, uint64_t lba, unsigned count, const void *buf, bool repeat);

/* FLUSH CACHE (EXT): 0 at once without a write cache. */
int ata_flush(struct ata_drive *d);

/* Parses 256 words of IDENTIFY DEVICE data: 0, or -ENODEV for data this
 * driver cannot use (not an ATA disk, no LBA, bad checksum, sectors
 * longer than 512 bytes). */
int ata_ident_parse(const uint16_t *words, struct ata_ident *out);

#endif

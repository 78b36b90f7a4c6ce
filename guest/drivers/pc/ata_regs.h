/* ata_regs.h: the ATA register interface as ATA/ATAPI-6 defines it: task
 * file and control register offsets, status, error, device and device
 * control bits, the commands this driver uses, and the IDENTIFY DEVICE
 * words it reads. */
#ifndef GUEST_PC_ATA_REGS_H
#define GUEST_PC_ATA_REGS_H

/* Task file, from the command block base (0x1f0 on the primary channel). */
#define ATA_DATA		0	/* 16-bit PIO data */
#define ATA_ERROR		1	/* read */
#define ATA_FEATURES		1	/* write */
#define ATA_NSECT		2	/* sector count */
#define ATA_LBA_LOW		3
#define ATA_LBA_MID		4
#define ATA_LBA_HIGH		5
#define ATA_DEVICE		6
#define ATA_STATUS		7	/* read: also clears a pending interrupt */
#define ATA_COMMAND		7	/* write */
/* The control block register (0x3f6): alternate status when read (no
 * side effect), device control when written. */

/* Status. When BSY is set the other bits are not valid. */
#define ATA_ST_BSY		0x80
#define ATA_ST_DRDY		0x40
#define ATA_ST_DF		0x20	/* device fault */
#define ATA_ST_DRQ		0x08	/* a data block is ready to move */
#define ATA_ST_ERR		0x01	/* the error register says why */

/* Error. */
#define ATA_ER_ICRC		0x80
#define ATA_ER_UNC		0x40	/* uncorrectable data */
#define ATA_ER_IDNF		0x10	/* address not found (past the end) */
#define ATA_ER_ABRT		0x04	/* command aborted (also: write refused) */

/* Device register: bits 7 and 5 are obsolete and set by tradition. */
#define ATA_DEV_OBS		0xa0
#define ATA_DEV_LBA		0x40
#define ATA_DEV_UNIT(u)		((unsigned)(u) << 4)

/* Device control. */
#define ATA_CTL_HOB		0x80	/* read the high-order LBA48 bytes */
#define ATA_CTL_SRST		0x04	/* software reset of both devices */
#define ATA_CTL_NIEN		0x02	/* 1: INTRQ disabled (we keep it 0) */

/* Commands. */
#define ATA_CMD_READ		0x20	/* READ SECTORS */
#define ATA_CMD_READ_EXT	0x24
#define ATA_CMD_READ_MULT_EXT	0x29	/* READ MULTIPLE EXT */
#define ATA_CMD_WRITE		0x30	/* WRITE SECTORS */
#define ATA_CMD_WRITE_EXT	0x34
#define ATA_CMD_WRITE_MULT_EXT	0x39
#define ATA_CMD_READ_MULT	0xc4	/* READ MULTIPLE */
#define ATA_CMD_WRITE_MULT	0xc5
#define ATA_CMD_SET_MULT	0xc6	/* SET MULTIPLE MODE */
#define ATA_CMD_FLUSH		0xe7	/* FLUSH CACHE */
#define ATA_CMD_FLUSH_EXT	0xea
#define ATA_CMD_IDENTIFY	0xec	/* IDENTIFY DEVICE */

/* IDENTIFY DEVICE data: 256 little-endian words. Strings hold two
 * characters per word, the first in the high byte. */
#define ATA_ID_WORDS		256
#define ATA_ID_CONFIG		0	/* bit 15: 0 for an ATA device */
#define ATA_ID_SERIAL		10	/* 10 words: 20 characters */
#define ATA_ID_SERIAL_LEN	20
#define ATA_ID_MODEL		27	/* 20 words: 40 characters */
#define ATA_ID_MODEL_LEN	40
#define ATA_ID_MAX_MULTIPLE	47	/* bits 7..0: sectors per DRQ block */
#define ATA_ID_CAPABILITY	49	/* bit 9: LBA supported */
#define ATA_ID_LBA28		60	/* 2 words: user addressable sectors */
#define ATA_ID_CMDSET1		82	/* bit 5: write cache */
#define ATA_ID_CMDSET2		83	/* bits 15..14 = 01: valid; 10: LBA48,
					 * 12: FLUSH CACHE, 13: FLUSH CACHE EXT */
#define ATA_ID_LBA48		100	/* 4 words: max user LBA + 1 (LBA48) */
#define ATA_ID_SECTOR_SIZE	106	/* bits 15..14 = 01: valid; 12: logical
					 * sectors longer than 256 words */
#define ATA_ID_INTEGRITY	255	/* bits 7..0 = 0xa5: bits 15..8 checksum */

#define ATA_CAP_LBA		(1u << 9)
#define ATA_CMDSET1_WCACHE	(1u << 5)
#define ATA_CMDSET2_LBA48	(1u << 10)
#define ATA_CMDSET2_FLUSH	(1u << 12)
#define ATA_CMDSET2_FLUSH_EXT	(1u << 13)
#define ATA_WORD_VALID(w)	(((w) & 0xc000u) == 0x4000u)
#define ATA_SECTOR_SIZE_LONG	(1u << 12)
#define ATA_INTEGRITY_SIG	0xa5u

#define ATA_SECTOR_BYTES	512u
#define ATA_SECTOR_WORDS	256u
#define ATA_LBA28_LIMIT		(1ull << 28)
#define ATA_LBA48_LIMIT		(1ull << 48)

#endif

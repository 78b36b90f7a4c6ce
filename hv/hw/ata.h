/* ata.h: an ATA/IDE controller channel (the PC's primary channel) with a
 * master and an optional slave hard disk, PIO only, as ATA/ATAPI-6
 * describes the register interface and the PIO data-in, data-out and
 * non-data protocols. Each drive is backed by a struct disk (hv/disk/disk.h)
 * that the caller opens, keeps open while the channel lives, and closes
 * after ata_destroy().
 *
 * Registers: the task file at base + 0..7 (data, error/features, sector
 * count, LBA low/mid/high, device, status/command) and device control /
 * alternate status at a second port (0x3f6 on a PC). Commands: IDENTIFY
 * DEVICE, READ/WRITE SECTORS (EXT), READ/WRITE MULTIPLE (EXT), SET MULTIPLE
 * MODE, READ VERIFY SECTORS (EXT), FLUSH CACHE (EXT), SET FEATURES,
 * INITIALIZE DEVICE PARAMETERS, EXECUTE DEVICE DIAGNOSTIC, the power
 * management commands, RECALIBRATE and SEEK; everything else is aborted.
 * 28-bit LBA, 48-bit LBA (the HOB FIFOs) and CHS addressing.
 *
 * The host does each disk transfer synchronously inside the register
 * access that needs it, so BSY is never seen (except while the guest holds
 * SRST set). INTRQ is an edge pulse on the channel's IRQ line (ISA edge
 * semantics): see ata.c for the exact rule. One register access (or one
 * string-I/O call) sends at most one pulse, however many times INTRQ was
 * asserted during it: the vCPU is stopped meanwhile, so the guest's
 * interrupt controller would have latched those edges as one anyway. */
#ifndef PVISOR_EMUL_ATA_H
#define PVISOR_EMUL_ATA_H

#include <stddef.h>
#include <stdint.h>

#include "disk/disk.h"
#include "hw/emul.h"

/* Task file register offsets (from the task file base, 0x1f0). */
#define ATA_REG_DATA      0
#define ATA_REG_ERROR     1   /* read  */
#define ATA_REG_FEATURES  1   /* write */
#define ATA_REG_NSECT     2
#define ATA_REG_LBAL      3
#define ATA_REG_LBAM      4
#define ATA_REG_LBAH      5
#define ATA_REG_DEVICE    6
#define ATA_REG_STATUS    7   /* read  */
#define ATA_REG_COMMAND   7   /* write */
#define ATA_TASKFILE_LEN  8
#define ATA_CONTROL_LEN   1   /* alternate status (read) / device control (write) */

/* Status register. */
#define ATA_SR_BSY   0x80
#define ATA_SR_DRDY  0x40
#define ATA_SR_DF    0x20
#define ATA_SR_DSC   0x10
#define ATA_SR_DRQ   0x08
#define ATA_SR_ERR   0x01

/* Error register. */
#define ATA_ER_UNC   0x40
#define ATA_ER_IDNF  0x10
#define ATA_ER_ABRT  0x04

/* Device register and device control register. */
#define ATA_DEV_LBA  0x40
#define ATA_DEV_DEV  0x10
#define ATA_CTL_HOB  0x80
#define ATA_CTL_SRST 0x04
#define ATA_CTL_NIEN 0x02

/* Commands. */
#define ATA_CMD_READ_SECTORS        0x20
#define ATA_CMD_READ_SECTORS_EXT    0x24
#define ATA_CMD_READ_MULTIPLE_EXT   0x29
#define ATA_CMD_WRITE_SECTORS       0x30
#define ATA_CMD_WRITE_SECTORS_EXT   0x34
#define ATA_CMD_WRITE_MULTIPLE_EXT  0x39
#define ATA_CMD_READ_VERIFY         0x40
#define ATA_CMD_READ_VERIFY_EXT     0x42
#define ATA_CMD_EXEC_DIAGNOSTIC     0x90
#define ATA_CMD_INIT_DEV_PARAMS     0x91
#define ATA_CMD_READ_MULTIPLE       0xc4
#define ATA_CMD_WRITE_MULTIPLE      0xc5
#define ATA_CMD_SET_MULTIPLE        0xc6
#define ATA_CMD_CHECK_POWER_MODE    0xe5
#define ATA_CMD_FLUSH_CACHE         0xe7
#define ATA_CMD_FLUSH_CACHE_EXT     0xea
#define ATA_CMD_IDENTIFY            0xec
#define ATA_CMD_SET_FEATURES        0xef

#define ATA_MAX_MULTIPLE 16u          /* IDENTIFY word 47 */
#define ATA_MODEL        "PVISOR ATA DISK"
#define ATA_FIRMWARE     "1.0"

struct ata_stats {
	uint64_t commands;         /* command register writes executed        */
	uint64_t sectors_read;     /* from the disks                          */
	uint64_t sectors_written;  /* to the disks                            */
	uint64_t flushes;
	uint64_t errors;           /* commands ended with ERR                  */
	uint64_t interrupts;       /* pulses sent on the IRQ line             */
};

struct ata_channel;

/* A channel with master (required) and slave (NULL: absent) on IRQ line
 * irq_nr of irq. irq is kept by pointer (it must outlive the channel).
 * Returns NULL if master is NULL or memory runs out. */
struct ata_channel *ata_create(const struct emul_irq *irq, unsigned irq_nr, struct disk *master,
			       struct disk *slave);
/* Frees the channel; the disks stay open (the caller closes them). */
void ata_destroy(struct ata_channel *ch);

/* Fills the two regions to add to the bus: the task file at
 * PVISOR_PORT_ATA0 (8 ports) and the control port PVISOR_PORT_ATA0_CTL
 * (1 port). */
void ata_regions(struct ata_channel *ch, struct emul_pio_region *taskfile,
		 struct emul_pio_region *control);

/* String I/O on the data register (a `rep insw/insd` or `rep outsw/outsd`
 * exit) in one call: moves up to `bytes` bytes of the current DRQ data
 * block(s), crossing block boundaries exactly as the same number of
 * single accesses would (the next block is read from or written to the
 * disk on the way). read_block fills the rest of buf, past the end of the
 * transfer, with what a data-register read without DRQ returns (zeros).
 * Both return the number of bytes that were part of a transfer. */
size_t ata_data_read_block(struct ata_channel *ch, void *buf, size_t bytes);
size_t ata_data_write_block(struct ata_channel *ch, const void *buf, size_t bytes);

/* A consistent snapshot of the counters (any thread). */
void ata_get_stats(struct ata_channel *ch, struct ata_stats *out);

#endif

/* virtio_blk.h: the virtio-blk device protocol (virtio 1.x, "Block
 * Device"), as pvisor's block backend speaks it. One request queue
 * (queue 0).
 *
 * A request is one chain: a 16-byte device-readable header, then the data
 * buffers (device-readable for OUT and DISCARD/WRITE_ZEROES segments,
 * device-writable for IN and GET_ID), then one device-writable status
 * byte. Sectors are 512 bytes whatever blk_size says. Data lengths are
 * multiples of 512, except GET_ID (the id is 20 bytes, NUL-padded, and not
 * NUL-terminated when it is 20 long). A request the device cannot parse
 * (no header, no status byte, wrong buffer directions, a length that is
 * not a multiple of 512, a range past capacity) completes with
 * PVISOR_VIRTIO_BLK_S_IOERR; an unknown type with _S_UNSUPP. A chain
 * without a writable last byte cannot carry a status at all: the device
 * marks itself broken. */
#ifndef PVISOR_VIRTIO_BLK_H
#define PVISOR_VIRTIO_BLK_H

#include <stdint.h>

/* Feature bits. */
#define PVISOR_VIRTIO_BLK_F_SIZE_MAX      1  /* size_max is valid          */
#define PVISOR_VIRTIO_BLK_F_SEG_MAX       2  /* seg_max is valid           */
#define PVISOR_VIRTIO_BLK_F_RO            5  /* the disk is read-only      */
#define PVISOR_VIRTIO_BLK_F_BLK_SIZE      6  /* blk_size is valid          */
#define PVISOR_VIRTIO_BLK_F_FLUSH         9  /* FLUSH requests work        */
#define PVISOR_VIRTIO_BLK_F_DISCARD      13  /* DISCARD requests work      */
#define PVISOR_VIRTIO_BLK_F_WRITE_ZEROES 14  /* WRITE_ZEROES requests work */

struct pvisor_virtio_blk_config {
	uint64_t capacity;                /* in 512-byte sectors              */
	uint32_t size_max;                /* largest data segment, bytes      */
	uint32_t seg_max;                 /* most data segments per request   */
	uint16_t cylinders;               /* geometry (not offered)           */
	uint8_t heads;
	uint8_t sectors;
	uint32_t blk_size;                /* optimal block size, bytes        */
	uint8_t physical_block_exp;       /* topology (not offered)           */
	uint8_t alignment_offset;
	uint16_t min_io_size;
	uint32_t opt_io_size;
	uint8_t writeback;
	uint8_t unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
};

/* Request types. */
#define PVISOR_VIRTIO_BLK_T_IN            0  /* read                        */
#define PVISOR_VIRTIO_BLK_T_OUT           1  /* write                       */
#define PVISOR_VIRTIO_BLK_T_FLUSH         4  /* make acknowledged writes durable */
#define PVISOR_VIRTIO_BLK_T_GET_ID        8  /* 20-byte device id           */
#define PVISOR_VIRTIO_BLK_T_DISCARD      11  /* deallocate (reads zero after) */
#define PVISOR_VIRTIO_BLK_T_WRITE_ZEROES 13

/* Status byte values. */
#define PVISOR_VIRTIO_BLK_S_OK            0
#define PVISOR_VIRTIO_BLK_S_IOERR         1
#define PVISOR_VIRTIO_BLK_S_UNSUPP        2

#define PVISOR_VIRTIO_BLK_SECTOR_SIZE   512u
#define PVISOR_VIRTIO_BLK_ID_BYTES       20u

struct pvisor_virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* The data of DISCARD and WRITE_ZEROES: an array of these. */
struct pvisor_virtio_blk_discard {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;                   /* bit 0: unmap (WRITE_ZEROES)      */
};

/* 60 bytes of fields, padded to 64 by the alignment of capacity. */
_Static_assert(sizeof(struct pvisor_virtio_blk_config) == 64, "virtio-blk config layout");
_Static_assert(sizeof(struct pvisor_virtio_blk_req_hdr) == 16, "virtio-blk header layout");

#endif

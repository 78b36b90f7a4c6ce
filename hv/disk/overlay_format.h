/* overlay_format.h: the on-disk format of pvisor's copy-on-write overlay
 * files (docs/disk.md, "Overlay format"): a 4 KiB header, an allocation
 * bitmap with one bit per cluster, then the data area, where virtual byte
 * V lives at data_offset + V (the file is sparse: only clusters written
 * through the overlay take space). */
#ifndef PVISOR_BLK_OVERLAY_FORMAT_H
#define PVISOR_BLK_OVERLAY_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disk/image.h"

#define OVL_MAGIC                "PVOVRLAY"   /* 8 bytes, no NUL          */
#define OVL_VERSION              1u
#define OVL_HEADER_BYTES         4096u
#define OVL_PATH_OFFSET          128u
#define OVL_BASE_PATH_MAX        (OVL_HEADER_BYTES - OVL_PATH_OFFSET)
#define OVL_BITMAP_BLOCK         4096u        /* bitmap I/O unit, bytes   */
#define OVL_DEFAULT_CLUSTER_BITS 16u          /* 64 KiB clusters          */
#define OVL_MIN_CLUSTER_BITS     12u
#define OVL_MAX_CLUSTER_BITS     21u
#define OVL_FLAG_COMMITTING      1u           /* a commit was interrupted */

struct ovl_header {
	uint32_t version;
	uint32_t cluster_bits;
	uint32_t flags;
	uint64_t virtual_size;        /* bytes the guest sees = the base's size */
	uint64_t bitmap_offset;
	uint64_t bitmap_bytes;
	uint64_t data_offset;
	uint64_t base_size;           /* the base's fingerprint: size and mtime  */
	int64_t base_mtime_sec;
	uint32_t base_mtime_nsec;
	char base_path[OVL_BASE_PATH_MAX];  /* absolute, NUL-terminated          */
};

/* A fresh header: the layout for virtual_size and cluster_bits, base_path
 * copied (it must be shorter than OVL_BASE_PATH_MAX), no fingerprint. */
void ovl_header_init(struct ovl_header *h, uint64_t virtual_size, unsigned cluster_bits,
		     const char *base_path);

static inline uint64_t ovl_cluster_size(const struct ovl_header *h)
{
	return 1ull << h->cluster_bits;
}

static inline uint64_t ovl_cluster_count(const struct ovl_header *h)
{
	return (h->virtual_size + ovl_cluster_size(h) - 1) >> h->cluster_bits;
}

/* The overlay file's exact size. */
static inline uint64_t ovl_file_size(const struct ovl_header *h)
{
	return h->data_offset + h->virtual_size;
}

/* Records base's size and mtime, which later opens compare. */
void ovl_set_base_fingerprint(struct ovl_header *h, const struct blk_image *base);
bool ovl_base_matches(const struct ovl_header *h, const struct blk_image *base);

/* True when fd starts with the overlay magic (for `pvisor disk info`;
 * --disk never guesses a format from the contents). */
bool ovl_has_magic(int fd);
/* A base must be a raw image, and not the overlay's own file (a header
 * could name either). ovl_base_path_check() runs before the base is opened
 * (the overlay's own file would meet its own lock), ovl_base_is_raw() on
 * the opened base. 0, or -1 with the reason in err. */
int ovl_base_path_check(const char *base_path, const char *top_path, char *err, size_t errlen);
int ovl_base_is_raw(const struct blk_image *base, const char *base_path, const char *top_path,
		    char *err, size_t errlen);

/* Reads and checks the header of the overlay at path (file_size bytes
 * long). Returns 0, or -1 with a one-line reason in err. */
int ovl_header_read(int fd, uint64_t file_size, const char *path, struct ovl_header *h,
		    char *err, size_t errlen);
/* Writes the header block. Returns 0 or -errno. */
int ovl_header_write(int fd, const struct ovl_header *h);

/* Reads the whole bitmap into a new BLK_BUF_ALIGN-aligned buffer of
 * h->bitmap_bytes (free() it). Returns 0 or -errno. */
int ovl_bitmap_read(int fd, const struct ovl_header *h, uint64_t **bitmap);
/* Gives the bitmap's blocks their space on the file system now, so that a
 * flush, which rewrites them in place, never needs new space: on a full
 * file system the data of acknowledged writes would be in the file while
 * the bits saying so could not be written. fallocate() where the file
 * system has it, else the bitmap (NULL: all zero) is written over itself.
 * Returns 0 or -errno (-ENOSPC when there is no room even for that). */
int ovl_bitmap_reserve(int fd, const struct ovl_header *h, const uint64_t *bitmap);

static inline bool ovl_bit_test(const uint64_t *bitmap, uint64_t cluster)
{
	return (__atomic_load_n(&bitmap[cluster / 64], __ATOMIC_ACQUIRE) >> (cluster % 64)) & 1;
}

#endif

/* image.h: opening one disk image file (a raw image, an overlay's base
 * or its top file): access mode, O_DIRECT, the lock that keeps two
 * pvisors from writing one image, and the checks that it is a usable
 * image, each failure explained in one line. */
#ifndef PVISOR_BLK_IMAGE_H
#define PVISOR_BLK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define BLK_SECTOR 512u

enum {
	BLK_IMAGE_WRITABLE = 1,   /* O_RDWR and an exclusive lock (else O_RDONLY, shared) */
	BLK_IMAGE_DIRECT   = 2,   /* O_DIRECT                                        */
	BLK_IMAGE_NO_LOCK  = 4,   /* take no lock (read-only inspection)             */
};

struct blk_image {
	int fd;
	uint64_t size;        /* bytes, a non-zero multiple of 512          */
	struct stat st;       /* as opened: identity, mtime                  */
	bool block_device;
	size_t dio_align;     /* O_DIRECT alignment of buffers, 0 without it */
};

/* Opens path. Returns 0, or -1 with err set: missing, a directory, not a
 * file or block device, empty, size not a multiple of 512, locked by
 * another process, no permission, O_DIRECT refused. */
int blk_image_open(struct blk_image *img, const char *path, unsigned flags, char *err,
		   size_t errlen);
void blk_image_close(struct blk_image *img);

/* Re-reads size and mtime (after the image was written). Returns 0 or -errno. */
int blk_image_restat(struct blk_image *img);

#endif

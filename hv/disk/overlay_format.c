/* overlay_format.c: encoding, decoding and checking overlay headers and
 * bitmaps (overlay_format.h). Fields are little-endian. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/overlay_format.h"
#include "lib/errmsg.h"
#include "disk/raw_io.h"

/* The bitmap is kept in memory as uint64_t words and stored as bytes, bit
 * c % 8 of byte c / 8 for cluster c: the same thing on little-endian. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "overlay bitmap layout");

/* Header field offsets. */
enum {
	H_MAGIC = 0, H_VERSION = 8, H_HEADER_BYTES = 12, H_CLUSTER_BITS = 16, H_FLAGS = 20,
	H_VIRTUAL_SIZE = 24, H_BITMAP_OFFSET = 32, H_BITMAP_BYTES = 40, H_DATA_OFFSET = 48,
	H_BASE_SIZE = 56, H_BASE_MTIME_SEC = 64, H_BASE_MTIME_NSEC = 72, H_BASE_PATH_LEN = 76,
};

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) / align * align;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void layout(struct ovl_header *h)
{
	uint64_t bitmap_bits = ovl_cluster_count(h);

	h->bitmap_offset = OVL_HEADER_BYTES;
	h->bitmap_bytes = round_up((bitmap_bits + 7) / 8, OVL_BITMAP_BLOCK);
	h->data_offset = round_up(h->bitmap_offset + h->bitmap_bytes, ovl_cluster_size(h));
}

void ovl_header_init(struct ovl_header *h, uint64_t virtual_size, unsigned cluster_bits,
		     const char *base_path)
{
	memset(h, 0, sizeof(*h));
	h->version = OVL_VERSION;
	h->cluster_bits = cluster_bits;
	h->virtual_size = virtual_size;
	layout(h);
	snprintf(h->base_path, sizeof(h->base_path), "%s", base_path);
}

void ovl_set_base_fingerprint(struct ovl_header *h, const struct blk_image *base)
{
	h->base_size = base->size;
	h->base_mtime_sec = (int64_t)base->st.st_mtim.tv_sec;
	h->base_mtime_nsec = (uint32_t)base->st.st_mtim.tv_nsec;
}

bool ovl_base_matches(const struct ovl_header *h, const struct blk_image *base)
{
	return h->base_size == base->size && h->base_mtime_sec == (int64_t)base->st.st_mtim.tv_sec &&
	       h->base_mtime_nsec == (uint32_t)base->st.st_mtim.tv_nsec;
}

static void encode(const struct ovl_header *h, uint8_t *b)
{
	memset(b, 0, OVL_HEADER_BYTES);
	memcpy(b + H_MAGIC, OVL_MAGIC, 8);
	put_le(b + H_VERSION, h->version, 4);
	put_le(b + H_HEADER_BYTES, OVL_HEADER_BYTES, 4);
	put_le(b + H_CLUSTER_BITS, h->cluster_bits, 4);
	put_le(b + H_FLAGS, h->flags, 4);
	put_le(b + H_VIRTUAL_SIZE, h->virtual_size, 8);
	put_le(b + H_BITMAP_OFFSET, h->bitmap_offset, 8);
	put_le(b + H_BITMAP_BYTES, h->bitmap_bytes, 8);
	put_le(b + H_DATA_OFFSET, h->data_offset, 8);
	put_le(b + H_BASE_SIZE, h->base_size, 8);
	put_le(b + H_BASE_MTIME_SEC, (uint64_t)h->base_mtime_sec, 8);
	put_le(b + H_BASE_MTIME_NSEC, h->base_mtime_nsec, 4);
	put_le(b + H_BASE_PATH_LEN, strlen(h->base_path), 4);
	memcpy(b + OVL_PATH_OFFSET, h->base_path, strlen(h->base_path));
}

static void decode(const uint8_t *b, struct ovl_header *h)
{
	memset(h, 0, sizeof(*h));
	h->version = (uint32_t)get_le(b + H_VERSION, 4);
	h->cluster_bits = (uint32_t)get_le(b + H_CLUSTER_BITS, 4);
	h->flags = (uint32_t)get_le(b + H_FLAGS, 4);
	h->virtual_size = get_le(b + H_VIRTUAL_SIZE, 8);
	h->bitmap_offset = get_le(b + H_BITMAP_OFFSET, 8);
	h->bitmap_bytes = get_le(b + H_BITMAP_BYTES, 8);
	h->data_offset = get_le(b + H_DATA_OFFSET, 8);
	h->base_size = get_le(b + H_BASE_SIZE, 8);
	h->base_mtime_sec = (int64_t)get_le(b + H_BASE_MTIME_SEC, 8);
	h->base_mtime_nsec = (uint32_t)get_le(b + H_BASE_MTIME_NSEC, 4);
}

/* The fields a reader must agree with, beyond the magic and version. */
static const char *check_fields(const uint8_t *b, const struct ovl_header *h, uint64_t file_size)
{
	struct ovl_header expect = *h;
	uint64_t path_len = get_le(b + H_BASE_PATH_LEN, 4);

	if (get_le(b + H_HEADER_BYTES, 4) != OVL_HEADER_BYTES)
		return "unexpected header size";
	if (h->cluster_bits < OVL_MIN_CLUSTER_BITS || h->cluster_bits > OVL_MAX_CLUSTER_BITS)
		return "cluster size out of range";
	if (h->flags & ~OVL_FLAG_COMMITTING)
		return "unknown flags";
	if (h->virtual_size == 0 || h->virtual_size % BLK_SECTOR || h->virtual_size >> 60)
		return "bad virtual size";
	layout(&expect);
	if (h->bitmap_offset != expect.bitmap_offset || h->bitmap_bytes != expect.bitmap_bytes ||
	    h->data_offset != expect.data_offset)
		return "inconsistent layout";
	if (path_len == 0 || path_len >= OVL_BASE_PATH_MAX ||
	    memchr(b + OVL_PATH_OFFSET, 0, path_len) != NULL || b[OVL_PATH_OFFSET + path_len] != 0)
		return "bad base path";
	if (file_size != ovl_file_size(h))
		return "file size does not match the header (truncated?)";
	return NULL;
}

bool ovl_has_magic(int fd)
{
	char magic[8];

	return pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	       !memcmp(magic, OVL_MAGIC, sizeof(magic));
}

static int parse_header(const uint8_t *b, uint64_t file_size, const char *path,
			struct ovl_header *h, char *err, size_t errlen)
{
	const char *bad;

	if (memcmp(b + H_MAGIC, OVL_MAGIC, 8) != 0)
		return errmsg(err, errlen, "'%s' is not a pvisor overlay (no %s magic)", path,
				   OVL_MAGIC);
	decode(b, h);
	if (h->version != OVL_VERSION)
		return errmsg(err, errlen, "'%s' is a version %u overlay; this pvisor reads "
				   "version %u", path, h->version, OVL_VERSION);
	bad = check_fields(b, h, file_size);
	if (bad)
		return errmsg(err, errlen, "overlay '%s' is corrupt: %s", path, bad);
	memcpy(h->base_path, b + OVL_PATH_OFFSET, get_le(b + H_BASE_PATH_LEN, 4) + 1);
	return 0;
}

int ovl_header_read(int fd, uint64_t file_size, const char *path, struct ovl_header *h,
		    char *err, size_t errlen)
{
	uint8_t *b;
	int rc;

	if (file_size < OVL_HEADER_BYTES)
		return errmsg(err, errlen, "'%s' is not a pvisor overlay (too small)", path);
	b = blk_raw_alloc(OVL_HEADER_BYTES);
	if (!b)
		return errmsg(err, errlen, "out of memory reading '%s'", path);
	rc = blk_raw_pread(fd, b, OVL_HEADER_BYTES, 0);
	if (rc == 0)
		rc = parse_header(b, file_size, path, h, err, errlen);
	else
		rc = errmsg(err, errlen, "cannot read the header of '%s': %s", path,
				 strerror(-rc));
	free(b);
	return rc;
}

int ovl_header_write(int fd, const struct ovl_header *h)
{
	uint8_t *b = blk_raw_alloc(OVL_HEADER_BYTES);
	int rc;

	if (!b)
		return -ENOMEM;
	encode(h, b);
	rc = blk_raw_pwrite(fd, b, OVL_HEADER_BYTES, 0);
	free(b);
	return rc;
}

int ovl_bitmap_read(int fd, const struct ovl_header *h, uint64_t **bitmap)
{
	int rc;

	*bitmap = blk_raw_alloc(h->bitmap_bytes);
	if (!*bitmap)
		return -ENOMEM;
	rc = blk_raw_pread(fd, *bitmap, h->bitmap_bytes, h->bitmap_offset);
	if (rc < 0) {
		free(*bitmap);
		*bitmap = NULL;
	}
	return rc;
}

int ovl_bitmap_reserve(int fd, const struct ovl_header *h, const uint64_t *bitmap)
{
	uint64_t *zero = NULL;
	int rc;

	if (fallocate(fd, 0, (off_t)h->bitmap_offset, (off_t)h->bitmap_bytes) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return -errno;
	if (!bitmap) {
		zero = blk_raw_alloc(h->bitmap_bytes);
		if (!zero)
			return -ENOMEM;
		memset(zero, 0, h->bitmap_bytes);
		bitmap = zero;
	}
	rc = blk_raw_pwrite(fd, bitmap, h->bitmap_bytes, h->bitmap_offset);
	free(zero);
	return rc;
}

/* ---- What a base may be ---------------------------------------------------- */

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int ovl_base_path_check(const char *base_path, const char *top_path, char *err, size_t errlen)
{
	struct stat base, top;

	if (stat(base_path, &base) == 0 && stat(top_path, &top) == 0 && same_file(&base, &top))
		return errmsg(err, errlen, "overlay '%s' has itself as its base", top_path);
	return 0;
}

int ovl_base_is_raw(const struct blk_image *base, const char *base_path, const char *top_path,
		    char *err, size_t errlen)
{
	if (ovl_has_magic(base->fd))
		return errmsg(err, errlen, "base '%s' of overlay '%s' is itself a pvisor overlay; "
			      "a base must be a raw image", base_path, top_path);
	return 0;
}

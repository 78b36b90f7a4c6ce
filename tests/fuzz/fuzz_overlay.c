/* fuzz_overlay.c: fuzzes the overlay disk format (hv/disk/overlay.c,
 * hv/disk/overlay_format.c; docs/disk.md, "Overlay format"): opening an
 * overlay file, then reads, writes, zeroing and flushes through it.
 *
 * The input is the start of the overlay file (header, bitmap, maybe data).
 * It is written to top.ovl in a private temporary directory; when its
 * header asks for a longer file (data_offset + virtual_size, at most
 * TOP_MAX) the file is extended with zeros, as the sparse data area of a
 * real overlay reads, so inputs need not carry it. The base, base.img, is
 * made afresh for each input: base_size bytes as the header's fingerprint
 * says (a nonzero multiple of 512 up to BASE_MAX, else 64 KiB), a pattern
 * in each sector, and the mtime BASE_MTIME_SEC.BASE_MTIME_NSEC that the
 * seed headers record, so that a header can match it.
 *
 * Header bytes 80..127 are unused by the format; the harness reads its
 * operations there: byte 80 bit 0 opens read-only, then OPS operations of
 * 8 bytes (kind, 3-byte sector, 2-byte sector count, iovec split, fill
 * byte). A model of the disk (each cluster from the top file when its
 * bitmap bit is set, else from the base) is kept alongside: every read
 * must return what the model holds, and after overlay_close() a read-only
 * open must show the same disk (the bitmap reached the file). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "disk/overlay.h"

#define BASE_DEFAULT    (64u << 10)
#define BASE_MAX        (4u << 20)
#define TOP_MAX         (8u << 20)
#define BASE_MTIME_SEC  1000000000
#define BASE_MTIME_NSEC 0
#define OPS_OFFSET      81
#define OPS             5
#define OP_BYTES        8
#define SECTOR          512u

enum { OP_READ, OP_WRITE, OP_ZERO, OP_FLUSH };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], base_path[300], top_path[300];
static int base_fd = -1, top_fd = -1;

static uint64_t le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- Files -------------------------------------------------------------- */

static void cleanup(void)
{
	unlink(base_path);
	unlink(top_path);
	rmdir(dir);
}

/* $TMPDIR, else /dev/shm (tmpfs: the flushes' fdatasync costs nothing),
 * else /tmp. */
static const char *tmp_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	if (tmp && *tmp)
		return tmp;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
		return "/dev/shm";
	return "/tmp";
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/pvisor-fuzz-overlay-XXXXXX", tmp_dir());
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
	snprintf(base_path, sizeof(base_path), "%s/base.img", dir);
	snprintf(top_path, sizeof(top_path), "%s/top.ovl", dir);
	base_fd = open(base_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	top_fd = open(top_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (base_fd < 0 || top_fd < 0) {
		perror("open");
		abort();
	}
	atexit(cleanup);
}

/* Sector s of the base holds bytes s * 7 + i: no two sectors alike. */
static uint64_t make_base(const uint8_t *data, size_t size)
{
	uint64_t want = size >= 64 ? le(data + 56, 8) : 0;
	const struct timespec times[2] = { { 0, UTIME_OMIT }, { BASE_MTIME_SEC, BASE_MTIME_NSEC } };
	static uint8_t *pattern;

	if (!pattern) {
		if (!(pattern = malloc(BASE_MAX)))
			abort();
		for (uint64_t i = 0; i < BASE_MAX; i++)
			pattern[i] = (uint8_t)((i / SECTOR) * 7 + i % SECTOR);
	}
	if (want == 0 || want % SECTOR || want > BASE_MAX)
		want = BASE_DEFAULT;
	if (ftruncate(base_fd, 0) < 0 || pwrite(base_fd, pattern, want, 0) != (ssize_t)want ||
	    futimens(base_fd, times) < 0)
		abort();
	return want;
}

static void make_top(const uint8_t *data, size_t size)
{
	uint64_t data_offset, virtual_size;

	if (ftruncate(top_fd, 0) < 0 || pwrite(top_fd, data, size, 0) != (ssize_t)size)
		abort();
	if (size < 64)
		return;
	virtual_size = le(data + 24, 8);
	data_offset = le(data + 48, 8);
	if (data_offset <= TOP_MAX && virtual_size <= TOP_MAX - data_offset &&
	    data_offset + virtual_size > size && ftruncate(top_fd, (off_t)(data_offset + virtual_size)) < 0)
		abort();
}

/* ---- The model -------------------------------------------------------- */

struct model {
	uint64_t size, cluster, bitmap_offset, data_offset;
	uint8_t *disk;
};

static void read_exactly(int fd, void *buf, size_t len, uint64_t off)
{
	if (pread(fd, buf, len, (off_t)off) != (ssize_t)len)
		abort();
}

/* What the overlay should show, from the input's header (decoded here,
 * not by the code under test) and the two files. */
static void model_load(struct model *m, const uint8_t *hdr)
{
	m->size = le(hdr + 24, 8);
	m->cluster = 1ull << le(hdr + 16, 4);
	m->bitmap_offset = le(hdr + 32, 8);
	m->data_offset = le(hdr + 48, 8);
	if (!(m->disk = malloc(m->size)))
		abort();
	for (uint64_t c = 0, pos = 0; pos < m->size; c++, pos += m->cluster) {
		uint64_t len = m->size - pos < m->cluster ? m->size - pos : m->cluster;
		uint8_t byte;

		read_exactly(top_fd, &byte, 1, m->bitmap_offset + c / 8);
		if (byte >> (c % 8) & 1)
			read_exactly(top_fd, m->disk + pos, len, m->data_offset + pos);
		else
			read_exactly(base_fd, m->disk + pos, len, pos);
	}
}

/* ---- Operations ------------------------------------------------------- */

/* Up to three iovecs over buf, none empty, cut where split says. */
static int make_iov(uint8_t *buf, uint64_t len, uint8_t split, struct iovec iov[3])
{
	uint64_t a = (uint64_t)split * 97 % len, b = (len - a) / 2;
	uint64_t parts[3] = { a, b, len - a - b };
	int n = 0;

	for (int i = 0; i < 3; i++) {
		if (parts[i]) {
			iov[n++] = (struct iovec){ buf, parts[i] };
			buf += parts[i];
		}
	}
	return n;
}

static void op_read(struct overlay *ov, struct model *m, uint64_t off, uint64_t len, uint8_t split)
{
	uint8_t *buf = malloc(len);
	struct iovec iov[3];

	if (!buf)
		abort();
	memset(buf, 0xee, len);
	if (overlay_preadv(ov, iov, make_iov(buf, len, split, iov), off) != 0 ||
	    memcmp(buf, m->disk + off, len)) {
		fprintf(stderr, "fuzz_overlay: read of %#llx+%#llx differs from the model\n",
			(unsigned long long)off, (unsigned long long)len);
		abort();
	}
	free(buf);
}

static void op_write(struct overlay *ov, struct model *m, uint64_t off, uint64_t len, uint8_t split,
		     uint8_t fill)
{
	uint8_t *buf = malloc(len);
	struct iovec iov[3];

	if (!buf)
		abort();
	for (uint64_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(fill + i);
	if (overlay_pwritev(ov, iov, make_iov(buf, len, split, iov), off) != 0)
		abort();
	memcpy(m->disk + off, buf, len);
	free(buf);
}

static void op_zero(struct overlay *ov, struct model *m, uint64_t off, uint64_t len)
{
	if (overlay_zero(ov, off, len) != 0)
		abort();
	memset(m->disk + off, 0, len);
}

static void run_op(struct overlay *ov, struct model *m, const uint8_t *op, int readonly)
{
	uint64_t sectors = m->size / SECTOR;
	uint64_t off = le(op + 1, 3) % sectors * SECTOR;
	uint64_t len = (le(op + 4, 2) % 256 + 1) * SECTOR;

	if (len > m->size - off)
		len = m->size - off;
	switch (readonly ? OP_READ : op[0] % 4) {
	case OP_READ:
		op_read(ov, m, off, len, op[6]);
		break;
	case OP_WRITE:
		op_write(ov, m, off, len, op[6], op[7]);
		break;
	case OP_ZERO:
		op_zero(ov, m, off, len);
		break;
	case OP_FLUSH:
		if (overlay_flush(ov) != 0)
			abort();
		break;
	}
}

/* After close, a fresh read-only open must show the model's disk. */
static void reopen_and_compare(struct model *m)
{
	char err[512];
	struct overlay *ov = overlay_open(base_path, top_path, OVERLAY_READONLY, err, sizeof(err));

	if (!ov) {
		fprintf(stderr, "fuzz_overlay: cannot reopen: %s\n", err);
		abort();
	}
	op_read(ov, m, 0, m->size, 1);
	overlay_close(ov);
}

static void exercise(const uint8_t *data, size_t size, struct overlay *ov, int readonly)
{
	struct model m;

	model_load(&m, data);
	if (overlay_size(ov) != m.size)
		abort();
	for (int i = 0; i < OPS && size >= OPS_OFFSET + (size_t)(i + 1) * OP_BYTES; i++)
		run_op(ov, &m, data + OPS_OFFSET + i * OP_BYTES, readonly);
	op_read(ov, &m, 0, m.size, 0);
	if (overlay_close(ov) != 0)
		abort();
	reopen_and_compare(&m);
	free(m.disk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int readonly = size > OPS_OFFSET - 1 && (data[OPS_OFFSET - 1] & 1);
	struct overlay *ov;
	char err[512];

	if (top_fd < 0)
		setup();
	make_base(data, size);
	make_top(data, size);
	ov = overlay_open(base_path, top_path, readonly ? OVERLAY_READONLY : 0, err, sizeof(err));
	if (!ov) {
		if (!err[0] || strchr(err, '\n'))
			abort();        /* a refusal is one line */
		return 0;
	}
	exercise(data, size, ov, readonly);
	return 0;
}

/* fuzz_blkreq.c: fuzzes the virtio-blk device's request parsing
 * (hv/virtio/blk.c, linked unchanged) against a guest that puts anything
 * in its requests, over a fake disk and I/O engine (this file stands in
 * for hv/disk/disk.c and blkio.c) and a fake device framework
 * (fake_vdev.c).
 *
 * The input:
 *   [0]      bit 0: the disk is read-only; bit 1: offer INDIRECT_DESC;
 *            bit 2: the engine fails the submissions [1] marks; bit 3: it
 *            returns completions in reverse order; bits 4..6: the disk
 *            size (size_choices[])
 *   [1]      submission i fails when bit i % 8 is set; [2] bit i % 8
 *            says how: refused at submit (1) or completed with -EIO (0)
 *   [3..]    request chains (fake_vdev.h): each a header buffer, data
 *            buffers and a status byte, or anything else
 * The device serves the queue until it has nothing left, then quiesces.
 * A model of the protocol (include/pvisor/io/virtio_blk.h) predicts each
 * request's status, used length, the data a read returns and the disk
 * afterwards; the device must match it. Besides: the engine is handed
 * only valid requests and no change at all for a read-only disk; a chain
 * without a status byte breaks the device (with a reason) and nothing
 * after it is taken; guest RAM changes only in the writable buffers of
 * the chains and the used ring. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pvisor/io/virtio_blk.h>

#include "disk/blkio.h"
#include "disk/disk.h"
#include "fake_vdev.h"
#include "virtio/blk.h"

#define MAX_SECTORS 256u
#define DISK_BYTES  (MAX_SECTORS * BLK_SECTOR)
#define MAX_REQS    FAKE_QUEUE_SIZE
#define HDR         sizeof(struct pvisor_virtio_blk_req_hdr)

#define F_READONLY  0x01
#define F_INDIRECT  0x02
#define F_FAIL      0x04
#define F_REVERSE   0x08

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The disk sizes, in sectors, an input can choose. */
static const uint16_t size_choices[] = { 0, 1, 2, 7, 8, 64, 255, MAX_SECTORS };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- The fake disk and engine (disk.h, blkio.h) ------------------------------------ */

static uint8_t disk_bytes[DISK_BYTES];
static struct disk fake_disk;

struct blkio {
	uint8_t flags, fail_mask, fail_refuse;
	unsigned submitted;                 /* submissions so far (refused too) */
	struct blkio_req *queued[MAX_REQS];
	unsigned nqueued;
	struct blkio_req *done[MAX_REQS];
	unsigned ndone;
};

static struct blkio engine;

struct disk *disk_open(const struct disk_config *cfg, char *err, size_t errlen)
{
	return &fake_disk;
}

int disk_close(struct disk *d)
{
	return 0;
}

struct blkio *blkio_create(struct disk *disk, unsigned depth, char *err, size_t errlen)
{
	if (depth > MAX_REQS * 4)
		abort();
	return &engine;
}

const char *blkio_engine_name(const struct blkio *io)
{
	return "fake";
}

const char *blkio_engine_reason(const struct blkio *io)
{
	return "fuzz_blkreq";
}

int blkio_completion_fd(const struct blkio *io)
{
	return -1;
}

static bool changes_data(int op)
{
	return op == BLKIO_WRITE || op == BLKIO_DISCARD || op == BLKIO_WRITE_ZEROES;
}

static uint64_t iov_bytes(const struct iovec *iov, int cnt)
{
	uint64_t n = 0;

	for (int i = 0; i < cnt; i++)
		n += iov[i].iov_len;
	return n;
}

/* The device must hand the engine only what blkio.h allows: it has
 * checked every request before. */
static void check_submission(const struct blkio_req *r)
{
	bool transfer = r->op == BLKIO_READ || r->op == BLKIO_WRITE;

	if (r->op < BLKIO_READ || r->op > BLKIO_WRITE_ZEROES)
		abort();
	if (changes_data(r->op) && fake_disk.readonly)
		abort();   /* a read-only disk is never written */
	if (r->op == BLKIO_FLUSH)
		return;
	if (r->len == 0 || r->offset % BLK_SECTOR || r->len % BLK_SECTOR ||
	    r->offset > fake_disk.size || r->len > fake_disk.size - r->offset)
		abort();
	if (transfer && (r->iovcnt < 1 || r->iovcnt > BLK_MAX_IOV || iov_bytes(r->iov, r->iovcnt) != r->len))
		abort();
}

int blkio_submit(struct blkio *io, struct blkio_req *req)
{
	unsigned i = io->submitted++;
	bool fails = (io->flags & F_FAIL) && (io->fail_mask >> (i % 8) & 1);

	check_submission(req);
	if (fails && (io->fail_refuse >> (i % 8) & 1))
		return -EAGAIN;
	if (io->nqueued + io->ndone >= MAX_REQS * 4 || io->nqueued == MAX_REQS)
		abort();
	req->result = fails ? -EIO : 0;
	io->queued[io->nqueued++] = req;
	return 0;
}

static void run_request(struct blkio_req *r)
{
	uint8_t *at = disk_bytes + r->offset;

	switch (r->op) {
	case BLKIO_READ:
		for (int i = 0; i < r->iovcnt; at += r->iov[i].iov_len, i++)
			memcpy(r->iov[i].iov_base, at, r->iov[i].iov_len);
		break;
	case BLKIO_WRITE:
		for (int i = 0; i < r->iovcnt; at += r->iov[i].iov_len, i++)
			memcpy(at, r->iov[i].iov_base, r->iov[i].iov_len);
		break;
	case BLKIO_DISCARD:
	case BLKIO_WRITE_ZEROES:
		memset(at, 0, r->len);
		break;
	}
}

/* Runs what was queued, in submission order. */
int blkio_kick(struct blkio *io)
{
	for (unsigned i = 0; i < io->nqueued; i++) {
		struct blkio_req *r = io->queued[i];

		if (r->result == 0) {
			run_request(r);
			r->result = (r->op == BLKIO_READ || r->op == BLKIO_WRITE) ? (int)r->len : 0;
		}
		if (io->ndone == MAX_REQS)
			abort();
		io->done[io->ndone++] = r;
	}
	io->nqueued = 0;
	return 0;
}

int blkio_collect(struct blkio *io, struct blkio_req **done, int max)
{
	int n = (int)io->ndone < max ? (int)io->ndone : max;

	for (int i = 0; i < n; i++)
		done[i] = io->done[(io->flags & F_REVERSE) ? io->ndone - 1 - i : (unsigned)i];
	if (!(io->flags & F_REVERSE))
		memmove(io->done, io->done + n, (io->ndone - n) * sizeof(io->done[0]));
	io->ndone -= n;
	return n;
}

int blkio_reap(struct blkio *io, struct blkio_req **done, int max)
{
	return blkio_collect(io, done, max);
}

void blkio_arm(struct blkio *io)
{
}

void blkio_drain(struct blkio *io)
{
	blkio_kick(io);
}

void blkio_destroy(struct blkio *io)
{
	if (io->nqueued || io->ndone)
		abort();   /* quiesce left requests behind */
}

/* ---- The model ------------------------------------------------------------------------ */

struct expect {
	int status;          /* PVISOR_VIRTIO_BLK_S_* */
	uint32_t used_len;   /* 0: any up to the writable bytes (a failed request) */
	uint64_t data_at;    /* IN and GET_ID: the bytes expected[data_at ..] */
	uint64_t data_len;
};

static uint8_t model_disk[DISK_BYTES];
static uint8_t expected[FAKE_RAM_SIZE];
static uint64_t expected_len;
static struct expect expects[MAX_REQS];
static unsigned model_submitted;

/* Does the next submission fail (the engine's rule, above)? */
static bool next_submission_fails(void)
{
	unsigned i = model_submitted++;

	return (engine.flags & F_FAIL) && (engine.fail_mask >> (i % 8) & 1);
}

static bool range_ok(uint64_t sector, uint64_t bytes)
{
	uint64_t sectors = fake_disk.size / BLK_SECTOR;

	return bytes % BLK_SECTOR == 0 && sector <= sectors && bytes / BLK_SECTOR <= sectors - sector;
}

static void expect_data(struct expect *e, const void *src, uint64_t len)
{
	e->data_at = expected_len;
	e->data_len = len;
	memcpy(expected + expected_len, src, len);
	expected_len += len;
}

static int model_read(const struct fake_chain *c, const struct pvisor_virtio_blk_req_hdr *h,
		      struct expect *e, uint64_t r, uint64_t w)
{
	uint64_t len = w - 1;

	if (r != HDR || !range_ok(h->sector, len))
		return PVISOR_VIRTIO_BLK_S_IOERR;
	if (len && next_submission_fails())
		return PVISOR_VIRTIO_BLK_S_IOERR;
	expect_data(e, model_disk + h->sector * BLK_SECTOR, len);
	e->used_len = (uint32_t)w;
	return PVISOR_VIRTIO_BLK_S_OK;
}

static int model_write(const struct fake_chain *c, const struct pvisor_virtio_blk_req_hdr *h,
		       uint64_t r, uint64_t w)
{
	uint64_t len = r - HDR;

	if (w != 1 || fake_disk.readonly || !range_ok(h->sector, len))
		return PVISOR_VIRTIO_BLK_S_IOERR;
	if (len && next_submission_fails())
		return PVISOR_VIRTIO_BLK_S_IOERR;
	if (!fake_chain_read(c, HDR, model_disk + h->sector * BLK_SECTOR, len))
		abort();
	return PVISOR_VIRTIO_BLK_S_OK;
}

static int model_get_id(struct expect *e, uint64_t r, uint64_t w)
{
	uint64_t len = w - 1 < PVISOR_VIRTIO_BLK_ID_BYTES ? w - 1 : PVISOR_VIRTIO_BLK_ID_BYTES;

	if (r != HDR)
		return PVISOR_VIRTIO_BLK_S_IOERR;
	expect_data(e, fake_disk.id, len);
	e->used_len = (uint32_t)len + 1;
	return PVISOR_VIRTIO_BLK_S_OK;
}

static int model_discard(const struct fake_chain *c, uint64_t r, uint64_t w)
{
	struct pvisor_virtio_blk_discard seg;

	if (r != HDR + sizeof(seg) || w != 1 || !fake_chain_read(c, HDR, &seg, sizeof(seg)))
		return PVISOR_VIRTIO_BLK_S_IOERR;
	if (fake_disk.readonly || seg.num_sectors > (1u << 22) || (seg.flags & ~1u) ||
	    !range_ok(seg.sector, (uint64_t)seg.num_sectors * BLK_SECTOR))
		return PVISOR_VIRTIO_BLK_S_IOERR;
	if (seg.num_sectors && next_submission_fails())
		return PVISOR_VIRTIO_BLK_S_IOERR;
	memset(model_disk + seg.sector * BLK_SECTOR, 0, (uint64_t)seg.num_sectors * BLK_SECTOR);
	return PVISOR_VIRTIO_BLK_S_OK;
}

static int model_status(const struct fake_chain *c, struct expect *e)
{
	uint64_t r = fake_chain_bytes(c, false), w = fake_chain_bytes(c, true);
	struct pvisor_virtio_blk_req_hdr h;

	if (!fake_chain_read(c, 0, &h, sizeof(h)))
		return PVISOR_VIRTIO_BLK_S_IOERR;
	switch (h.type) {
	case PVISOR_VIRTIO_BLK_T_IN:
		return model_read(c, &h, e, r, w);
	case PVISOR_VIRTIO_BLK_T_OUT:
		return model_write(c, &h, r, w);
	case PVISOR_VIRTIO_BLK_T_FLUSH:
		return !fake_disk.readonly && next_submission_fails() ? PVISOR_VIRTIO_BLK_S_IOERR
								      : PVISOR_VIRTIO_BLK_S_OK;
	case PVISOR_VIRTIO_BLK_T_GET_ID:
		return model_get_id(e, r, w);
	case PVISOR_VIRTIO_BLK_T_DISCARD:
	case PVISOR_VIRTIO_BLK_T_WRITE_ZEROES:
		return model_discard(c, r, w);
	default:
		return PVISOR_VIRTIO_BLK_S_UNSUPP;
	}
}

/* The status byte: the last byte of the chain's last non-empty buffer,
 * if that one is writable; else 0. */
static uint64_t status_gpa(const struct fake_chain *c)
{
	for (unsigned i = c->nsegs; i-- > 0;)
		if (c->segs[i].len)
			return c->segs[i].writable ? c->segs[i].gpa + c->segs[i].len - 1 : 0;
	return 0;
}

/* Predicts every chain in order; returns how many the device completes
 * (the rest: from a chain without a status byte on, which breaks it). */
static unsigned run_model(const struct fake_queue *q)
{
	unsigned i;

	memcpy(model_disk, disk_bytes, sizeof(model_disk));
	expected_len = 0;
	model_submitted = 0;
	for (i = 0; i < q->nchains; i++) {
		struct expect *e = &expects[i];

		if (!status_gpa(&q->chains[i]))
			break;
		memset(e, 0, sizeof(*e));
		e->status = model_status(&q->chains[i], e);
		if (e->status != PVISOR_VIRTIO_BLK_S_OK)
			e->used_len = 0;
		else if (!e->used_len)
			e->used_len = 1;
	}
	return i;
}

/* ---- Checks ---------------------------------------------------------------------------- */

/* The data bytes of c's writable buffers (all but the status byte) hold
 * the expected bytes from the start. */
static void check_read_data(const struct fake_chain *c, const struct expect *e)
{
	uint64_t left = e->data_len, from = e->data_at;

	for (unsigned i = 0; i < c->nsegs && left; i++) {
		const struct fake_seg *s = &c->segs[i];
		uint64_t n = s->len < left ? s->len : left;

		if (!s->writable)
			continue;
		if (memcmp(fake_guest.ram + s->gpa, expected + from, n))
			abort();   /* a read returned other bytes than the disk holds */
		from += n;
		left -= n;
	}
}

static void check_requests(const struct fake_queue *q, unsigned completed)
{
	bool seen[FAKE_QUEUE_SIZE] = { false };

	if (fake_used_count(q) != completed)
		abort();
	for (unsigned i = 0; i < completed; i++) {
		uint32_t id, len;
		const struct fake_chain *c;
		const struct expect *e;
		unsigned k;

		fake_used_entry(q, i, &id, &len);
		c = fake_chain_of(q, id);
		if (!c || seen[id])
			abort();
		seen[id] = true;
		k = (unsigned)(c - q->chains);
		e = &expects[k];
		if (k >= completed || fake_guest.ram[status_gpa(c)] != e->status)
			abort();   /* wrong status byte */
		if (e->used_len ? len != e->used_len : (len < 1 || len > fake_chain_bytes(c, true)))
			abort();
		if (e->status == PVISOR_VIRTIO_BLK_S_OK)
			check_read_data(c, e);
	}
}

/* ---- One run ---------------------------------------------------------------------------- */

/* Returns the index of the disk size chosen. */
static unsigned disk_setup(struct fake_input *in)
{
	uint8_t flags = fake_u8(in);
	unsigned size_index = (flags >> 4) % ARRAY_SIZE(size_choices);
	static uint8_t pattern[DISK_BYTES];

	if (!pattern[1])
		for (unsigned i = 0; i < DISK_BYTES; i++)
			pattern[i] = (uint8_t)(i * 7 + (i >> 9));
	memset(&fake_disk, 0, sizeof(fake_disk));
	fake_disk.size = (uint64_t)size_choices[size_index] * BLK_SECTOR;
	fake_disk.readonly = flags & F_READONLY;
	memcpy(fake_disk.id, "pvisor-0123456789abc", DISK_ID_BYTES);
	memcpy(disk_bytes, pattern, sizeof(disk_bytes));
	memset(&engine, 0, sizeof(engine));
	engine.flags = flags;
	engine.fail_mask = fake_u8(in);
	engine.fail_refuse = fake_u8(in);
	return size_index;
}

/* The device for this run's disk: one per disk the input can choose,
 * made once and reset (as a guest resets and restarts a device) before
 * each run; a new device would allocate over a megabyte of request slots
 * every run. */
static struct vdev *device_for_disk(unsigned size_index)
{
	static const struct disk_config cfg = { .path = "fuzz.img" };
	static struct vdev *devices[2][ARRAY_SIZE(size_choices)];
	struct vdev **dev = &devices[fake_disk.readonly][size_index];

	if (!*dev)
		*dev = fake_vdev_attach(&virtio_blk_device, &cfg);
	(*dev)->ops->reset(*dev);
	(*dev)->broken = false;
	return *dev;
}

static void serve(struct vdev *dev)
{
	for (int pass = 0; pass < 4 * (int)MAX_REQS; pass++) {
		int rc = dev->ops->process(dev);

		if (rc <= 0)
			break;
	}
	dev->ops->quiesce(dev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake_input in = { data, size, 0 };
	const struct fake_queue *qs[1];
	static struct fake_queue q;
	static uint8_t disk_before[DISK_BYTES];
	struct vdev *dev;
	unsigned completed, size_index;

	fake_guest_reset();
	size_index = disk_setup(&in);
	memcpy(disk_before, disk_bytes, sizeof(disk_before));
	fake_queue_rings(&q);
	fake_queue_build(&q, &in, FAKE_QUEUE_SIZE, engine.flags & F_INDIRECT);
	fake_guest_snapshot();
	completed = run_model(&q);

	dev = device_for_disk(size_index);
	fake_queue_attach(dev, 0, &q, (engine.flags & F_INDIRECT) ? 1ull << PVISOR_VIRTIO_F_INDIRECT_DESC : 0);
	serve(dev);

	qs[0] = &q;
	fake_check_writes(qs, 1);
	if (dev->broken != (completed < q.nchains))
		abort();   /* broken exactly when a chain had no status byte */
	check_requests(&q, completed);
	if (memcmp(disk_bytes, fake_disk.readonly ? disk_before : model_disk, sizeof(disk_bytes)))
		abort();   /* the disk is not what the requests made it */
	return 0;
}

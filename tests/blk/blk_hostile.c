/* blk_hostile.c (hostile; run by tests/suites/blk.sh on the sanitizer
 * build): malformed virtio-blk requests, sent on a raw queue (pv/device.h
 * and pv/virtq.h, not the frontend), one case per run:
 *
 *   blk_hostile CASE
 *
 * Each case knows what include/pvisor/io/virtio_blk.h and
 * hv/virtio/blk.c promise: a request the device cannot parse
 * completes with IOERR (unknown types with UNSUPP) and the device keeps
 * serving; a chain that cannot carry a status (no writable last byte) or
 * breaks a ring rule (a buffer outside RAM) marks the device BROKEN. The
 * guest prints "PASS blk_hostile" only when it saw exactly that, and, for
 * a device that must keep serving, a good request still works afterwards;
 * for a broken one, it resets and restarts the device and a good request
 * works again. The host must never crash or hang (the suite checks for
 * sanitizer reports). Case frontend_broken drives the frontend (pv/blk.h)
 * instead, into a device that breaks, and checks that everything then
 * fails with -EIO. */
#define TEST_NAME "blk_hostile"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <pv/blk.h>
#include <pv/device.h>
#include <pv/pv.h>
#include <pv/virtq.h>
#include <pvisor/io/virtio_blk.h>
#include "pvtest.h"
#include "blktest.h"

#define QUEUE_SIZE	16
#define ARENA_PAGES	72	/* DATA_OFF + 2 * DATA_MAX: room for hammered lengths */
#define HDR_OFF		0
#define HDR2_OFF	64
#define RANGE_OFF	128
#define STATUS_OFF	256
#define DATA_OFF	4096
#define DATA_MAX	(32u * 4096)
#define WAIT_NS		(5 * PV_NSEC_PER_SEC)
#define STATUS_UNSET	0xee

static struct pv_device dev;
static int dev_index;
static uint8_t *arena;		/* identity-mapped: headers, status, data */
static uint64_t sectors;
static bool with_indirect;

enum outcome { ANSWERED, BROKEN, HUNG };

/* ---- The raw device ----------------------------------------------------- */

static uint64_t gpa(size_t offset)
{
	return (uint64_t)(uintptr_t)(arena + offset);
}

static struct pv_virtq *vq(void)
{
	return &dev.queues[0].vq;
}

static int start_device(void)
{
	struct pv_device_queue_config qc = { .size = QUEUE_SIZE, .max_indirect = 8 };
	uint64_t features = with_indirect ? 1ull << PVISOR_VIRTIO_F_INDIRECT_DESC : 0;
	struct pvisor_virtio_blk_config cfg;
	int rc = pv_device_start(&dev, (unsigned)dev_index, features, 1, &qc);

	if (rc == 0)
		rc = pv_device_read_config((unsigned)dev_index, 0, &cfg, sizeof(cfg));
	sectors = cfg.capacity;
	return rc;
}

static struct pvisor_virtio_blk_req_hdr *header(size_t off)
{
	return (struct pvisor_virtio_blk_req_hdr *)(arena + off);
}

static void set_header(size_t off, uint32_t type, uint64_t sector)
{
	*header(off) = (struct pvisor_virtio_blk_req_hdr){ .type = type, .sector = sector };
	arena[STATUS_OFF] = STATUS_UNSET;
}

/* Publishes one chain, kicks, and waits for its answer or the device
 * breaking. *written gets the used length. */
static enum outcome send(const struct pv_vq_buf *bufs, unsigned n_out, unsigned n_in,
			 uint32_t *written)
{
	uint64_t deadline;

	if (pv_virtq_add(vq(), bufs, n_out, n_in, arena) < 0)
		return HUNG;
	pv_virtq_publish(vq());
	pv_device_kick(&dev, 0);
	deadline = pv_clock_ns() + WAIT_NS;
	while (pv_clock_ns() < deadline) {
		if (pv_virtq_get_used(vq(), written))
			return ANSWERED;
		if (pv_device_status(dev.index) == PVISOR_DEVICE_S_BROKEN)
			return BROKEN;
		pv_sleep_us(50);
	}
	return HUNG;
}

static const char *outcome_name(enum outcome o)
{
	return o == ANSWERED ? "answered" : o == BROKEN ? "broken" : "no answer in 5 s";
}

/* Sends a request that must be answered with `want` (status byte). */
static int expect_status(const char *what, const struct pv_vq_buf *bufs, unsigned n_out,
			 unsigned n_in, uint8_t want)
{
	uint32_t written = 0;
	enum outcome o = send(bufs, n_out, n_in, &written);

	CHECK(o == ANSWERED, "%s: %s, expected status %u", what, outcome_name(o), want);
	CHECK(arena[STATUS_OFF] == want, "%s: status %u, expected %u", what, arena[STATUS_OFF],
	      want);
	CHECK(written >= 1, "%s: used length 0", what);
	printf("blk_hostile: %s -> status %u, as expected\n", what, want);
	return 0;
}

static int expect_broken(const char *what, const struct pv_vq_buf *bufs, unsigned n_out,
			 unsigned n_in)
{
	uint32_t written = 0;
	enum outcome o = send(bufs, n_out, n_in, &written);

	CHECK(o == BROKEN, "%s: %s (status %u), expected the device to break", what,
	      outcome_name(o), arena[STATUS_OFF]);
	printf("blk_hostile: %s -> device broken, as expected\n", what);
	return 0;
}

/* ---- Good requests ------------------------------------------------------ */

static int good_io(uint32_t type, uint64_t sector, uint32_t len)
{
	struct pv_vq_buf b[3] = {
		{ gpa(HDR_OFF), sizeof(struct pvisor_virtio_blk_req_hdr) },
		{ gpa(DATA_OFF), len },
		{ gpa(STATUS_OFF), 1 },
	};

	set_header(HDR_OFF, type, sector);
	return expect_status(type == PVISOR_VIRTIO_BLK_T_IN ? "a good read" : "a good write", b,
			     type == PVISOR_VIRTIO_BLK_T_IN ? 1 : 2,
			     type == PVISOR_VIRTIO_BLK_T_IN ? 2 : 1, PVISOR_VIRTIO_BLK_S_OK);
}

/* The device still serves: a write then a read of the same sectors. */
static int still_serves(bool readonly)
{
	blk_fill(99, arena + DATA_OFF, 8, 4096);
	if (!readonly && good_io(PVISOR_VIRTIO_BLK_T_OUT, 8, 4096))
		return 1;
	memset(arena + DATA_OFF, 0, 4096);
	if (good_io(PVISOR_VIRTIO_BLK_T_IN, 8, 4096))
		return 1;
	CHECK(readonly || blk_mismatch(99, arena + DATA_OFF, 8, 4096) < 0,
	      "read back other data than written");
	return 0;
}

/* After the device broke: reset, restart, and serve again. */
static int recovers(void)
{
	int rc = pv_device_reset(&dev);

	CHECK(rc == 0, "reset after break: %d", rc);
	rc = start_device();
	CHECK(rc == 0, "restart after break: %d", rc);
	return still_serves(false);
}

/* ---- Cases -------------------------------------------------------------- */

static struct pv_vq_buf hdr_buf(size_t off)
{
	return (struct pv_vq_buf){ gpa(off), sizeof(struct pvisor_virtio_blk_req_hdr) };
}

/* A chain of one readable header: nowhere to put a status. */
static int case_no_status(void)
{
	struct pv_vq_buf b[1] = { hdr_buf(HDR_OFF) };

	set_header(HDR_OFF, PVISOR_VIRTIO_BLK_T_IN, 0);
	return expect_broken("no status byte", b, 1, 0) || recovers();
}

/* A write whose "status byte" is device-readable. */
static int case_status_readable(void)
{
	struct pv_vq_buf b[3] = { hdr_buf(HDR_OFF), { gpa(DATA_OFF), 512 }, { gpa(STATUS_OFF), 1 } };

	set_header(HDR_OFF, PVISOR_VIRTIO_BLK_T_OUT, 0);
	return expect_broken("device-readable status byte", b, 3, 0) || recovers();
}

/* A read whose data buffer lies past the end of guest RAM. */
static int case_outside_ram(void)
{
	uint64_t ram_end = pv_start_info()->nr_pages * PV_PAGE_SIZE;
	struct pv_vq_buf b[3] = { hdr_buf(HDR_OFF), { ram_end + (1u << 20), 4096 },
				  { gpa(STATUS_OFF), 1 } };

	set_header(HDR_OFF, PVISOR_VIRTIO_BLK_T_IN, 0);
	return expect_broken("data outside guest RAM", b, 1, 2) || recovers();
}

/* Headers split across two and three descriptors work (the device copies
 * the readable bytes, whatever the split). */
static int case_split_header(void)
{
	struct pv_vq_buf w[4] = { { gpa(HDR_OFF), 7 }, { gpa(HDR_OFF) + 7, 9 },
				  { gpa(DATA_OFF), 4096 }, { gpa(STATUS_OFF), 1 } };
	struct pv_vq_buf r[5] = { { gpa(HDR_OFF), 1 }, { gpa(HDR_OFF) + 1, 14 },
				  { gpa(HDR_OFF) + 15, 1 }, { gpa(DATA_OFF), 4096 },
				  { gpa(STATUS_OFF), 1 } };

	blk_fill(5, arena + DATA_OFF, 40, 4096);
	set_header(HDR_OFF, PVISOR_VIRTIO_BLK_T_OUT, 40);
	if (expect_status("write with a header in 2 pieces", w, 3, 1, PVISOR_VIRTIO_BLK_S_OK))
		return 1;
	memset(arena + DATA_OFF, 0, 4096);
	set_header(HDR_OFF, PVISOR_VIRTIO_BLK_T_IN, 40);
	if (expect_status("read with a header in 3 pieces", r, 3, 2, PVISOR_VIRTIO_BLK_S_OK))
		return 1;
	CHECK(blk_mismatch(5, arena + DATA_OFF, 40, 4096) < 0, "split-header read: wrong data");
	return still_serves(false);
}

static int io_status(const char *what, uint32_t type, uint64_t sector, uint32_t len, uint8_t want)
{
	bool in = type == PVISOR_VIRTIO_BLK_T_IN;
	struct pv_vq_buf b[3] = { hdr_buf(HDR_OFF), { gpa(DATA_OFF), len }, { gpa(STATUS_OFF), 1 } };

	set_header(HDR_OFF, type, sector);
	return expect_status(what, b, in ? 1 : 2, in ? 2 : 1, want);
}

static int case_past_end(void)
{
	const uint8_t E = PVISOR_VIRTIO_BLK_S_IOERR;

	return io_status("read of 2 sectors at the last one", PVISOR_VIRTIO_BLK_T_IN, sectors - 1,
			 1024, E) ||
	       io_status("read at capacity", PVISOR_VIRTIO_BLK_T_IN, sectors, 512, E) ||
	       io_status("write at capacity", PVISOR_VIRTIO_BLK_T_OUT, sectors, 512, E) ||
	       io_status("read at sector 2^63", PVISOR_VIRTIO_BLK_T_IN, 1ull << 63, 512, E) ||
	       io_status("read at sector 2^64 - 1", PVISOR_VIRTIO_BLK_T_IN, ~0ull, 4096, E) ||
	       io_status("write wrapping sector*512", PVISOR_VIRTIO_BLK_T_OUT, 1ull << 55, 512, E) ||
	       io_status("read of the last sector", PVISOR_VIRTIO_BLK_T_IN, sectors - 1, 512,
			 PVISOR_VIRTIO_BLK_S_OK) ||
	       still_serves(false);
}

static int case_bad_length(void)
{
	const uint8_t E = PVISOR_VIRTIO_BLK_S_IOERR;

	return io_status("read of 1000 bytes", PVISOR_VIRTIO_BLK_T_IN, 0, 1000, E) ||
	       io_status("write of 100 bytes", PVISOR_VIRTIO_BLK_T_OUT, 0, 100, E) ||
	       io_status("write of 4097 bytes", PVISOR_VIRTIO_BLK_T_OUT, 0, 4097, E) ||
	       still_serves(false);
}

/* Data buffers in the wrong direction, and a header that is too short. */
static int case_wrong_direction(void)
{
	struct pv_vq_buf in_readable[3] = { hdr_buf(HDR_OFF), { gpa(DATA_OFF), 512 },
					    { gpa(STATUS_OFF), 1 } };
	struct pv_vq_buf out_writable[3] = { hdr_buf(HDR_OFF), { gpa(DATA_OFF), 512 },
					     { gpa(STATUS_OFF), 1 } };
	struct pv_vq_buf short_hdr[2] = { { gpa(HDR_OFF), 8 }, { gpa(STATUS_OFF), 1 } };

	set_header(HDR_OFF, PVISOR_VIRTIO_BLK_T_IN, 0);
	if (expect_status("read with readable data", in_readable, 2, 1, PVISOR_VIRTIO_BLK_S_IOERR))
		return 1;
	set_header(HDR_OFF, PVISOR_VIRTIO_BLK_T_OUT, 0);
	if (expect_status("write with writable data", out_writable, 1, 2,
			  PVISOR_VIRTIO_BLK_S_IOERR))
		return 1;
	set_header(HDR_OFF, PVISOR_VIRTIO_BLK_T_IN, 0);
	if (expect_status("8-byte header", short_hdr, 1, 1, PVISOR_VIRTIO_BLK_S_IOERR))
		return 1;
	return still_serves(false);
}

static int case_unknown_type(void)
{
	struct pv_vq_buf b[2] = { hdr_buf(HDR_OFF), { gpa(STATUS_OFF), 1 } };
	static const uint32_t types[] = { 2, 3, 7, 12, 0x80000000u, 0xffffffffu };

	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char what[48];

		snprintf(what, sizeof(what), "request type %#x", types[i]);
		set_header(HDR_OFF, types[i], 0);
		if (expect_status(what, b, 1, 1, PVISOR_VIRTIO_BLK_S_UNSUPP))
			return 1;
	}
	return still_serves(false);
}

static int range_request(const char *what, uint32_t type, uint64_t sector, uint32_t n,
			 uint32_t flags, unsigned copies, uint8_t want)
{
	struct pvisor_virtio_blk_discard *seg = (struct pvisor_virtio_blk_discard *)(arena + RANGE_OFF);
	struct pv_vq_buf b[3] = { hdr_buf(HDR_OFF),
				  { gpa(RANGE_OFF), (uint32_t)(copies * sizeof(*seg)) },
				  { gpa(STATUS_OFF), 1 } };

	for (unsigned i = 0; i < copies; i++)
		seg[i] = (struct pvisor_virtio_blk_discard){ sector, n, flags };
	set_header(HDR_OFF, type, 0);
	return expect_status(what, b, 2, 1, want);
}

/* Must run on a read-only disk: every change is refused, reads and
 * flushes work. (The suite checks the image did not change.) */
static int case_ro_write(void)
{
	const uint8_t E = PVISOR_VIRTIO_BLK_S_IOERR;
	struct pv_vq_buf flush[2] = { hdr_buf(HDR_OFF), { gpa(STATUS_OFF), 1 } };
	uint64_t offered = pv_device_info((unsigned)dev_index)->device_features;

	CHECK(offered & (1ull << PVISOR_VIRTIO_BLK_F_RO), "the disk is not read-only (run with ,ro)");
	if (io_status("write to a read-only disk", PVISOR_VIRTIO_BLK_T_OUT, 0, 4096, E) ||
	    range_request("discard on a read-only disk", PVISOR_VIRTIO_BLK_T_DISCARD, 0, 8, 0, 1, E) ||
	    range_request("write-zeroes on a read-only disk", PVISOR_VIRTIO_BLK_T_WRITE_ZEROES, 0,
			  8, 0, 1, E))
		return 1;
	set_header(HDR_OFF, PVISOR_VIRTIO_BLK_T_FLUSH, 0);
	if (expect_status("flush of a read-only disk", flush, 1, 1, PVISOR_VIRTIO_BLK_S_OK))
		return 1;
	return still_serves(true);
}

static int case_discard_bad(void)
{
	const uint8_t E = PVISOR_VIRTIO_BLK_S_IOERR;
	uint32_t T = PVISOR_VIRTIO_BLK_T_DISCARD;

	return range_request("discard with unknown flags", T, 0, 8, 2, 1, E) ||
	       range_request("discard past the end", T, sectors - 4, 8, 0, 1, E) ||
	       range_request("discard of 2^32-1 sectors", T, 0, 0xffffffffu, 0, 1, E) ||
	       range_request("discard with two segments", T, 0, 8, 0, 2, E) ||
	       range_request("write-zeroes at sector 2^63", PVISOR_VIRTIO_BLK_T_WRITE_ZEROES,
			     1ull << 63, 8, 0, 1, E) ||
	       range_request("a good discard", T, 16, 8, 0, 1, PVISOR_VIRTIO_BLK_S_OK) ||
	       still_serves(false);
}

/* ---- Hammering ---------------------------------------------------------- */

/* While requests are in flight, a thread keeps rewriting their
 * descriptors (addresses inside the arena or outside RAM, random lengths,
 * NEXT and WRITE flags and links), their headers and the available ring
 * entries. Whatever the
 * device then sees, it must answer each request with a valid status or
 * break; afterwards a reset device must serve again. */
#define HAMMER_ROUNDS	200
#define HAMMER_BATCH	8

static volatile bool hammering;
static struct blk_rng hammer_rng;

static struct pv_mutex ring_lock;	/* the hammer stays off rings being replaced */

/* Outside RAM, straddling its end, or inside the arena's data area (so
 * that whatever the device writes lands in the arena). */
static uint64_t hostile_addr(void)
{
	uint64_t ram_end = pv_start_info()->nr_pages * PV_PAGE_SIZE;

	switch (blk_rand(&hammer_rng) % 4) {
	case 0:
		return ram_end + blk_rand(&hammer_rng) % (1u << 20);
	case 1:
		return ram_end - 1 - blk_rand(&hammer_rng) % 64;
	default:
		return gpa(DATA_OFF) + blk_rand(&hammer_rng) % DATA_MAX;
	}
}

static void hammer_once(void)
{
	struct pv_virtq *q = vq();
	unsigned i = (unsigned)(blk_rand(&hammer_rng) % q->size);
	struct pvisor_virtq_desc *d = &q->desc[i];
	uint64_t r = blk_rand(&hammer_rng);

	/* A descriptor the hammer touches gets a new address first, so that
	 * whatever length and flags the device reads with it, it writes only
	 * into the arena: never the ring's own memory (a hammered length on
	 * an indirect table's descriptor would reach past it) nor the
	 * guest's start info and shared info pages (RAM like any other). So
	 * flags are NEXT and WRITE only: a table made of our headers would
	 * name such small addresses. */
	switch (r % 5) {
	case 0:
		d->addr = hostile_addr();
		break;
	case 1:
		d->addr = hostile_addr();
		d->len = (uint32_t)(blk_rand(&hammer_rng) % DATA_MAX);
		break;
	case 2:
		d->addr = hostile_addr();
		d->flags = (uint16_t)(blk_rand(&hammer_rng) & 3);
		d->next = (uint16_t)(blk_rand(&hammer_rng) % (q->size + 2));
		break;
	case 3:
		header(HDR_OFF + 16 * (r % 8))->type = (uint32_t)(blk_rand(&hammer_rng) % 16);
		header(HDR_OFF + 16 * (r % 8))->sector = blk_rand(&hammer_rng) % (sectors + 4);
		break;
	default:
		q->avail->ring[i] = (uint16_t)(blk_rand(&hammer_rng) % q->size);
		break;
	}
}

static void *hammer_thread(void *arg)
{
	(void)arg;
	while (hammering) {
		pv_mutex_lock(&ring_lock);
		for (int i = 0; i < 64; i++)
			hammer_once();
		pv_mutex_unlock(&ring_lock);
	}
	return NULL;
}

/* One batch of well-formed reads and writes, each with its own header in
 * the arena (HDR_OFF + 16 * k) and its own status byte. */
static void hammer_batch(void)
{
	for (unsigned k = 0; k < HAMMER_BATCH; k++) {
		bool in = k % 2;
		struct pvisor_virtio_blk_req_hdr *h = header(HDR_OFF + 16 * k);
		struct pv_vq_buf b[3] = { { gpa(HDR_OFF + 16 * k), 16 },
					  { gpa(DATA_OFF + 4096 * k), 4096 },
					  { gpa(STATUS_OFF + k), 1 } };

		*h = (struct pvisor_virtio_blk_req_hdr){ .type = in ? 0 : 1, .sector = 8 * k };
		arena[STATUS_OFF + k] = STATUS_UNSET;
		if (pv_virtq_add(vq(), b, in ? 1 : 2, in ? 2 : 1, arena + k + 1) < 0)
			break;
	}
	pv_virtq_publish(vq());
	pv_device_kick(&dev, 0);
}

/* Takes the answers of a batch; false when the device broke or the ring
 * state is beyond use (then the round ends with a reset). */
static bool hammer_collect(unsigned *answered)
{
	uint64_t deadline = pv_clock_ns() + WAIT_NS;
	uint8_t *token;
	uint32_t written;

	while (pv_clock_ns() < deadline) {
		while ((token = pv_virtq_get_used(vq(), &written))) {
			unsigned k = (unsigned)(token - arena - 1);

			if (arena[STATUS_OFF + k] > PVISOR_VIRTIO_BLK_S_UNSUPP &&
			    arena[STATUS_OFF + k] != STATUS_UNSET)
				test_note_failure("status byte %u", arena[STATUS_OFF + k]);
			(*answered)++;
		}
		if (vq()->broken || pv_device_status(dev.index) == PVISOR_DEVICE_S_BROKEN ||
		    pv_virtq_num_free(vq()) == vq()->size)
			return false;
		pv_sleep_us(200);
	}
	test_note_failure("no answer and no break within 5 s");
	return false;
}

static int case_hammer(void)
{
	unsigned answered = 0, resets = 0;
	struct pv_thread_attr attr;
	pv_thread_t *t;

	/* Below main: it hammers whenever main waits for the device. */
	pv_thread_attr_init(&attr);
	attr.priority = PV_PRIO_DEFAULT - 1;
	blk_rng_init(&hammer_rng, pv_clock_ns());
	hammering = true;
	t = pv_thread_create(hammer_thread, NULL, &attr);
	CHECK(t, "cannot start the hammer thread");
	for (int round = 0; round < HAMMER_ROUNDS && !test_failure[0]; round++) {
		hammer_batch();
		hammer_collect(&answered);
		/* Reset every round: the hammer leaves the ring in any state. */
		pv_mutex_lock(&ring_lock);
		if (pv_device_reset(&dev) || start_device())
			test_note_failure("cannot reset and restart the device");
		pv_mutex_unlock(&ring_lock);
		resets++;
	}
	hammering = false;
	pv_thread_join(t, NULL);
	printf("blk_hostile: hammer: %u answers, %u resets\n", answered, resets);
	if (test_failure[0])
		return 1;
	return still_serves(false);
}

/* ---- The frontend on a device that breaks ------------------------------- */

/* Through pv/blk.h: a read into a page the guest ballooned out looks fine
 * to the frontend (pv_dma_addr() cannot know) but breaks the device. The
 * frontend must then fail that request and everything in flight with
 * -EIO, fail every later call with -EIO without hanging, and have reset
 * the device. */
static int case_frontend_broken(void)
{
	struct pv_blk_req good[4], bad = { .op = PV_BLK_READ, .len = 4096 };
	uint8_t *gone = pv_pages_alloc(1), *buf = arena + DATA_OFF;
	struct pv_blk *blk;
	int rc;

	pv_device_reset(&dev);		/* main started it raw; the frontend starts it */
	CHECK(gone && pv_balloon_release(gone, 1) == 0, "cannot balloon a page out");
	rc = pv_blk_open(0, &blk);
	CHECK(rc == 0, "pv_blk_open: %d", rc);
	rc = pv_blk_write(blk, 0, buf, 4096);
	CHECK(rc == 0 && pv_blk_read(blk, 0, buf, 4096) == 0, "good I/O before the break: %d", rc);
	for (unsigned i = 0; i < 4; i++) {
		good[i] = (struct pv_blk_req){ .op = PV_BLK_READ, .sector = 8 * i, .len = 4096,
					       .buf = buf + 4096 * i };
		CHECK(pv_blk_submit(blk, &good[i]) == 0, "submitting good request %u", i);
	}
	bad.buf = gone;
	CHECK(pv_blk_submit(blk, &bad) == 0, "the frontend refused the read into a ballooned page");
	rc = pv_blk_wait(blk, &bad);
	CHECK(rc == -EIO, "the read into a ballooned page returned %d, expected -EIO", rc);
	for (unsigned i = 0; i < 4; i++) {
		rc = pv_blk_wait(blk, &good[i]);
		CHECK(rc == 0 || rc == -EIO, "request %u in flight at the break returned %d", i, rc);
	}
	CHECK(pv_blk_in_flight(blk) == 0, "%u requests still in flight", pv_blk_in_flight(blk));
	CHECK(pv_blk_read(blk, 0, buf, 4096) == -EIO, "a read after the break did not fail");
	CHECK(pv_blk_flush(blk) == -EIO, "a flush after the break did not fail");
	CHECK(pv_blk_wait_any(blk) <= 0, "wait_any after the break");
	CHECK(pv_device_status(dev.index) == PVISOR_DEVICE_S_OFFERED,
	      "the frontend did not reset the broken device (status %d)",
	      pv_device_status(dev.index));
	CHECK(pv_blk_close(blk) == 0, "close after the break");
	printf("blk_hostile: the frontend failed everything with -EIO after the break\n");
	return 0;
}

/* ---- Main --------------------------------------------------------------- */

struct hostile_case {
	const char *name;
	int (*run)(void);
	bool indirect;
};

static const struct hostile_case cases[] = {
	{ "no_status", case_no_status, false },
	{ "status_readable", case_status_readable, false },
	{ "outside_ram", case_outside_ram, true },
	{ "split_header", case_split_header, true },
	{ "past_end", case_past_end, false },
	{ "bad_length", case_bad_length, false },
	{ "wrong_direction", case_wrong_direction, false },
	{ "unknown_type", case_unknown_type, false },
	{ "ro_write", case_ro_write, false },
	{ "discard_bad", case_discard_bad, false },
	{ "hammer", case_hammer, true },
	{ "frontend_broken", case_frontend_broken, false },
};

int main(int argc, char **argv)
{
	const char *name = blk_arg_str(argc, argv, 1, "");

	dev_index = pv_device_find(PVISOR_DEVICE_BLOCK, 0);
	CHECK(dev_index >= 0, "no block device");
	arena = pv_pages_alloc(ARENA_PAGES);
	CHECK(arena, "out of memory");
	/* No stale pointers for a hammered indirect table to follow. */
	memset(arena, 0, ARENA_PAGES * PV_PAGE_SIZE);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(cases[i].name, name) != 0)
			continue;
		with_indirect = cases[i].indirect;
		CHECK(start_device() == 0, "cannot start the device");
		if (cases[i].run())
			return test_failure[0] ? test_result() : 1;
		return test_result();
	}
	return test_fail("unknown case '%s'", name);
}

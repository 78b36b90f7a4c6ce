/* blk_integrity.c (run by tests/suites/blk.sh): data integrity through
 * the block frontend, checked in the guest (the suite also checks the
 * image from the host afterwards).
 *
 *   write SEED [ROUNDS]  covers the whole disk with the pattern of SEED
 *                (blktest.h) in extents of random sizes (512 B to the
 *                largest request, many over 128 KiB), in random order,
 *                32 requests in flight, from page-aligned, sub-page
 *                aligned and unaligned (bounced) buffers; then verifies
 *                as "verify" does, plus threads that read and rewrite
 *                the same data through stack (bounced) buffers at once
 *                (ROUNDS requests each, default 60); then flushes.
 *   verify SEED [ROUNDS]  reads the disk back in other random extents, 32 in
 *                flight, and synchronously into a thread's stack, and
 *                checks every byte.
 *
 * Prints "PASS blk_integrity" only if every request succeeded and every
 * byte read matched. */
#define TEST_NAME "blk_integrity"
#include <stdio.h>
#include <pv/pv.h>
#include "pvtest.h"
#include "blktest.h"

#define DEPTH		32
#define THREADS		4
#define THREAD_ROUNDS	60	/* default */
#define THREAD_MAX	(64u * 1024)

static struct pv_blk *disk;
static uint64_t seed;
static uint64_t thread_rounds = THREAD_ROUNDS;

struct extent {
	uint64_t sector;
	uint32_t len;
};

/* ---- Extents ------------------------------------------------------------ */

/* A request length in sectors: small, medium (up to 128 KiB) or large
 * (over 128 KiB: many segments), at most max_sectors. */
static uint32_t random_sectors(struct blk_rng *r, uint32_t max_sectors)
{
	uint64_t kind = blk_rand(r) % 10, n;

	if (kind < 4)
		n = blk_rand_range(r, 1, 8);
	else if (kind < 7)
		n = blk_rand_range(r, 9, 256);
	else
		n = blk_rand_range(r, 257, max_sectors > 257 ? max_sectors : 257);
	return (uint32_t)(n < max_sectors ? n : max_sectors);
}

/* Splits the disk into extents of random sizes, shuffled. */
static struct extent *make_extents(struct blk_rng *r, unsigned *count)
{
	uint64_t sectors = pv_blk_sectors(disk), at = 0;
	uint32_t max_sectors = pv_blk_max_transfer(disk) / PV_BLK_SECTOR;
	struct extent *e = malloc(sectors * sizeof(*e));
	unsigned n = 0;

	if (!e)
		return NULL;
	while (at < sectors) {
		uint64_t len = random_sectors(r, max_sectors);

		if (len > sectors - at)
			len = sectors - at;
		e[n++] = (struct extent){ at, (uint32_t)(len * PV_BLK_SECTOR) };
		at += len;
	}
	for (unsigned i = n; i > 1; i--) {
		unsigned j = (unsigned)(blk_rand(r) % i);
		struct extent t = e[i - 1];

		e[i - 1] = e[j];
		e[j] = t;
	}
	*count = n;
	return e;
}

/* ---- Asynchronous passes ------------------------------------------------ */

struct io_slot {
	struct pv_blk_req req;
	uint8_t *mem;		/* max_transfer + a page */
	struct extent e;
	bool busy;
};

static struct io_slot slots[DEPTH];
static unsigned large_requests, bounced_requests;

/* Where in its memory a request's buffer starts: page-aligned, 512-byte
 * aligned inside a page, or unaligned (the driver bounces it). */
static uint8_t *buffer_in(struct io_slot *s, struct blk_rng *r)
{
	switch (blk_rand(r) % 4) {
	case 0:
		return s->mem;
	case 1:
	case 2:
		return s->mem + 512 * blk_rand_range(r, 1, 7);
	default:
		bounced_requests++;
		return s->mem + blk_rand_range(r, 1, 511);
	}
}

static int start_io(struct io_slot *s, enum pv_blk_op op, const struct extent *e,
		    struct blk_rng *r)
{
	uint8_t *buf = buffer_in(s, r);

	if (op == PV_BLK_WRITE)
		blk_fill(seed, buf, e->sector, e->len);
	else
		memset(buf, 0xa5, e->len);
	if (e->len > 128 * 1024)
		large_requests++;
	s->e = *e;
	s->busy = true;
	s->req = (struct pv_blk_req){ .op = op, .sector = e->sector, .buf = buf, .len = e->len };
	return pv_blk_submit(disk, &s->req);
}

/* Checks a finished request; 0 or 1 (and a noted failure). */
static int finish_io(struct io_slot *s)
{
	int64_t bad;

	s->busy = false;
	if (s->req.status) {
		test_note_failure("%s of %u bytes at sector %lu failed: %d",
				  s->req.op == PV_BLK_READ ? "read" : "write", s->e.len,
				  (unsigned long)s->e.sector, s->req.status);
		return 1;
	}
	if (s->req.op != PV_BLK_READ)
		return 0;
	bad = blk_mismatch(seed, s->req.buf, s->e.sector, s->e.len);
	if (bad >= 0) {
		test_note_failure("read of %u bytes at sector %lu: wrong data at byte %ld "
				  "(buffer %p)", s->e.len, (unsigned long)s->e.sector, (long)bad,
				  s->req.buf);
		return 1;
	}
	return 0;
}

static struct io_slot *free_slot(void)
{
	for (unsigned i = 0; i < DEPTH; i++)
		if (!slots[i].busy)
			return &slots[i];
	return NULL;
}

static int reap_done(void)
{
	int bad = 0;

	for (unsigned i = 0; i < DEPTH; i++)
		if (slots[i].busy && slots[i].req.done)
			bad |= finish_io(&slots[i]);
	return bad;
}

/* Runs every extent through op with up to DEPTH requests in flight. */
static int run_async(enum pv_blk_op op, const struct extent *e, unsigned n, struct blk_rng *r)
{
	unsigned next = 0;
	int bad = 0, rc;

	while (next < n || pv_blk_in_flight(disk)) {
		struct io_slot *s;

		while (next < n && (s = free_slot())) {
			rc = start_io(s, op, &e[next++], r);
			if (rc)
				bad |= finish_io(s);
		}
		rc = pv_blk_wait_any(disk);
		if (rc < 0) {
			test_note_failure("pv_blk_wait_any: %d", rc);
			return 1;
		}
		bad |= reap_done();
	}
	return bad | reap_done();
}

static int alloc_slots(void)
{
	for (unsigned i = 0; i < DEPTH; i++) {
		slots[i].mem = aligned_alloc(PV_PAGE_SIZE, pv_blk_max_transfer(disk) + PV_PAGE_SIZE);
		if (!slots[i].mem)
			return -1;
	}
	return 0;
}

/* ---- Threads with stack buffers ----------------------------------------- */

struct thread_arg {
	uint64_t rng_seed;
	bool rewrite;
};

/* Reads a random extent into a stack buffer, checks it, and (if asked)
 * writes the same bytes back from the stack. */
static void *stack_worker(void *p)
{
	const struct thread_arg *a = p;
	uint8_t buf[THREAD_MAX];
	struct blk_rng r;
	uint64_t sectors = pv_blk_sectors(disk);

	blk_rng_init(&r, a->rng_seed);
	for (uint64_t i = 0; i < thread_rounds && !test_failure[0]; i++) {
		uint32_t len = (uint32_t)blk_rand_range(&r, 1, THREAD_MAX / PV_BLK_SECTOR) * PV_BLK_SECTOR;
		uint64_t sector = blk_rand_range(&r, 0, sectors - len / PV_BLK_SECTOR);
		int rc = pv_blk_read(disk, sector, buf, len);
		int64_t bad = rc ? -1 : blk_mismatch(seed, buf, sector, len);

		if (rc || bad >= 0) {
			test_note_failure("thread read of %u bytes at sector %lu: %s %d/%ld", len,
					  (unsigned long)sector, rc ? "error" : "wrong data", rc,
					  (long)bad);
			break;
		}
		rc = a->rewrite ? pv_blk_write(disk, sector, buf, len) : 0;
		if (rc) {
			test_note_failure("thread write at sector %lu: %d", (unsigned long)sector, rc);
			break;
		}
	}
	return NULL;
}

static int run_threads(bool rewrite)
{
	struct pv_thread_attr attr;
	struct thread_arg args[THREADS];
	pv_thread_t *t[THREADS];

	pv_thread_attr_init(&attr);
	attr.stack_size = THREAD_MAX + 64 * 1024;
	for (unsigned i = 0; i < THREADS; i++) {
		args[i] = (struct thread_arg){ seed * 1000 + i, rewrite };
		t[i] = pv_thread_create(stack_worker, &args[i], &attr);
		if (!t[i]) {
			test_note_failure("cannot create thread %u", i);
			return 1;
		}
	}
	for (unsigned i = 0; i < THREADS; i++)
		pv_thread_join(t[i], NULL);
	return test_failure[0] != 0;
}

/* ---- Main --------------------------------------------------------------- */

static int verify_pass(struct blk_rng *r)
{
	unsigned n;
	struct extent *e = make_extents(r, &n);
	int bad;

	if (!e) {
		test_note_failure("out of memory");
		return 1;
	}
	bad = run_async(PV_BLK_READ, e, n, r);
	free(e);
	return bad || run_threads(false);
}

static int write_pass(struct blk_rng *r)
{
	unsigned n;
	struct extent *e = make_extents(r, &n);
	int bad, rc;

	if (!e) {
		test_note_failure("out of memory");
		return 1;
	}
	bad = run_async(PV_BLK_WRITE, e, n, r);
	printf("blk_integrity: wrote %u extents (%u over 128 KiB, %u unaligned)\n", n,
	       large_requests, bounced_requests);
	free(e);
	if (bad || verify_pass(r) || run_threads(true))
		return 1;
	rc = pv_blk_flush(disk);
	if (rc)
		test_note_failure("flush: %d", rc);
	return rc != 0;
}

int main(int argc, char **argv)
{
	const char *mode = blk_arg_str(argc, argv, 1, "write");
	struct pv_blk_stats st;
	struct blk_rng r;
	int rc;

	seed = blk_arg_u64(argc, argv, 2, 1);
	thread_rounds = blk_arg_u64(argc, argv, 3, THREAD_ROUNDS);
	blk_rng_init(&r, seed ^ (mode[0] == 'w' ? 0 : 0x77));
	rc = pv_blk_open(0, &disk);
	CHECK(rc == 0, "pv_blk_open: %d", rc);
	CHECK(pv_blk_max_transfer(disk) > 128 * 1024, "largest request only %u bytes",
	      pv_blk_max_transfer(disk));
	CHECK(alloc_slots() == 0, "out of memory");
	if (strcmp(mode, "write") == 0)
		write_pass(&r);
	else if (strcmp(mode, "verify") == 0)
		verify_pass(&r);
	else
		return test_fail("unknown mode '%s'", mode);
	pv_blk_stats(disk, &st);
	printf("blk_integrity: %lu requests, %lu bounced, %lu kicks, %lu sleeps, %lu events\n",
	       st.submitted, st.bounced, st.kicks, st.sleeps, st.events);
	if (!test_failure[0] && st.errors)
		test_note_failure("%lu requests failed", st.errors);
	return test_result();
}

/* blk_flushkill.c (run by tests/suites/blk.sh and bench/flushkill.sh, through
 * tests/blk/flushkill_lib.sh): flush durability under
 * kill -9.
 *
 *   blk_flushkill run SEED     writes records (record i is sector i, with
 *                              the pattern of SEED) in batches of 1 to 16,
 *                              as one request or several in flight, flushes
 *                              after each batch and prints "flushed N" once
 *                              the flush is acknowledged (records 0..N are
 *                              then durable), until the disk is full or
 *                              pvisor is killed
 *   blk_flushkill check SEED N reads records 0..N back and checks them
 *                              (after a kill, on an overlay); prints
 *                              "blk_flushkill: lost K of N+1 records"
 *
 * The suite kills pvisor with SIGKILL at varying moments and checks that
 * every record up to the last N printed is on the disk. */
#define TEST_NAME "blk_flushkill"
#include <stdio.h>
#include <pv/pv.h>
#include "pvtest.h"
#include "blktest.h"

#define MAX_BATCH 16

/* Writes records [first, first + n) either as one request or one request
 * per record, all in flight together. */
static int write_batch(struct pv_blk *disk, uint8_t *buf, uint64_t first, unsigned n, bool split)
{
	struct pv_blk_req reqs[MAX_BATCH], *list[MAX_BATCH] = { NULL };
	unsigned count = split ? n : 1;
	int rc = 0;

	for (unsigned i = 0; i < count; i++) {
		reqs[i] = (struct pv_blk_req){
			.op = PV_BLK_WRITE,
			.sector = first + i,
			.buf = buf + i * PV_BLK_SECTOR,
			.len = split ? PV_BLK_SECTOR : n * PV_BLK_SECTOR,
		};
		list[i] = &reqs[i];
	}
	if (pv_blk_submit_batch(disk, list, count) != (int)count)
		return -1;
	for (unsigned i = 0; i < count; i++) {
		int r = pv_blk_wait(disk, &reqs[i]);

		if (r && !rc)
			rc = r;
	}
	return rc;
}

static int run(struct pv_blk *disk, uint64_t seed)
{
	uint8_t *buf = aligned_alloc(PV_PAGE_SIZE, MAX_BATCH * PV_BLK_SECTOR);
	uint64_t sectors = pv_blk_sectors(disk), next = 0;
	struct blk_rng r;

	CHECK(buf, "out of memory");
	blk_rng_init(&r, seed);
	while (next < sectors) {
		unsigned n = (unsigned)blk_rand_range(&r, 1, MAX_BATCH);
		int rc;

		if (n > sectors - next)
			n = (unsigned)(sectors - next);
		blk_fill(seed, buf, next, n * PV_BLK_SECTOR);
		rc = write_batch(disk, buf, next, n, blk_rand(&r) % 2);
		if (rc == 0)
			rc = pv_blk_flush(disk);
		CHECK(rc == 0, "writing records %lu..%lu: %d", next, next + n - 1, rc);
		next += n;
		printf("flushed %lu\n", next - 1);
	}
	printf("blk_flushkill: the disk is full\n");
	return test_pass();
}

static int check(struct pv_blk *disk, uint64_t seed, uint64_t last)
{
	uint64_t bytes = (last + 1) * PV_BLK_SECTOR, lost = 0, first_lost = 0;
	uint8_t *buf = aligned_alloc(PV_PAGE_SIZE, bytes);
	int rc;

	CHECK(buf, "out of memory");
	CHECK(last < pv_blk_sectors(disk), "record %lu is past the end", last);
	rc = pv_blk_read(disk, 0, buf, bytes);
	CHECK(rc == 0, "reading records 0..%lu: %d", last, rc);
	for (uint64_t i = 0; i <= last; i++) {
		if (blk_mismatch(seed, buf + i * PV_BLK_SECTOR, i, PV_BLK_SECTOR) < 0)
			continue;
		if (lost++ == 0)
			first_lost = i;
	}
	/* bench/flushkill.sh counts the lost records from this line */
	printf("blk_flushkill: lost %lu of %lu records\n", lost, last + 1);
	CHECK(lost == 0, "record %lu is not on the disk", first_lost);
	printf("blk_flushkill: records 0..%lu are on the disk\n", last);
	return test_pass();
}

int main(int argc, char **argv)
{
	const char *mode = blk_arg_str(argc, argv, 1, "run");
	uint64_t seed = blk_arg_u64(argc, argv, 2, 1);
	struct pv_blk *disk;
	int rc = pv_blk_open(0, &disk);

	CHECK(rc == 0, "pv_blk_open: %d", rc);
	if (strcmp(mode, "check") == 0)
		return check(disk, seed, blk_arg_u64(argc, argv, 3, 0));
	return run(disk, seed);
}

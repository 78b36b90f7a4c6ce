/* blk_enospc.c (run by tests/suites/blk.sh, blk/enospc-*): a guest that
 * writes until the host's file system is full.
 *
 *   blk_enospc SEED [flush|noflush]
 *                     writes the disk from sector 0 on, record i being
 *                     sector i with the pattern of SEED (tests/blk/blktest.h,
 *                     as blk_flushkill writes it), in requests of 1 to 128
 *                     sectors, until a request fails. flush (the default)
 *                     flushes after each request and prints "flushed N"
 *                     once sectors 0..N are durable; noflush prints
 *                     "written N" once the write of sectors 0..N is
 *                     acknowledged, and never flushes (pvisor's clean exit
 *                     must then keep them). The failure must be an I/O
 *                     error status (-EIO), and the disk must go on
 *                     answering: a flush returns, every record written so
 *                     far reads back, another write returns.
 *
 * It fails if it writes the whole disk without an error (the suite puts
 * the image, or the overlay, on a file system far smaller than the disk).
 * The suite then checks the records from the host, or by a new boot over
 * the overlay with `blk_flushkill check SEED N`. Bounded by --timeout. */
#define TEST_NAME "blk_enospc"
#include <errno.h>
#include <stdio.h>
#include <pv/pv.h>
#include "pvtest.h"
#include "blktest.h"

#define MAX_SECTORS 128

int main(int argc, char **argv)
{
	uint64_t seed = blk_arg_u64(argc, argv, 1, 1), next = 0, sectors;
	bool flush = strcmp(blk_arg_str(argc, argv, 2, "flush"), "noflush") != 0;
	uint8_t *buf = aligned_alloc(PV_PAGE_SIZE, MAX_SECTORS * PV_BLK_SECTOR);
	struct pv_blk *disk;
	struct blk_rng r;
	int rc = pv_blk_open(0, &disk), again;

	CHECK(rc == 0, "pv_blk_open: %d", rc);
	CHECK(buf, "out of memory");
	sectors = pv_blk_sectors(disk);
	blk_rng_init(&r, seed);
	for (;;) {
		unsigned n = (unsigned)blk_rand_range(&r, 1, MAX_SECTORS);

		CHECK(next < sectors, "wrote all %lu sectors without an error: the host's file system did not fill",
		      sectors);
		if (n > sectors - next)
			n = (unsigned)(sectors - next);
		blk_fill(seed, buf, next, n * PV_BLK_SECTOR);
		rc = pv_blk_write(disk, next, buf, n * PV_BLK_SECTOR);
		if (rc == 0 && flush)
			rc = pv_blk_flush(disk);
		if (rc)
			break;
		next += n;
		printf("%s %lu\n", flush ? "flushed" : "written", next - 1);
	}
	printf("blk_enospc: error %d after %lu sectors\n", rc, next);
	CHECK(rc == -EIO, "the failure at sector %lu is %d, not an I/O error status", next, rc);

	/* The disk still answers: a flush returns (either way), the records
	 * written so far read back, and another write returns. */
	again = pv_blk_flush(disk);
	printf("blk_enospc: flush after the error: %d\n", again);
	for (uint64_t s = 0; s < next; s += MAX_SECTORS) {
		uint64_t len = (next - s < MAX_SECTORS ? next - s : MAX_SECTORS) * PV_BLK_SECTOR;
		int64_t bad;

		rc = pv_blk_read(disk, s, buf, len);
		CHECK(rc == 0, "reading sectors from %lu after the error: %d", s, rc);
		bad = blk_mismatch(seed, buf, s, len);
		CHECK(bad < 0, "sector %lu is not what was written", s + (uint64_t)bad / PV_BLK_SECTOR);
	}
	blk_fill(seed, buf, next, MAX_SECTORS * PV_BLK_SECTOR);
	again = pv_blk_write(disk, next, buf, (next + MAX_SECTORS <= sectors ? MAX_SECTORS : 1) * PV_BLK_SECTOR);
	printf("blk_enospc: another write: %d\n", again);
	CHECK(again == 0 || again == -EIO, "another write gave %d", again);
	return test_pass();
}

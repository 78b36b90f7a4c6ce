/* blk_ro.c (run by tests/suites/blk.sh): a read-only disk (--disk
 * IMG,ro) through the frontend:
 *
 *   blk_ro SEED
 *
 * the disk says read-only (RO negotiated, no DISCARD or WRITE_ZEROES);
 * writes, discards and write-zeroes are refused with -EROFS, synchronous
 * and asynchronous; flush succeeds; and the whole disk reads back as the
 * pattern of SEED the host wrote into the image. (The backend's own
 * refusal of writes is checked by blk_hostile ro_write, and the suite
 * checks that the image did not change.) Prints "PASS blk_ro" only if
 * every check held. */
#define TEST_NAME "blk_ro"
#include <errno.h>
#include <stdio.h>
#include <pv/pv.h>
#include "pvtest.h"
#include "blktest.h"

#define CHUNK (256u * 1024)

static int check_refusals(struct pv_blk *disk, uint8_t *buf)
{
	struct pv_blk_req req = { .op = PV_BLK_WRITE, .buf = buf, .len = 4096 };
	uint64_t f = pv_blk_features(disk);

	CHECK(pv_blk_readonly(disk), "the disk does not say it is read-only");
	CHECK(f & (1ull << PVISOR_VIRTIO_BLK_F_RO), "RO not negotiated");
	CHECK(!(f & (1ull << PVISOR_VIRTIO_BLK_F_DISCARD)) &&
	      !(f & (1ull << PVISOR_VIRTIO_BLK_F_WRITE_ZEROES)),
	      "a read-only disk offers discard or write-zeroes");
	CHECK(pv_blk_write(disk, 0, buf, 4096) == -EROFS, "a write was not refused");
	CHECK(pv_blk_discard(disk, 0, 8) == -EROFS, "a discard was not refused");
	CHECK(pv_blk_write_zeroes(disk, 0, 8) == -EROFS, "a write-zeroes was not refused");
	CHECK(pv_blk_submit(disk, &req) == -EROFS && req.done && req.status == -EROFS,
	      "an asynchronous write was not refused");
	CHECK(pv_blk_flush(disk) == 0, "flush of a read-only disk failed");
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t seed = blk_arg_u64(argc, argv, 1, 1), sectors, at;
	struct pv_blk *disk;
	uint8_t *buf;
	int rc = pv_blk_open(0, &disk);

	CHECK(rc == 0, "pv_blk_open: %d", rc);
	buf = aligned_alloc(PV_PAGE_SIZE, CHUNK);
	CHECK(buf, "out of memory");
	if (check_refusals(disk, buf))
		return 1;
	sectors = pv_blk_sectors(disk);
	for (at = 0; at < sectors; at += CHUNK / PV_BLK_SECTOR) {
		uint64_t n = sectors - at < CHUNK / PV_BLK_SECTOR ? sectors - at : CHUNK / PV_BLK_SECTOR;
		int64_t bad;

		rc = pv_blk_read(disk, at, buf, n * PV_BLK_SECTOR);
		CHECK(rc == 0, "read at sector %lu: %d", at, rc);
		bad = blk_mismatch(seed, buf, at, n * PV_BLK_SECTOR);
		CHECK(bad < 0, "wrong data at byte %ld", (long)(at * PV_BLK_SECTOR + (uint64_t)bad));
	}
	printf("blk_ro: read %lu sectors, every write refused\n", sectors);
	return test_pass();
}

/* blk_ops.c (run by tests/suites/blk.sh): the block operations besides
 * plain reads and writes, through the frontend, on a writable disk:
 *
 *   blk_ops SECTORS ID
 *
 * checks the capacity (SECTORS) and the negotiated features; that
 * pv_blk_get_id() returns ID (what `pvisor disk info` prints), also as an
 * asynchronous request; that a discarded and a write-zeroed range read
 * back as zeroes while their neighbours keep their data; that flush
 * succeeds; that the first and the last sector can be written and read;
 * and that requests past the end, of no length or of a length that is not
 * a multiple of 512 are refused before reaching the device. Prints
 * "PASS blk_ops" only if every check held. */
#define TEST_NAME "blk_ops"
#include <errno.h>
#include <stdio.h>
#include <pv/pv.h>
#include "pvtest.h"
#include "blktest.h"

#define SEED		11
#define REGION		256u	/* sectors written around each zeroed range */
#define ZEROED_AT	64u	/* sector offset of the zeroed range */
#define ZEROED_LEN	72u	/* sectors, not a multiple of 8 */

static struct pv_blk *disk;
static uint8_t *buf;

static int check_features(uint64_t want_sectors)
{
	uint64_t f = pv_blk_features(disk);
	const unsigned need[] = { PVISOR_VIRTIO_F_VERSION_1, PVISOR_VIRTIO_F_EVENT_IDX,
				  PVISOR_VIRTIO_F_INDIRECT_DESC, PVISOR_VIRTIO_BLK_F_FLUSH,
				  PVISOR_VIRTIO_BLK_F_DISCARD, PVISOR_VIRTIO_BLK_F_WRITE_ZEROES,
				  PVISOR_VIRTIO_BLK_F_SEG_MAX, PVISOR_VIRTIO_BLK_F_BLK_SIZE };

	CHECK(pv_blk_sectors(disk) == want_sectors, "capacity %lu sectors, expected %lu",
	      pv_blk_sectors(disk), want_sectors);
	CHECK(!pv_blk_readonly(disk), "a writable disk says it is read-only");
	for (unsigned i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		CHECK(f & (1ull << need[i]), "feature bit %u not negotiated (features %#lx)", need[i],
		      f);
	CHECK(pv_blk_block_size(disk) >= PV_BLK_SECTOR, "block size %u", pv_blk_block_size(disk));
	return 0;
}

static int check_id(const char *want)
{
	char id[PV_BLK_ID_BYTES + 1], raw[PV_BLK_ID_BYTES];
	struct pv_blk_req req = { .op = PV_BLK_GET_ID, .buf = raw };
	int rc = pv_blk_get_id(disk, id);

	CHECK(rc == 0, "get-id: %d", rc);
	CHECK(strcmp(id, want) == 0, "id '%s', expected '%s'", id, want);
	rc = pv_blk_submit(disk, &req);
	CHECK(rc == 0, "submitting get-id: %d", rc);
	rc = pv_blk_wait(disk, &req);
	CHECK(rc == 0 && memcmp(raw, want, strlen(want)) == 0, "asynchronous get-id: %d", rc);
	printf("blk_ops: id %s\n", id);
	return 0;
}

static bool all_zero(const uint8_t *p, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* Writes REGION sectors at base, zeroes a range inside with op, and
 * checks zeroes inside, pattern outside. */
static int check_zeroing(const char *what, int (*op)(struct pv_blk *, uint64_t, uint64_t),
			 uint64_t base)
{
	uint64_t zero_off = ZEROED_AT * PV_BLK_SECTOR, zero_len = ZEROED_LEN * PV_BLK_SECTOR;
	int rc;

	blk_fill(SEED, buf, base, REGION * PV_BLK_SECTOR);
	rc = pv_blk_write(disk, base, buf, REGION * PV_BLK_SECTOR);
	CHECK(rc == 0, "%s: writing the region: %d", what, rc);
	rc = op(disk, base + ZEROED_AT, ZEROED_LEN);
	CHECK(rc == 0, "%s: %d", what, rc);
	memset(buf, 0x5a, REGION * PV_BLK_SECTOR);
	rc = pv_blk_read(disk, base, buf, REGION * PV_BLK_SECTOR);
	CHECK(rc == 0, "%s: reading back: %d", what, rc);
	CHECK(all_zero(buf + zero_off, zero_len), "%s: the range does not read back as zeroes",
	      what);
	CHECK(blk_mismatch(SEED, buf, base, zero_off) < 0, "%s: data before the range changed",
	      what);
	CHECK(blk_mismatch(SEED, buf + zero_off + zero_len, base + ZEROED_AT + ZEROED_LEN,
			   (REGION - ZEROED_AT - ZEROED_LEN) * PV_BLK_SECTOR) < 0,
	      "%s: data after the range changed", what);
	printf("blk_ops: %s of %u sectors reads back as zeroes\n", what, ZEROED_LEN);
	return 0;
}

/* The first and the last sector, alone. */
static int check_edges(void)
{
	uint64_t last = pv_blk_sectors(disk) - 1;
	int rc;

	blk_fill(SEED, buf, 0, PV_BLK_SECTOR);
	blk_fill(SEED, buf + PV_BLK_SECTOR, last, PV_BLK_SECTOR);
	rc = pv_blk_write(disk, 0, buf, PV_BLK_SECTOR);
	if (rc == 0)
		rc = pv_blk_write(disk, last, buf + PV_BLK_SECTOR, PV_BLK_SECTOR);
	CHECK(rc == 0, "writing the first and last sectors: %d", rc);
	memset(buf, 0, 2 * PV_BLK_SECTOR);
	rc = pv_blk_read(disk, 0, buf, PV_BLK_SECTOR);
	if (rc == 0)
		rc = pv_blk_read(disk, last, buf + PV_BLK_SECTOR, PV_BLK_SECTOR);
	CHECK(rc == 0, "reading the first and last sectors: %d", rc);
	CHECK(blk_mismatch(SEED, buf, 0, PV_BLK_SECTOR) < 0 &&
	      blk_mismatch(SEED, buf + PV_BLK_SECTOR, last, PV_BLK_SECTOR) < 0,
	      "first or last sector read back wrong");
	return 0;
}

/* Malformed requests: refused with -EINVAL, nothing sent. */
static int check_refusals(void)
{
	uint64_t n = pv_blk_sectors(disk);
	struct pv_blk_stats before, after;
	struct pv_blk_req req = { .op = PV_BLK_READ, .sector = n, .buf = buf, .len = 512 };

	pv_blk_stats(disk, &before);
	CHECK(pv_blk_read(disk, n - 1, buf, 1024) == -EINVAL, "a read past the end was not refused");
	CHECK(pv_blk_read(disk, n, buf, 512) == -EINVAL, "a read at capacity was not refused");
	CHECK(pv_blk_write(disk, ~0ull, buf, 512) == -EINVAL, "a write at 2^64-1 was not refused");
	CHECK(pv_blk_read(disk, 0, buf, 0) == -EINVAL, "an empty read was not refused");
	CHECK(pv_blk_read(disk, 0, buf, 1000) == -EINVAL, "a 1000-byte read was not refused");
	CHECK(pv_blk_discard(disk, n - 1, 2) == -EINVAL, "a discard past the end was not refused");
	CHECK(pv_blk_submit(disk, &req) == -EINVAL && req.done && req.status == -EINVAL,
	      "an asynchronous read at capacity was not refused");
	req = (struct pv_blk_req){ .op = PV_BLK_READ, .buf = buf,
				   .len = pv_blk_max_transfer(disk) + 512 };
	CHECK(pv_blk_submit(disk, &req) == -EINVAL, "a request over the largest transfer was taken");
	pv_blk_stats(disk, &after);
	CHECK(after.submitted == before.submitted, "a refused request reached the device");
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t want_sectors = blk_arg_u64(argc, argv, 1, 0);
	const char *want_id = blk_arg_str(argc, argv, 2, "");
	int rc = pv_blk_open(0, &disk);
	struct pv_blk *none;

	CHECK(rc == 0, "pv_blk_open: %d", rc);
	CHECK(pv_blk_open(1, &none) == -ENODEV, "a second disk was found");
	buf = aligned_alloc(PV_PAGE_SIZE, REGION * PV_BLK_SECTOR);
	CHECK(buf, "out of memory");
	CHECK(pv_blk_sectors(disk) >= 3 * REGION, "the disk is too small for this test");
	if (check_features(want_sectors) || check_id(want_id) || check_edges() ||
	    check_zeroing("discard", pv_blk_discard, REGION) ||
	    check_zeroing("write-zeroes", pv_blk_write_zeroes, 2 * REGION) || check_refusals())
		return 1;
	rc = pv_blk_flush(disk);
	CHECK(rc == 0, "flush: %d", rc);
	rc = pv_blk_close(disk);
	CHECK(rc == 0, "close: %d", rc);
	return test_pass();
}

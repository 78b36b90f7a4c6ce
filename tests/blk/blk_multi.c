/* blk_multi.c (run by tests/suites/blk.sh): several disks at once.
 *
 *   blk_multi N SECTORS_0 .. SECTORS_N-1
 *
 * opens N disks (and finds no disk N), checks each capacity, then one
 * thread per disk writes its whole disk with the pattern of seed 100 + i
 * while the others do the same, reads it back and checks it, and
 * flushes. The suite checks each image file against its seed afterwards,
 * so data that went to the wrong disk is caught on both sides. Prints
 * "PASS blk_multi" only if every check held. */
#define TEST_NAME "blk_multi"
#include <errno.h>
#include <stdio.h>
#include <pv/pv.h>
#include "pvtest.h"
#include "blktest.h"

#define MAX_DISKS	8
#define SEED_BASE	100

static struct pv_blk *disks[MAX_DISKS];

static void *disk_worker(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	struct pv_blk *d = disks[i];
	uint64_t bytes = pv_blk_sectors(d) * PV_BLK_SECTOR;
	uint8_t *buf = aligned_alloc(PV_PAGE_SIZE, bytes);
	int rc;

	if (!buf) {
		test_note_failure("disk %u: out of memory", i);
		return NULL;
	}
	blk_fill(SEED_BASE + i, buf, 0, bytes);
	rc = pv_blk_write(d, 0, buf, bytes);
	if (rc == 0) {
		memset(buf, 0, bytes);
		rc = pv_blk_read(d, 0, buf, bytes);
	}
	if (rc == 0 && blk_mismatch(SEED_BASE + i, buf, 0, bytes) >= 0)
		test_note_failure("disk %u read back other data", i);
	if (rc == 0)
		rc = pv_blk_flush(d);
	if (rc)
		test_note_failure("disk %u: I/O failed: %d", i, rc);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned n = (unsigned)blk_arg_u64(argc, argv, 1, 0);
	pv_thread_t *t[MAX_DISKS];
	struct pv_blk *extra;

	CHECK(n >= 2 && n <= MAX_DISKS && argc >= 2 + (int)n, "usage: blk_multi N SECTORS...");
	for (unsigned i = 0; i < n; i++) {
		uint64_t want = blk_arg_u64(argc, argv, 2 + (int)i, 0);
		int rc = pv_blk_open(i, &disks[i]);

		CHECK(rc == 0, "opening disk %u: %d", i, rc);
		CHECK(pv_blk_sectors(disks[i]) == want, "disk %u: %lu sectors, expected %lu", i,
		      pv_blk_sectors(disks[i]), want);
		CHECK(i == 0 || pv_blk_index(disks[i]) > pv_blk_index(disks[i - 1]),
		      "disks %u and %u share a device", i - 1, i);
	}
	CHECK(pv_blk_open(n, &extra) == -ENODEV, "found a disk %u", n);
	for (unsigned i = 0; i < n; i++) {
		t[i] = pv_thread_create(disk_worker, (void *)(uintptr_t)i, NULL);
		CHECK(t[i], "cannot start thread %u", i);
	}
	for (unsigned i = 0; i < n; i++)
		pv_thread_join(t[i], NULL);
	if (!test_failure[0])
		printf("blk_multi: %u disks written and read back at once\n", n);
	return test_result();
}

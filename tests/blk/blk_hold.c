/* blk_hold.c (run by tests/suites/blk.sh and confine.sh): opens disk 0,
 * reads its first sector (so that the host's I/O workers exist), prints
 * "holding", and sleeps up to 60 s, so that the suite can try a second
 * pvisor on the same image while this one has it open (and locked), or
 * look at its threads. */
#include <stdio.h>
#include <pv/blk.h>
#include <pv/pv.h>

int main(void)
{
	static char sector[512] __attribute__((aligned(4096)));
	struct pv_blk *disk;
	int rc = pv_blk_open(0, &disk);

	if (rc) {
		printf("blk_hold: cannot open the disk: %d\n", rc);
		return 1;
	}
	if ((rc = pv_blk_read(disk, 0, sector, sizeof(sector))) != 0) {
		printf("blk_hold: cannot read the disk: %d\n", rc);
		return 1;
	}
	printf("holding\n");
	pv_sleep_ms(60000);
	return 0;
}

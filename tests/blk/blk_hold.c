/* blk_hold.c (run by tests/suites/blk.sh): opens disk 0, prints
 * "holding", and sleeps up to 60 s, so that the suite can try a second
 * pvisor on the same image while this one has it open (and locked). */
#include <stdio.h>
#include <pv/blk.h>
#include <pv/pv.h>

int main(void)
{
	struct pv_blk *disk;
	int rc = pv_blk_open(0, &disk);

	if (rc) {
		printf("blk_hold: cannot open the disk: %d\n", rc);
		return 1;
	}
	printf("holding\n");
	pv_sleep_ms(60000);
	return 0;
}

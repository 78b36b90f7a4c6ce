/* pvisor-test: exit=0 stdout=first boot, rebooting */
/* reboot.c: SHUTDOWN_REBOOT restarts the domain from its image with fresh
 * memory; start_info.boot_count tells the new boot it is the second. */
#define TEST_NAME "reboot"
#include "pvtest.h"
#include <pv/hypercall.h>

static int marker;	/* must be 0 again after the reboot: fresh memory */

int main(void)
{
	const struct pvisor_start_info *si = pv_start_info();

	if (si->boot_count == 0) {
		marker = 1;
		printf("first boot, rebooting\n");
		hc_sched_op(PVISOR_SCHED_SHUTDOWN, PVISOR_SHUTDOWN_REBOOT, 0, 0);
		return test_fail("SHUTDOWN_REBOOT returned");
	}
	if (si->boot_count != 1)
		return test_fail("boot_count %llu after one reboot", (unsigned long long)si->boot_count);
	if (marker != 0)
		return test_fail("memory survived the reboot");
	return test_pass();
}

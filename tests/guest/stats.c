/* pvisor-test: exit=0 args=--stats stderr=pvisor stats: stderr=    vcpu_info        3 stderr=  exits */
/* stats.c: --stats reports exits and hypercalls by number; three
 * VCPU_INFO hypercalls (which the kernel never makes itself) must show up
 * as exactly three. */
#define TEST_NAME "stats"
#include "pvtest.h"
#include <pv/hypercall.h>

int main(void)
{
	long before = pv_hypercall1(PVISOR_HC_VCPU_INFO, PVISOR_VCPU_INFO_EXITS);
	long now = pv_hypercall1(PVISOR_HC_VCPU_INFO, PVISOR_VCPU_INFO_TIME);
	long after = pv_hypercall1(PVISOR_HC_VCPU_INFO, PVISOR_VCPU_INFO_EXITS);

	if (before < 1 || after != before + 2 || now <= 0)
		return test_fail("exits %ld then %ld, time %ld", before, after, now);
	return test_pass();
}

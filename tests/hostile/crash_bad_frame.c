/* pvisor-test: exit=126 stderr=guest crashed */
/* crash_bad_frame.c (hostile): SCHED_SHUTDOWN(CRASH) naming a frame that
 * is not guest memory: the hypervisor must still end the domain with a
 * crash report (from the vCPU's own registers), not read wild memory. */
#include <stdio.h>
#include <pv/hypercall.h>

int main(void)
{
	printf("crash_bad_frame: declaring a crash with a frame in the upper half\n");
	hc_sched_op(PVISOR_SCHED_SHUTDOWN, PVISOR_SHUTDOWN_CRASH, 3, 0xffff800000000000ull);
	printf("FAIL crash_bad_frame: shutdown returned\n");
	return 1;
}

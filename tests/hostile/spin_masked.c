/* pvisor-test: exit=124 args=--timeout 2 timeout=20 stderr=timed out */
/* spin_masked.c (hostile): the guest masks events and spins forever. It
 * can never be interrupted from inside, so pvisor's --timeout must end it
 * (exit 124) with a report of where the vCPU was. */
#include <pv/pv.h>
#include <stdio.h>

int main(void)
{
	printf("spin_masked: masking events and spinning\n");
	pv_events_disable();
	for (;;)
		__asm__ volatile("" ::: "memory");
}

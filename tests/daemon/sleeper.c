/* sleeper.c (run by tests/suites/daemon.sh): a domain that stays up until
 * it is destroyed. It prints the domain id it finds in its start info (the
 * daemon's, not always 1) and then sleeps. */
#include <stdio.h>
#include <pv/pv.h>

int main(void)
{
	printf("sleeper: up as domain %u\n", (unsigned)pv_start_info()->domid);
	for (;;)
		pv_sleep_ms(1000);
}

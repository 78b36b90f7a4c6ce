/* pvisor-test: exit=0 */
/* unknown_hypercall.c (hostile): every hypercall number without a handler
 * (PVISOR_HC_COUNT .. 15, the rest of the hypercall page) and every unknown
 * sub-command returns -ENOSYS; an unknown shutdown reason returns -EINVAL.
 * Nothing crashes, and the guest carries on. */
#define TEST_NAME "unknown_hypercall"
#include <errno.h>
#include <pv/hypercall.h>
#include "pvtest.h"

int main(void)
{
	static const unsigned long with_subcommands[] = {
		PVISOR_HC_VERSION, PVISOR_HC_CONSOLE_IO, PVISOR_HC_SCHED_OP,
		PVISOR_HC_EVENT_CHANNEL_OP, PVISOR_HC_MEMORY_OP, PVISOR_HC_CALLBACK_OP,
	};
	static const unsigned long bad_cmds[] = { 99, 0x7fffffff, ~0ul };
	unsigned long nr, i, j;
	long r;

	for (nr = PVISOR_HC_COUNT; nr < PVISOR_HYPERCALL_MAX; nr++) {
		r = pv_hypercall5(nr, 1, 2, 3, 4, 5);
		CHECK(r == -ENOSYS, "hypercall %lu returned %ld, expected -ENOSYS", nr, r);
	}
	for (i = 0; i < sizeof(with_subcommands) / sizeof(with_subcommands[0]); i++) {
		for (j = 0; j < sizeof(bad_cmds) / sizeof(bad_cmds[0]); j++) {
			r = pv_hypercall5(with_subcommands[i], bad_cmds[j], 0, 0, 0, 0);
			CHECK(r == -ENOSYS, "hypercall %lu command %#lx returned %ld, expected -ENOSYS",
			      with_subcommands[i], bad_cmds[j], r);
		}
	}
	r = hc_sched_op(PVISOR_SCHED_SHUTDOWN, 99, 0, 0);
	CHECK(r == -EINVAL, "shutdown reason 99 returned %ld, expected -EINVAL", r);
	CHECK(hc_version(PVISOR_VERSION_ABI) == PVISOR_ABI_VERSION, "VERSION broke");
	pv_sleep_ms(1);
	return test_pass();
}

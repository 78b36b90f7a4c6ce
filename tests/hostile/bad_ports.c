/* pvisor-test: exit=0 */
/* bad_ports.c (hostile): event-channel commands on ports that are out of
 * range or not allocated fail with -EINVAL; binding a VIRQ that is bound
 * already fails with -EEXIST, an unknown VIRQ with -EINVAL; allocating
 * ports until none is left fails with -ENOMEM, and closing one makes
 * allocation work again. */
#define TEST_NAME "bad_ports"
#include <errno.h>
#include <pv/hypercall.h>
#include "pvtest.h"

static int opened[PVISOR_NR_EVENT_PORTS];

int main(void)
{
	static const unsigned long bad[] = { 0, PVISOR_NR_EVENT_PORTS, 0xffffffff, ~0ul, 1000 };
	static const unsigned long cmds[] = {
		PVISOR_EVTCHN_SEND, PVISOR_EVTCHN_UNMASK, PVISOR_EVTCHN_CLOSE,
	};
	unsigned int i, j, n = 0;
	long r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (j = 0; j < sizeof(cmds) / sizeof(cmds[0]); j++) {
			r = hc_evtchn_op(cmds[j], bad[i], 0);
			CHECK(r == -EINVAL, "command %lu on port %#lx returned %ld", cmds[j], bad[i], r);
		}
	r = hc_evtchn_op(PVISOR_EVTCHN_BIND_VIRQ, PVISOR_VIRQ_TIMER, 0);
	CHECK(r == -EEXIST, "binding VIRQ_TIMER twice returned %ld", r);
	r = hc_evtchn_op(PVISOR_EVTCHN_BIND_VIRQ, PVISOR_NR_VIRQS, 0);
	CHECK(r == -EINVAL, "binding an unknown VIRQ returned %ld", r);
	r = hc_evtchn_op(PVISOR_EVTCHN_BIND_INTERDOMAIN, PVISOR_DOMID_SELF, 1000);
	CHECK(r == -EINVAL, "binding to an unallocated port returned %ld", r);
	r = hc_evtchn_op(PVISOR_EVTCHN_ALLOC_UNBOUND, 12345, 0);
	CHECK(r > 0 || r == -EINVAL, "alloc_unbound for an unknown domain returned %ld", r);
	if (r > 0)
		hc_evtchn_op(PVISOR_EVTCHN_CLOSE, (unsigned long)r, 0);

	for (;;) {
		r = hc_evtchn_op(PVISOR_EVTCHN_ALLOC_UNBOUND, PVISOR_DOMID_SELF, 0);
		if (r < 0)
			break;
		CHECK(r > 0 && r < PVISOR_NR_EVENT_PORTS, "port %ld out of range", r);
		CHECK(n < PVISOR_NR_EVENT_PORTS, "more ports than exist");
		opened[n++] = (int)r;
	}
	CHECK(r == -ENOMEM, "exhausting the ports ended with %ld, expected -ENOMEM", r);
	printf("bad_ports: %u ports allocated before -ENOMEM\n", n);
	CHECK(n > 1000, "only %u ports could be allocated", n);
	CHECK(hc_evtchn_op(PVISOR_EVTCHN_CLOSE, (unsigned long)opened[n / 2], 0) == 0,
	      "close failed");
	r = hc_evtchn_op(PVISOR_EVTCHN_ALLOC_UNBOUND, PVISOR_DOMID_SELF, 0);
	CHECK(r == opened[n / 2], "allocation after a close returned %ld", r);
	for (i = 0; i < n; i++)
		CHECK(hc_evtchn_op(PVISOR_EVTCHN_CLOSE, (unsigned long)opened[i], 0) == 0,
		      "closing port %d failed", opened[i]);
	pv_sleep_ms(2);		/* the timer port still works */
	return test_pass();
}

/* pvisor-test: exit=0 */
/* events_self.c: event channels within one domain. Port a is allocated
 * unbound for ourselves and port b bound to it; sending on either end runs
 * the other end's handler. An event sent while the port is masked stays
 * pending and is delivered by the unmask; one sent while all events are
 * disabled is delivered when they are enabled again. Closed and unknown
 * ports are refused. */
#define TEST_NAME "events_self"
#include <errno.h>
#include "pvtest.h"

static struct pv_sem got_a, got_b;
static volatile int count_a, count_b;

static void on_a(unsigned int port, void *arg)
{
	(void)port;
	(void)arg;
	count_a++;
	pv_sem_post(&got_a);
}

static void on_b(unsigned int port, void *arg)
{
	(void)port;
	(void)arg;
	count_b++;
	pv_sem_post(&got_b);
}

static int wait_sem(struct pv_sem *s)
{
	return pv_sem_timedwait(s, pv_clock_ns() + PV_NSEC_PER_SEC);
}

int main(void)
{
	int a, b, err, before;
	unsigned long flags;

	a = pv_evtchn_alloc_unbound(PVISOR_DOMID_SELF, on_a, NULL);
	CHECK(a > 0, "alloc_unbound returned %d", a);
	b = pv_evtchn_bind_interdomain(PVISOR_DOMID_SELF, (unsigned int)a, on_b, NULL);
	CHECK(b > 0 && b != a, "bind_interdomain returned %d", b);

	CHECK(pv_evtchn_send((unsigned int)b) == 0, "send on b failed");
	CHECK(wait_sem(&got_a) == 0, "handler of a did not run after send on b");
	CHECK(pv_evtchn_send((unsigned int)a) == 0, "send on a failed");
	CHECK(wait_sem(&got_b) == 0, "handler of b did not run after send on a");
	CHECK(count_a == 1 && count_b == 1, "counts %d/%d, expected 1/1", count_a, count_b);

	/* Masked port: pending but not delivered until unmasked. */
	pv_evtchn_mask((unsigned int)a);
	CHECK(pv_evtchn_send((unsigned int)b) == 0, "send while masked failed");
	pv_sleep_ms(5);
	CHECK(count_a == 1, "a masked port was delivered");
	CHECK(pv_evtchn_pending((unsigned int)a), "a masked port did not become pending");
	CHECK(pv_evtchn_unmask((unsigned int)a) == 0, "unmask failed");
	CHECK(wait_sem(&got_a) == 0, "unmask did not deliver the pending event");
	CHECK(count_a == 2, "count_a %d after unmask, expected 2", count_a);

	/* All events disabled: delivered on restore, before it returns. */
	flags = pv_events_disable();
	before = count_b;
	CHECK(pv_evtchn_send((unsigned int)a) == 0, "send while disabled failed");
	CHECK(count_b == before, "an event was delivered while events were disabled");
	pv_events_restore(flags);
	CHECK(count_b == before + 1, "restore did not deliver the pending event at once");
	CHECK(wait_sem(&got_b) == 0, "semaphore not posted");
	CHECK(pv_evtchn_count((unsigned int)b) == 2, "port b count %lu",
	      pv_evtchn_count((unsigned int)b));

	/* Closing b leaves a unbound: sending on a fails, then on closed b. */
	CHECK(pv_evtchn_close((unsigned int)b) == 0, "close b failed");
	err = pv_evtchn_send((unsigned int)b);
	CHECK(err == -EINVAL, "send on a closed port returned %d", err);
	err = pv_evtchn_send((unsigned int)a);
	CHECK(err == -EINVAL, "send on an unbound port returned %d", err);
	CHECK(pv_evtchn_close((unsigned int)a) == 0, "close a failed");
	err = pv_evtchn_send(PVISOR_NR_EVENT_PORTS);
	CHECK(err == -EINVAL, "send on port %u returned %d", PVISOR_NR_EVENT_PORTS, err);
	return test_pass();
}

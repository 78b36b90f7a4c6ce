/* test_evtchn.c: event-channel allocation, binding and the pending/mask
 * protocol on the shared info page (evtchn.c). */
#include <string.h>

#include <pvisor/errno.h>

#include "check.h"
#include "core/evtchn.h"

static struct pvisor_shared_info shared;
static struct evtchn_table table;
static int notifications;

static void count_notify(void *arg, unsigned vcpu)
{
	(void)arg;
	(void)vcpu;
	notifications++;
}

static void setup(void)
{
	memset(&shared, 0, sizeof(shared));
	notifications = 0;
	evtchn_init(&table, &shared, 1, count_notify, NULL);
}

static int pending(uint32_t port)
{
	return (shared.evtchn_pending[port / 64] >> (port % 64)) & 1;
}

static void virq_binding(void)
{
	long port;

	setup();
	port = evtchn_op(&table, PVISOR_EVTCHN_BIND_VIRQ, PVISOR_VIRQ_TIMER, 0);
	CHECK_EQ(port, 1);
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_BIND_VIRQ, PVISOR_VIRQ_TIMER, 0), -PVISOR_EEXIST);
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_BIND_VIRQ, PVISOR_NR_VIRQS, 0), -PVISOR_EINVAL);
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_SEND, (uint64_t)port, 0), -PVISOR_EINVAL);
	CHECK(evtchn_virq_bound(&table, PVISOR_VIRQ_TIMER));
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_CLOSE, (uint64_t)port, 0), 0);
	CHECK(!evtchn_virq_bound(&table, PVISOR_VIRQ_TIMER));
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_BIND_VIRQ, PVISOR_VIRQ_TIMER, 0), 1);
}

static void raise_sets_bits_once(void)
{
	setup();
	evtchn_op(&table, PVISOR_EVTCHN_BIND_VIRQ, PVISOR_VIRQ_TIMER, 0);
	evtchn_raise_virq(&table, PVISOR_VIRQ_TIMER);
	CHECK(pending(1));
	CHECK_EQ(shared.vcpu_info[0].evtchn_pending_sel, 1);
	CHECK_EQ(shared.vcpu_info[0].upcall_pending, 1);
	CHECK_EQ(notifications, 1);
	evtchn_raise_virq(&table, PVISOR_VIRQ_TIMER);
	CHECK_EQ(notifications, 1);
	evtchn_raise_virq(&table, PVISOR_VIRQ_CONSOLE); /* unbound: nothing */
	CHECK_EQ(notifications, 1);
}

static void masked_event_waits_for_unmask(void)
{
	setup();
	evtchn_op(&table, PVISOR_EVTCHN_BIND_VIRQ, PVISOR_VIRQ_TIMER, 0);
	shared.evtchn_mask[0] = 1ull << 1;
	evtchn_raise_virq(&table, PVISOR_VIRQ_TIMER);
	CHECK(pending(1));
	CHECK_EQ(shared.vcpu_info[0].upcall_pending, 0);
	CHECK_EQ(notifications, 0);
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_UNMASK, 1, 0), 0);
	CHECK_EQ(shared.evtchn_mask[0], 0);
	CHECK_EQ(shared.vcpu_info[0].upcall_pending, 1);
	CHECK_EQ(notifications, 1);
}

static void loopback_pair(void)
{
	long a, b;

	setup();
	a = evtchn_op(&table, PVISOR_EVTCHN_ALLOC_UNBOUND, PVISOR_DOMID_SELF, 0);
	CHECK(a > 0);
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_SEND, (uint64_t)a, 0), -PVISOR_EINVAL);
	b = evtchn_op(&table, PVISOR_EVTCHN_BIND_INTERDOMAIN, PVISOR_DOMID_SELF, (uint64_t)a);
	CHECK(b > 0 && b != a);
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_BIND_INTERDOMAIN, PVISOR_DOMID_SELF, (uint64_t)a),
		 -PVISOR_EINVAL);
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_SEND, (uint64_t)a, 0), 0);
	CHECK(pending((uint32_t)b) && !pending((uint32_t)a));
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_SEND, (uint64_t)b, 0), 0);
	CHECK(pending((uint32_t)a));
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_CLOSE, (uint64_t)b, 0), 0);
	CHECK(!pending((uint32_t)b));
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_SEND, (uint64_t)a, 0), -PVISOR_EINVAL);
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_ALLOC_UNBOUND, 77, 0), -PVISOR_EINVAL);
}

static void bad_ports_and_commands(void)
{
	const uint64_t bad[] = { 0, 5, PVISOR_NR_EVENT_PORTS, 0xffffffffull, ~0ull };

	setup();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_SEND, bad[i], 0), -PVISOR_EINVAL);
		CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_CLOSE, bad[i], 0), -PVISOR_EINVAL);
		CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_UNMASK, bad[i], 0), -PVISOR_EINVAL);
	}
	CHECK_EQ(evtchn_op(&table, 99, 0, 0), -PVISOR_ENOSYS);
}

static void exhaustion_and_recovery(void)
{
	long port = 0, last = 0;
	unsigned count = 0;

	setup();
	while ((port = evtchn_op(&table, PVISOR_EVTCHN_ALLOC_UNBOUND, PVISOR_DOMID_SELF, 0)) > 0) {
		last = port;
		count++;
	}
	CHECK_EQ(port, -PVISOR_ENOMEM);
	CHECK_EQ(count, PVISOR_NR_EVENT_PORTS - 1);
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_CLOSE, (uint64_t)last, 0), 0);
	CHECK_EQ(evtchn_op(&table, PVISOR_EVTCHN_ALLOC_UNBOUND, PVISOR_DOMID_SELF, 0), last);
}

int main(void)
{
	RUN(virq_binding);
	RUN(raise_sets_bits_once);
	RUN(masked_event_waits_for_unmask);
	RUN(loopback_pair);
	RUN(bad_ports_and_commands);
	RUN(exhaustion_and_recovery);
	evtchn_destroy(&table);
	CHECK_EXIT();
}

/* test_device.c: the one way devices meet the domain core (core/device.c):
 * attach order, bus registration and lookup, the order in which buses are
 * asked (a catch-all bus last, whatever its place), DEVICE_OP with and
 * without a bus, teardown in reverse; and the emulated PC as such a bus
 * (hw/pc.c): unowned ports read as all ones, its devices need it. */
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pvisor/errno.h>
#include <pvisor/platform.h>

#include "check.h"
#include "console/console.h"
#include "core/domain.h"
#include "disk/disk_spec.h"
#include "hw/pc.h"

/* ---- Fake buses that record what the core asks them ------------------------- */

struct fake_bus {
	char name;
	uint16_t port;          /* the one port it owns */
	bool catch_all;
	char *log;              /* shared trace of calls */
};

static void trace(struct fake_bus *b, char what)
{
	size_t n = strlen(b->log);

	b->log[n] = what;
	b->log[n + 1] = b->name;
	b->log[n + 2] = '\0';
}

static bool fake_port_exit(void *bus, struct vcpu *v)
{
	struct fake_bus *b = bus;

	trace(b, 'p');
	return b->catch_all || v->run->io.port == b->port;
}

static long fake_device_op(void *bus, uint64_t cmd, uint64_t index)
{
	return (long)(cmd * 100 + index);
}

static bool fake_pins(void *bus, uint64_t pfn)
{
	return pfn == 7;
}

static void fake_destroy(void *bus)
{
	trace(bus, 'x');
}

static const struct bus_ops owner_ops = {
	.name = "owner", .port_exit = fake_port_exit, .destroy = fake_destroy,
	.device_op = fake_device_op, .pins_pfn = fake_pins,
};
static const struct bus_ops other_ops = {
	.name = "other", .port_exit = fake_port_exit, .destroy = fake_destroy,
};
static const struct bus_ops catch_all_ops = {
	.name = "catch-all", .catch_all_ports = true, .port_exit = fake_port_exit,
	.destroy = fake_destroy,
};

static int attach_owner(struct domain *d, const void *arg)
{
	return domain_add_bus(d, &owner_ops, (void *)arg);
}

static int attach_other(struct domain *d, const void *arg)
{
	return domain_add_bus(d, &other_ops, (void *)arg);
}

static int attach_catch_all(struct domain *d, const void *arg)
{
	return domain_add_bus(d, &catch_all_ops, (void *)arg);
}

static int attach_fails(struct domain *d, const void *arg)
{
	return -1;
}

static const struct device_type owner_type = { "owner", attach_owner };
static const struct device_type other_type = { "other", attach_other };
static const struct device_type catch_all_type = { "catch-all", attach_catch_all };
static const struct device_type failing_type = { "failing", attach_fails };

/* A domain with no KVM behind it: enough for the bus layer. */
static struct domain *fake_domain(struct domain_config *cfg)
{
	struct domain *d = calloc(1, sizeof(*d));

	d->cfg = cfg;
	d->vm_fd = -1;
	return d;
}

static struct kvm_run run_page[2];   /* room for the data after the header */

static void port_access(struct vcpu *v, uint16_t port, unsigned size, bool out)
{
	memset(run_page, 0, sizeof(run_page));
	run_page[0].io.port = port;
	run_page[0].io.size = (uint8_t)size;
	run_page[0].io.count = 1;
	run_page[0].io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run_page[0].io.data_offset = sizeof(run_page[0]);
	v->run = &run_page[0];
}

static void catch_all_is_asked_last(void)
{
	char log[64] = "";
	struct fake_bus all = { 'C', 0, true, log }, a = { 'A', 0x100, false, log },
			b = { 'B', 0x200, false, log };
	struct domain_config cfg = {
		.devices = { { &catch_all_type, &all }, { &owner_type, &a }, { &other_type, &b } },
		.nr_devices = 3,
	};
	struct domain *d = fake_domain(&cfg);
	struct vcpu v = { .dom = d };

	CHECK_EQ(domain_attach_devices(d), 0);
	CHECK_EQ(d->nr_buses, 3u);
	CHECK(domain_has_catch_all_bus(d));
	CHECK(domain_find_bus(d, &other_ops) == &b);
	port_access(&v, 0x200, 1, true);
	CHECK(domain_bus_port_exit(d, &v));
	CHECK_STR(log, "pApB");             /* B owns it: C is never asked */
	log[0] = '\0';
	port_access(&v, 0x300, 1, false);
	CHECK(domain_bus_port_exit(d, &v));
	CHECK_STR(log, "pApBpC");           /* nobody owns it: the catch-all answers */
	log[0] = '\0';
	domain_destroy_buses(d);
	CHECK_STR(log, "xCxBxA");           /* reverse order of the asking */
	CHECK_EQ(d->nr_buses, 0u);
	free(d);
}

static void attach_stops_at_a_failure(void)
{
	char log[64] = "";
	struct fake_bus a = { 'A', 0x100, false, log }, b = { 'B', 0x200, false, log };
	struct domain_config cfg = {
		.devices = { { &owner_type, &a }, { &failing_type, NULL }, { &other_type, &b } },
		.nr_devices = 3,
	};
	struct domain *d = fake_domain(&cfg);

	CHECK_EQ(domain_attach_devices(d), -1);
	CHECK_EQ(d->nr_buses, 1u);          /* the bus after the failure never came */
	CHECK(domain_find_bus(d, &other_ops) == NULL);
	domain_destroy_buses(d);
	CHECK_STR(log, "xA");
	free(d);
}

static void device_op_and_pins(void)
{
	char log[64] = "";
	struct fake_bus a = { 'A', 0x100, false, log };
	struct domain_config cfg = { .devices = { { &owner_type, &a } }, .nr_devices = 1 };
	struct domain *d = fake_domain(&cfg);

	CHECK_EQ(domain_bus_device_op(d, 1, 2), -PVISOR_EINVAL);   /* no bus yet */
	CHECK(!domain_bus_pins_pfn(d, 7));
	CHECK_EQ(domain_attach_devices(d), 0);
	CHECK(!domain_has_catch_all_bus(d));
	CHECK_EQ(domain_bus_device_op(d, 1, 2), 102);
	CHECK(domain_bus_pins_pfn(d, 7));
	CHECK(!domain_bus_pins_pfn(d, 8));
	domain_destroy_buses(d);
	free(d);
}

static void too_many_buses(void)
{
	char log[64] = "";
	struct fake_bus a = { 'A', 0x100, false, log };
	struct domain_config cfg = { 0 };
	struct domain *d = fake_domain(&cfg);

	for (unsigned i = 0; i < DOMAIN_MAX_BUSES; i++)
		CHECK_EQ(domain_add_bus(d, &other_ops, &a), 0);
	CHECK_EQ(domain_add_bus(d, &other_ops, &a), -1);
	domain_destroy_buses(d);
	free(d);
}

/* ---- The emulated PC as a bus ------------------------------------------------ */

static void pc_answers_every_port(void)
{
	struct console con;
	struct domain_config cfg = { .mode = DOMAIN_MODE_FULL };
	struct domain *d;
	struct vcpu v;
	uint32_t value;

	console_init(&con, -1, -1);
	cfg.console = &con;
	cfg.devices[0] = (struct device_spec){ &pc_platform, &con };
	cfg.nr_devices = 1;
	d = fake_domain(&cfg);
	v = (struct vcpu){ .dom = d };
	CHECK_EQ(domain_attach_devices(d), 0);
	CHECK_EQ(d->nr_buses, 1u);
	port_access(&v, 0x5678, 4, false);              /* nobody's port */
	CHECK(domain_bus_port_exit(d, &v));
	memcpy(&value, (uint8_t *)run_page + run_page[0].io.data_offset, 4);
	CHECK_EQ(value, 0xffffffffu);
	CHECK_EQ(d->stats.emulated_io, 1u);
	port_access(&v, PVISOR_PORT_COM1 + 5, 1, false); /* the UART's line status */
	CHECK(domain_bus_port_exit(d, &v));
	memcpy(&value, (uint8_t *)run_page + run_page[0].io.data_offset, 4);
	CHECK((value & 0xff) != 0xff);
	CHECK_EQ(pc_platform.attach(d, &con), -1);      /* one PC per domain */
	CHECK_EQ(domain_start_buses(d), 0);
	domain_destroy_buses(d);
	console_destroy(&con);
	free(d);
}

static void pc_devices_need_the_pc(void)
{
	struct domain_config cfg = { .mode = DOMAIN_MODE_PV };
	struct disk_config dc = { .path = "/nonexistent" };

	struct domain *d = fake_domain(&cfg);

	CHECK_EQ(ata_disk_device.attach(d, &dc), -1);
	CHECK_EQ(d->nr_buses, 0u);
	free(d);
}

int main(void)
{
	RUN(catch_all_is_asked_last);
	RUN(attach_stops_at_a_failure);
	RUN(device_op_and_pins);
	RUN(too_many_buses);
	RUN(pc_answers_every_port);
	RUN(pc_devices_need_the_pc);
	CHECK_EXIT();
}

/* pvisor-test: exit=0 */
/* device_start.c (hostile): PVISOR_HC_DEVICE_OP refuses every bad device
 * setup and leaves the device usable: unknown devices and commands,
 * features outside the offer or without VERSION_1, queue sizes that are
 * zero, not a power of two or above max_size, rings outside RAM, wrapping,
 * misaligned or on the hypervisor's fixed pages, event ports that are not
 * offered to the backend; START twice is -EBUSY; a bound port cannot be
 * closed; a ring page cannot be ballooned out; after all that a correct
 * START works and RESET gives the ports back. Uses the console device
 * (device 0), which the kernel started at boot: it resets it first. */
#define TEST_NAME "device_start"
#include <errno.h>
#include <string.h>
#include <pv/device.h>
#include <pv/hypercall.h>
#include "pvtest.h"

static volatile struct pvisor_device *dev0(void)
{
	return &((volatile struct pvisor_device_page *)PVISOR_DEVICE_PAGE_GVA)->devices[0];
}

static uint8_t *rings;          /* 4 pages: two queues' rings */
static int port[2];

/* A correct setup, which each case then spoils in one way. */
static void good_setup(void)
{
	volatile struct pvisor_device *d = dev0();

	d->driver_features = 1ull << PVISOR_VIRTIO_F_VERSION_1;
	for (unsigned q = 0; q < 2; q++) {
		uint64_t base = (uint64_t)(uintptr_t)rings + q * 2 * PV_PAGE_SIZE;

		d->queues[q].size = 16;
		d->queues[q].desc_gpa = base;
		d->queues[q].avail_gpa = base + 16 * 16;
		d->queues[q].used_gpa = base + PV_PAGE_SIZE;
		d->queues[q].event_port = (uint32_t)port[q];
	}
}

static int expect_start(const char *what, long want)
{
	long rc = hc_device_op(PVISOR_DEVICE_START, 0);

	if (rc == 0 && want != 0)
		hc_device_op(PVISOR_DEVICE_RESET, 0);
	CHECK(rc == want, "%s: START returned %ld, expected %ld", what, rc, want);
	return 0;
}

static int bad_setups(void)
{
	volatile struct pvisor_device *d = dev0();
	uint64_t ram_end = pv_start_info()->nr_pages * PV_PAGE_SIZE;
	int bad = 0;

	good_setup(); d->driver_features = 0;
	bad |= expect_start("no VERSION_1", -EINVAL);
	good_setup(); d->driver_features |= 1ull << 40;
	bad |= expect_start("feature not offered", -EINVAL);
	good_setup(); d->queues[0].size = 0;
	bad |= expect_start("size 0", -EINVAL);
	good_setup(); d->queues[0].size = 24;
	bad |= expect_start("size not a power of two", -EINVAL);
	good_setup(); d->queues[1].size = (uint16_t)(d->queues[1].max_size * 2);
	bad |= expect_start("size above max_size", -EINVAL);
	good_setup(); d->queues[0].desc_gpa = ram_end;
	bad |= expect_start("descriptors past RAM", -EINVAL);
	good_setup(); d->queues[0].used_gpa = ram_end - 8;
	bad |= expect_start("used ring running off RAM", -EINVAL);
	good_setup(); d->queues[0].avail_gpa = ~0ull - 4;
	bad |= expect_start("avail ring wrapping", -EINVAL);
	good_setup(); d->queues[0].desc_gpa += 8;
	bad |= expect_start("misaligned descriptors", -EINVAL);
	good_setup(); d->queues[1].used_gpa += 2;
	bad |= expect_start("misaligned used ring", -EINVAL);
	good_setup(); d->queues[0].used_gpa = PVISOR_SHARED_INFO_GVA;
	bad |= expect_start("used ring on the shared info page", -EINVAL);
	good_setup(); d->queues[1].desc_gpa = PVISOR_DEVICE_PAGE_GVA;
	bad |= expect_start("descriptors on the device page", -EINVAL);
	good_setup(); d->queues[0].event_port = 0;
	bad |= expect_start("port 0", -EINVAL);
	good_setup(); d->queues[0].event_port = 5000;
	bad |= expect_start("port out of range", -EINVAL);
	good_setup(); d->queues[1].event_port = (uint32_t)pv_evtchn_alloc_unbound(PVISOR_DOMID_SELF, NULL, NULL);
	bad |= expect_start("port offered to ourselves", -EINVAL);
	return bad;
}

static int bad_commands(void)
{
	int bad = 0;

	CHECK(hc_device_op(PVISOR_DEVICE_START, PVISOR_MAX_DEVICES) == -EINVAL, "START of device 15");
	CHECK(hc_device_op(PVISOR_DEVICE_START, ~0ul) == -EINVAL, "START of device ~0");
	CHECK(hc_device_op(PVISOR_DEVICE_RESET, 1000) == -EINVAL, "RESET of device 1000");
	CHECK(hc_device_op(77, 0) == -ENOSYS, "unknown command");
	return bad;
}

static int while_running(void)
{
	uint64_t pfn = (uint64_t)(uintptr_t)rings >> PV_PAGE_SHIFT;
	int bad = 0;

	good_setup();
	CHECK(hc_device_op(PVISOR_DEVICE_START, 0) == 0, "a correct START failed");
	CHECK(dev0()->status == PVISOR_DEVICE_S_RUNNING, "status is %u after START", dev0()->status);
	CHECK(hc_device_op(PVISOR_DEVICE_START, 0) == -EBUSY, "second START was not -EBUSY");
	CHECK(pv_evtchn_close((unsigned)port[0]) == -EBUSY, "closed a port bound to a device");
	CHECK(hc_memory_op(PVISOR_MEM_DECREASE_RESERVATION, &pfn, 1) == -EBUSY,
	      "ballooned out a ring page");
	CHECK(hc_device_op(PVISOR_DEVICE_RESET, 0) == 0, "RESET failed");
	CHECK(dev0()->status == PVISOR_DEVICE_S_OFFERED, "status is %u after RESET", dev0()->status);
	CHECK(hc_device_op(PVISOR_DEVICE_RESET, 0) == 0, "second RESET failed");
	CHECK(pv_evtchn_close((unsigned)port[0]) == 0, "port still bound after RESET");
	return bad;
}

int main(void)
{
	int bad = 0;

	if (pv_device_find(PVISOR_DEVICE_CONSOLE, 0) != 0)
		return test_fail("no console device at index 0");
	if (hc_device_op(PVISOR_DEVICE_RESET, 0) != 0)
		return test_fail("cannot reset the console device");
	rings = pv_pages_alloc(4);
	port[0] = pv_evtchn_alloc_unbound(PVISOR_DOMID_BACKEND, NULL, NULL);
	port[1] = pv_evtchn_alloc_unbound(PVISOR_DOMID_BACKEND, NULL, NULL);
	if (!rings || port[0] <= 0 || port[1] <= 0)
		return test_fail("setup: pages or ports");
	memset(rings, 0, 4 * PV_PAGE_SIZE);
	bad |= bad_commands();
	bad |= bad_setups();
	bad |= while_running();
	return bad ? 1 : test_pass();
}

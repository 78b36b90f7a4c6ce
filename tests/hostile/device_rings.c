/* pvisor-test: exit=0 timeout=30 stderr=stopped: the guest broke its protocol */
/* device_rings.c (hostile): malformed virtqueues stop a device, never the
 * host. On the console device's transmit queue the guest posts, one at a
 * time (resetting the device in between): a chain with a device-writable
 * buffer, a buffer outside RAM, a descriptor loop, a head index past the
 * table, an available index that jumps by more than the queue size; each
 * must turn the device BROKEN and RESET must make it usable again. Then a
 * thread rewrites descriptors at random while the main thread posts
 * chains: pvisor must survive (the device may or may not break). */
#define TEST_NAME "device_rings"
#include <errno.h>
#include <string.h>
#include <pv/device.h>
#include <pv/hypercall.h>
#include <pv/thread.h>
#include <pv/time.h>
#include <pvisor/io/virtio_console.h>
#include "pvtest.h"

#define QSIZE 16
#define TXQ PVISOR_VIRTIO_CONSOLE_TX

static uint8_t *mem;            /* 2 pages of rings per queue, then data */
static struct pvisor_virtq_desc *desc;
static struct pvisor_virtq_avail *avail;
static struct pvisor_virtq_used *used;
static uint8_t *data;
static int ports[2];

static volatile struct pvisor_device *dev0(void)
{
	return &((volatile struct pvisor_device_page *)PVISOR_DEVICE_PAGE_GVA)->devices[0];
}

static int start(void)
{
	volatile struct pvisor_device *d = dev0();

	memset(mem, 0, 5 * PV_PAGE_SIZE);
	d->driver_features = 1ull << PVISOR_VIRTIO_F_VERSION_1;
	for (unsigned q = 0; q < 2; q++) {
		uint64_t base = (uint64_t)(uintptr_t)mem + q * 2 * PV_PAGE_SIZE;

		d->queues[q].size = QSIZE;
		d->queues[q].desc_gpa = base;
		d->queues[q].avail_gpa = base + 16 * QSIZE;
		d->queues[q].used_gpa = base + PV_PAGE_SIZE;
		d->queues[q].event_port = (uint32_t)ports[q];
	}
	desc = (void *)(mem + TXQ * 2 * PV_PAGE_SIZE);
	avail = (void *)((uint8_t *)desc + 16 * QSIZE);
	used = (void *)((uint8_t *)desc + PV_PAGE_SIZE);
	return (int)hc_device_op(PVISOR_DEVICE_START, 0);
}

static void kick(void)
{
	uint16_t port = dev0()->queues[TXQ].doorbell;

	__asm__ volatile("outb %%al, %%dx" : : "a"(0), "d"(port) : "memory");
}

static void publish(uint16_t head, uint16_t idx_step)
{
	avail->ring[avail->idx % QSIZE] = head;
	__atomic_store_n(&avail->idx, (uint16_t)(avail->idx + idx_step), __ATOMIC_RELEASE);
	kick();
}

/* Waits up to 2 s for the device to report BROKEN. */
static bool went_broken(void)
{
	uint64_t until = pv_clock_ns() + 2000000000ull;

	while (pv_clock_ns() < until) {
		if (dev0()->status == PVISOR_DEVICE_S_BROKEN)
			return true;
		pv_sleep_ns(1000000);
	}
	return false;
}

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc[i] = (struct pvisor_virtq_desc){ addr, len, flags, next };
}

static int expect_broken(const char *what)
{
	if (!went_broken())
		return test_fail("%s did not break the device (status %u)", what, dev0()->status);
	if (hc_device_op(PVISOR_DEVICE_RESET, 0) != 0 || dev0()->status != PVISOR_DEVICE_S_OFFERED)
		return test_fail("RESET after %s failed", what);
	if (start() != 0)
		return test_fail("START after %s failed", what);
	return 0;
}

static int malformed_chains(void)
{
	uint64_t ram_end = pv_start_info()->nr_pages * PV_PAGE_SIZE;
	uint64_t buf = (uint64_t)(uintptr_t)data;

	set_desc(0, buf, 8, PVISOR_VIRTQ_DESC_F_WRITE, 0);
	publish(0, 1);
	if (expect_broken("a device-writable output buffer"))
		return 1;
	set_desc(0, ram_end - 4, 8, 0, 0);
	publish(0, 1);
	if (expect_broken("a buffer running off RAM"))
		return 1;
	set_desc(0, buf, 8, PVISOR_VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, buf, 8, PVISOR_VIRTQ_DESC_F_NEXT, 0);
	publish(0, 1);
	if (expect_broken("a descriptor loop"))
		return 1;
	publish(QSIZE + 3, 1);
	if (expect_broken("a head past the table"))
		return 1;
	set_desc(0, buf, 8, 0, 0);
	publish(0, QSIZE + 1);
	if (expect_broken("an index jump"))
		return 1;
	return 0;
}

/* ---- Rewriting descriptors under the backend ---------------------------- */

static volatile bool stop_scribbler;

static void *scribbler(void *arg)
{
	uint64_t x = 0x9e3779b97f4a7c15ull, ram_end = pv_start_info()->nr_pages * PV_PAGE_SIZE;

	(void)arg;
	while (!stop_scribbler) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		unsigned i = x % QSIZE;
		switch ((x >> 8) % 4) {
		case 0: desc[i].addr = (x >> 16) % (ram_end + PV_PAGE_SIZE); break;
		case 1: desc[i].len = (uint32_t)(x >> 20); break;
		case 2: desc[i].flags = (uint16_t)((x >> 24) & 7); break;
		default: desc[i].next = (uint16_t)((x >> 28) % (QSIZE + 2)); break;
		}
		if ((x & 63) == 0)
			pv_thread_yield();
	}
	return NULL;
}

static int rewrite_while_processing(void)
{
	pv_thread_t *t;
	uint64_t buf = (uint64_t)(uintptr_t)data;

	t = pv_thread_create(scribbler, NULL, NULL);
	if (!t)
		return test_fail("cannot start the scribbler thread");
	for (unsigned round = 0; round < 2000 && dev0()->status == PVISOR_DEVICE_S_RUNNING; round++) {
		unsigned i = round % QSIZE;

		set_desc(i, buf, 4, 0, 0);
		publish((uint16_t)i, 1);
		if (round % 8 == 0)
			pv_sleep_ns(100000);
	}
	stop_scribbler = true;
	pv_thread_join(t, NULL);
	printf("after scribbling the device is %s\n",
	       dev0()->status == PVISOR_DEVICE_S_BROKEN ? "broken" : "running");
	if (hc_device_op(PVISOR_DEVICE_RESET, 0) != 0 || dev0()->status != PVISOR_DEVICE_S_OFFERED)
		return test_fail("RESET after scribbling failed");
	return 0;
}

int main(void)
{
	if (pv_device_find(PVISOR_DEVICE_CONSOLE, 0) != 0 || hc_device_op(PVISOR_DEVICE_RESET, 0) != 0)
		return test_fail("cannot take over the console device");
	mem = pv_pages_alloc(5);
	ports[0] = pv_evtchn_alloc_unbound(PVISOR_DOMID_BACKEND, NULL, NULL);
	ports[1] = pv_evtchn_alloc_unbound(PVISOR_DOMID_BACKEND, NULL, NULL);
	if (!mem || ports[0] <= 0 || ports[1] <= 0)
		return test_fail("setup: pages or ports");
	data = mem + 4 * PV_PAGE_SIZE;
	memcpy(data, "hey\n", 4);
	if (start() != 0)
		return test_fail("first START failed");
	if (malformed_chains() || rewrite_while_processing())
		return 1;
	return test_pass();
}

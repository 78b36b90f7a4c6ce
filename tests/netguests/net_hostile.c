/* net_hostile.c: a network guest that breaks the virtio-net rules on
 * purpose, one case per run (cmdline case=NAME; tests/suites/net.sh runs
 * it on the sanitizer build with a host sending it UDP all along). It
 * drives the rings itself (pv/virtq.h), not through pv/net.h.
 *
 *   tx-writable      a transmit chain with a device-writable buffer
 *   tx-outside-ram   a transmit buffer past the end of RAM
 *   tx-short         transmit chains shorter than the header, shorter
 *                    than an Ethernet header, and longer than any frame
 *   rx-readable      a receive chain the device may only read
 *   rx-small-first   a receive chain whose first buffer cannot hold the
 *                    12-byte header
 *   rx-outside-ram   a receive buffer past the end of RAM
 *   rx-empty         after a good receive chain came back, a chain of
 *                    zero-length descriptors only: nothing to write into
 *                    (the device once wrote the header through the good
 *                    chain's buffer, which the guest had back)
 *
 * Transmit cases start once a frame from the host arrived (its end of
 * the TAP is up). virtio/net.c's answer: tx-short is dropped and counted (each chain comes
 * back with 0 bytes written, the device keeps running); every other case
 * stops the device (status BROKEN, the rule in pvisor's log). After a
 * BROKEN, RESET and a new START must give a device that sends again.
 * Prints "PASS net_hostile CASE" only on exactly that outcome. */
#define TEST_NAME "net_hostile"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pv/device.h>
#include <pv/kernel.h>
#include <pv/mm.h>
#include <pv/time.h>
#include <pv/virtq.h>
#include <pvisor/io/virtio_net.h>
#include "pvtest.h"

#define RXQ		PVISOR_VIRTIO_NET_RX
#define TXQ		PVISOR_VIRTIO_NET_TX
#define HDR		sizeof(struct pvisor_virtio_net_hdr)
#define WAIT_NS		(5 * PV_NSEC_PER_SEC)
#define HUGE_PAGES	17	/* 68 KiB: more than header + the largest frame */

static struct pv_device dev;
static unsigned nic;
static uint8_t *page;		/* identity-mapped scratch buffer */
static uint8_t *huge;		/* HUGE_PAGES contiguous pages */
static int token = 1;		/* any non-NULL token */

static void no_handler(unsigned int port, void *arg)
{
	(void)port;
	(void)arg;
}

static int start(void)
{
	struct pv_device_queue_config q[2] = {
		{ .size = 16, .handler = no_handler },
		{ .size = 16, .handler = no_handler },
	};

	return pv_device_start(&dev, nic, ~0ull, 2, q);
}

static uint64_t gpa(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* Guest-physical address one page past the end of RAM. */
static uint64_t outside_ram(void)
{
	return (pv_start_info()->nr_pages + 1) * PV_PAGE_SIZE;
}

static int post(unsigned q, const struct pv_vq_buf *bufs, unsigned n_out, unsigned n_in)
{
	struct pv_virtq *vq = &dev.queues[q].vq;
	int rc = pv_virtq_add(vq, bufs, n_out, n_in, &token);

	if (rc == 0 && pv_virtq_publish(vq))
		pv_device_kick(&dev, q);
	return rc;
}

static bool wait_status(int status)
{
	uint64_t until = pv_clock_ns() + WAIT_NS;

	while (pv_device_status(nic) != status)
		if (pv_clock_ns() > until)
			return false;
		else
			pv_sleep_us(200);
	return true;
}

/* Waits for the device to return one chain on q; its used length. */
static int wait_used(unsigned q, uint32_t *len)
{
	uint64_t until = pv_clock_ns() + WAIT_NS;

	while (!pv_virtq_get_used(&dev.queues[q].vq, len)) {
		if (dev.queues[q].vq.broken)
			return -EIO;
		if (pv_clock_ns() > until)
			return -ETIMEDOUT;
		pv_sleep_us(200);
	}
	return 0;
}

/* Transmit cases first wait for a frame from the host: then its end of
 * the TAP is up and the good frames they send are counted as sent. */
static int await_host_frame(void)
{
	struct pv_vq_buf b = { gpa(page), (uint32_t)PV_PAGE_SIZE };
	uint32_t len;

	CHECK(post(RXQ, &b, 0, 1) == 0, "cannot post a receive buffer");
	CHECK(wait_used(RXQ, &len) == 0, "no frame from the host within 5 s");
	return 0;
}

/* A valid 60-byte broadcast frame behind a zero header, in page. */
static struct pv_vq_buf good_frame(void)
{
	memset(page, 0, HDR);
	memset(page + HDR, 0xff, 6);
	memset(page + HDR + 6, 0x02, 6);
	page[HDR + 12] = 0x88;
	page[HDR + 13] = 0xb5;
	memset(page + HDR + 14, 0x5a, 46);
	return (struct pv_vq_buf){ gpa(page), (uint32_t)(HDR + 60) };
}

/* The device is BROKEN; RESET and START again must make it send. */
static int expect_broken_then_recover(const char *what)
{
	struct pv_vq_buf b;
	uint32_t len;
	int rc;

	CHECK(wait_status(PVISOR_DEVICE_S_BROKEN), "%s: the device kept running (status %d)", what,
	      pv_device_status(nic));
	rc = pv_device_reset(&dev);
	CHECK(rc == 0, "reset after %s: %d", what, rc);
	CHECK(pv_device_status(nic) == PVISOR_DEVICE_S_OFFERED, "status %d after reset",
	      pv_device_status(nic));
	rc = start();
	CHECK(rc == 0, "start after reset: %d", rc);
	b = good_frame();
	CHECK(post(TXQ, &b, 1, 0) == 0, "cannot post after restart");
	CHECK(wait_used(TXQ, &len) == 0, "a good frame after restart was not sent");
	CHECK(pv_device_status(nic) == PVISOR_DEVICE_S_RUNNING, "not running after restart");
	pv_device_reset(&dev);
	return 0;
}

static int tx_writable(void)
{
	struct pv_vq_buf bufs[2] = { good_frame(), { gpa(page + 2048), 64 } };

	CHECK(post(TXQ, bufs, 1, 1) == 0, "post failed");
	return expect_broken_then_recover("a writable transmit buffer");
}

static int tx_outside_ram(void)
{
	struct pv_vq_buf b = { outside_ram(), (uint32_t)(HDR + 60) };

	CHECK(post(TXQ, &b, 1, 0) == 0, "post failed");
	return expect_broken_then_recover("a transmit buffer outside RAM");
}

/* Each chain is dropped: returned with 0 bytes, the device still runs. */
static int tx_short(void)
{
	const struct pv_vq_buf chains[3] = {
		{ gpa(page), (uint32_t)(HDR - 4) },		/* part of a header    */
		{ gpa(page), (uint32_t)(HDR + 10) },		/* no Ethernet header  */
		{ gpa(huge), HUGE_PAGES * (uint32_t)PV_PAGE_SIZE },	/* > 65550-byte frame */
	};
	struct pv_vq_buf good;
	uint32_t len = 1;

	CHECK(huge, "no memory");
	memset(page, 0, PV_PAGE_SIZE);
	memset(huge, 0, HUGE_PAGES * PV_PAGE_SIZE);
	for (unsigned i = 0; i < 3; i++) {
		CHECK(post(TXQ, &chains[i], 1, 0) == 0, "post %u failed", i);
		CHECK(wait_used(TXQ, &len) == 0, "short/huge chain %u not returned", i);
		CHECK(len == 0, "device wrote %u bytes into a transmit chain", len);
		CHECK(pv_device_status(nic) == PVISOR_DEVICE_S_RUNNING, "chain %u broke the device", i);
	}
	good = good_frame();
	CHECK(post(TXQ, &good, 1, 0) == 0 && wait_used(TXQ, &len) == 0,
	      "a good frame after the dropped ones was not sent");
	pv_device_reset(&dev);
	return 0;
}

/* Receive chains are taken only when a frame arrives (the host sends). */
static int rx_readable(void)
{
	struct pv_vq_buf b = { gpa(page), (uint32_t)PV_PAGE_SIZE };

	CHECK(post(RXQ, &b, 1, 0) == 0, "post failed");
	return expect_broken_then_recover("a device-readable receive buffer");
}

static int rx_small_first(void)
{
	struct pv_vq_buf bufs[2] = { { gpa(page), 4 }, { gpa(page + 64), 4000 } };

	CHECK(post(RXQ, bufs, 0, 2) == 0, "post failed");
	return expect_broken_then_recover("a 4-byte first receive buffer");
}

static int rx_outside_ram(void)
{
	struct pv_vq_buf b = { outside_ram(), (uint32_t)PV_PAGE_SIZE };

	CHECK(post(RXQ, &b, 0, 1) == 0, "post failed");
	return expect_broken_then_recover("a receive buffer outside RAM");
}

static int rx_empty(void)
{
	struct pv_vq_buf good = { gpa(page), 2048 };
	struct pv_vq_buf empty[2] = { { gpa(page + 2048), 0 }, { gpa(page + 2048), 0 } };
	uint32_t len = 0;

	CHECK(post(RXQ, &good, 0, 1) == 0 && wait_used(RXQ, &len) == 0 && len > 0,
	      "the good receive chain did not come back with a frame");
	memset(page, 0, 2048);
	CHECK(post(RXQ, empty, 0, 2) == 0, "post failed");
	CHECK(wait_status(PVISOR_DEVICE_S_BROKEN), "the device kept running (status %d)",
	      pv_device_status(nic));
	for (unsigned i = 0; i < 2048; i++)
		CHECK(page[i] == 0, "the device wrote byte %u of a buffer it no longer held", i);
	return expect_broken_then_recover("a receive chain of empty descriptors");
}

static const struct {
	const char *name;
	int (*run)(void);
} cases[] = {
	/* Transmit cases wait for the host first (await_host_frame). */
	{ "tx-writable", tx_writable },	      { "tx-outside-ram", tx_outside_ram },
	{ "tx-short", tx_short },	      { "rx-readable", rx_readable },
	{ "rx-small-first", rx_small_first }, { "rx-outside-ram", rx_outside_ram },
	{ "rx-empty", rx_empty },
};

int main(void)
{
	const char *name = getenv("case");
	int index = pv_device_find(PVISOR_DEVICE_NET, 0), rc;

	CHECK(name, "no case= on the command line");
	CHECK(index >= 0, "no NIC (run with --net)");
	nic = (unsigned)index;
	page = pv_pages_alloc(1);
	huge = pv_pages_alloc(HUGE_PAGES);
	CHECK(page, "no memory");
	rc = start();
	CHECK(rc == 0, "start: %d", rc);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(cases[i].name, name) != 0)
			continue;
		if (strncmp(name, "tx-", 3) == 0 && await_host_frame())
			return 1;
		if (cases[i].run())
			return 1;
		printf("PASS %s %s\n", TEST_NAME, name);
		return 0;
	}
	return test_fail("unknown case '%s'", name);
}

/* net_api.c: the network frontend's API without a peer (tests/suites/
 * net.sh runs it with --net tap=NAME,mac=02:00:00:aa:bb:cc and nobody
 * sending): negotiated features, MAC, MTU and link from the device, the
 * argument checks, -EBUSY and -ENODEV, polling and receive timeouts,
 * frames sent from a thread stack, batches bigger than the ring (the
 * sender waits for slots), close and reopen, and the paths without
 * EVENT_IDX, MRG_RXBUF and INDIRECT_DESC. Prints "sent N" (frames the
 * device was given, for the host's --stats) and PASS net_api. */
#define TEST_NAME "net_api"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pv/net.h>
#include <pv/thread.h>
#include <pv/time.h>
#include <pvisor/device.h>
#include <pvisor/io/virtio_net.h>
#include "pvtest.h"

#define FEATURE(bit)	(1ull << (bit))
#define RING_PLUS	600	/* frames in one batch: more than the 256 slots */

static const uint8_t want_mac[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc };
static uint8_t big_frames[RING_PLUS][64];
static uint64_t frames_sent;	/* since the last open */
static uint64_t total_sent;	/* since boot: what the host's --stats counts */

static void make_frame(uint8_t *f, size_t len, uint8_t tag)
{
	memset(f, 0xff, 6);			/* broadcast */
	memcpy(f + 6, want_mac, 6);
	f[12] = 0x88;				/* local experimental ethertype */
	f[13] = 0xb5;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(tag + i);
}

static int check_device(struct pv_net *net)
{
	uint64_t want = FEATURE(PVISOR_VIRTIO_NET_F_MRG_RXBUF) | FEATURE(PVISOR_VIRTIO_NET_F_MAC) |
			FEATURE(PVISOR_VIRTIO_NET_F_STATUS) | FEATURE(PVISOR_VIRTIO_NET_F_MTU) |
			FEATURE(PVISOR_VIRTIO_F_EVENT_IDX) | FEATURE(PVISOR_VIRTIO_F_INDIRECT_DESC) |
			FEATURE(PVISOR_VIRTIO_F_VERSION_1);
	uint8_t mac[6];

	pv_net_mac(net, mac);
	CHECK(memcmp(mac, want_mac, 6) == 0, "MAC %02x:%02x:..:%02x is not mac= of --net", mac[0],
	      mac[1], mac[5]);
	CHECK(pv_net_mtu(net) == 1500, "MTU %u", pv_net_mtu(net));
	CHECK(pv_net_link_up(net), "link down");
	CHECK((pv_net_features(net) & want) == want, "features %#llx lack some of %#llx",
	      (unsigned long long)pv_net_features(net), (unsigned long long)want);
	return 0;
}

static int check_open_errors(void)
{
	struct pv_net *other;
	int rc;

	rc = pv_net_open(&other, 0);
	CHECK(rc == -EBUSY, "opening a running NIC again: %d, expected -EBUSY", rc);
	rc = pv_net_open(&other, 1);
	CHECK(rc == -ENODEV, "opening NIC 1 of 1: %d, expected -ENODEV", rc);
	CHECK(pv_net_open(NULL, 0) == -EINVAL, "NULL handle accepted");
	return 0;
}

static int check_argument_errors(struct pv_net *net)
{
	uint8_t f[PV_NET_FRAME_MAX + 1];

	make_frame(f, sizeof(f), 1);
	CHECK(pv_net_send(net, f, PV_NET_MIN_FRAME - 1) == -EINVAL, "13-byte frame accepted");
	CHECK(pv_net_send(net, f, PV_NET_FRAME_MAX + 1) == -EINVAL, "1515-byte frame accepted");
	CHECK(pv_net_send(net, NULL, 60) == -EINVAL, "NULL frame accepted");
	CHECK(pv_net_recv(net, NULL, 100, 0) == -EINVAL, "NULL buffer accepted");
	CHECK(pv_net_recv_batch(net, NULL, 1, 0) == -EINVAL, "NULL batch accepted");
	return 0;
}

static int check_receive_timeouts(struct pv_net *net)
{
	uint8_t buf[PV_NET_FRAME_MAX];
	uint64_t t0;
	int rc;

	rc = pv_net_poll(net, buf, sizeof(buf));
	CHECK(rc == -EAGAIN, "poll with nothing sent: %d, expected -EAGAIN", rc);
	t0 = pv_clock_ns();
	rc = pv_net_recv(net, buf, sizeof(buf), 50 * PV_NSEC_PER_MSEC);
	t0 = pv_clock_ns() - t0;
	CHECK(rc == -ETIMEDOUT, "recv with a 50 ms timeout: %d, expected -ETIMEDOUT", rc);
	CHECK(t0 >= 50 * PV_NSEC_PER_MSEC && t0 < 1000 * PV_NSEC_PER_MSEC,
	      "50 ms timeout took %llu ns", (unsigned long long)t0);
	return 0;
}

/* Frames on this thread's stack live in the vmap area, not identity-mapped. */
static void *stack_sender(void *arg)
{
	struct pv_net *net = arg;
	uint8_t f[PV_NET_FRAME_MAX];

	for (size_t len = PV_NET_MIN_FRAME; len <= PV_NET_FRAME_MAX; len += 100) {
		make_frame(f, len, (uint8_t)len);
		if (pv_net_send(net, f, len) != 0)
			return (void *)1;
		frames_sent++;
	}
	make_frame(f, PV_NET_FRAME_MAX, 9);
	if (pv_net_send(net, f, PV_NET_FRAME_MAX) != 0)
		return (void *)1;
	frames_sent++;
	return NULL;
}

static int check_stack_frames(struct pv_net *net)
{
	pv_thread_t *t = pv_thread_create(stack_sender, net, NULL);
	void *result = (void *)1;

	CHECK(t, "no thread");
	pv_thread_join(t, &result);
	CHECK(result == NULL, "sending from a thread stack failed");
	return 0;
}

static int check_big_batch(struct pv_net *net)
{
	struct pv_net_frame frames[RING_PLUS];
	struct pv_net_stats s;
	int rc;

	for (unsigned i = 0; i < RING_PLUS; i++) {
		make_frame(big_frames[i], sizeof(big_frames[i]), (uint8_t)i);
		frames[i] = (struct pv_net_frame){ .data = big_frames[i], .len = 64 };
	}
	rc = pv_net_send_batch(net, frames, RING_PLUS);
	CHECK(rc == RING_PLUS, "batch of %d frames: %d", RING_PLUS, rc);
	frames_sent += RING_PLUS;
	pv_net_stats(net, &s);
	CHECK(s.tx_packets == frames_sent, "tx_packets %llu, sent %llu",
	      (unsigned long long)s.tx_packets, (unsigned long long)frames_sent);
	CHECK(s.tx_kicks >= 1, "no kick for %llu frames", (unsigned long long)s.tx_packets);
	printf("net_api: %llu frames, %llu kicks, %llu waits for slots\n",
	       (unsigned long long)s.tx_packets, (unsigned long long)s.tx_kicks,
	       (unsigned long long)s.tx_waits);
	return 0;
}

static int run_checks(struct pv_net *net)
{
	return check_device(net) || check_open_errors() || check_argument_errors(net) ||
	       check_receive_timeouts(net) || check_stack_frames(net) || check_big_batch(net);
}

/* Without EVENT_IDX, MRG_RXBUF and INDIRECT_DESC: flags instead of event
 * indices, one buffer per frame. */
static int check_plain_rings(void)
{
	struct pv_net_config cfg = {
		.rx_size = 64,
		.tx_size = 32,
		.features_off = FEATURE(PVISOR_VIRTIO_F_EVENT_IDX) |
				FEATURE(PVISOR_VIRTIO_NET_F_MRG_RXBUF) |
				FEATURE(PVISOR_VIRTIO_F_INDIRECT_DESC),
	};
	struct pv_net *net;
	int rc = pv_net_open_with(&net, 0, &cfg);

	CHECK(rc == 0, "open without EVENT_IDX etc.: %d", rc);
	CHECK(!(pv_net_features(net) & cfg.features_off), "features_off ignored");
	rc = check_big_batch(net);
	if (rc == 0)
		rc = check_receive_timeouts(net);
	pv_net_close(net);
	return rc;
}

int main(void)
{
	struct pv_net *net;
	int rc = pv_net_open(&net, 0);

	CHECK(rc == 0, "open: %d (run with --net tap=NAME,mac=02:00:00:aa:bb:cc)", rc);
	rc = run_checks(net);
	pv_net_close(net);
	if (rc)
		return rc;
	rc = pv_net_open(&net, 0);
	CHECK(rc == 0, "reopening after close: %d", rc);
	pv_net_close(net);
	total_sent = frames_sent;
	frames_sent = 0;
	rc = check_plain_rings();
	if (rc)
		return rc;
	printf("net_api: sent %llu\n", (unsigned long long)(total_sent + frames_sent));
	return test_pass();
}

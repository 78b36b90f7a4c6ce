/* net_duplex.c: one sender thread and one receiver thread on the same
 * NIC at once. The guest finds the host's MAC with ARP, then the sender
 * streams numbered UDP datagrams of varied sizes (built on its own stack,
 * sent singly and in batches, at most WINDOW unanswered) to a UDP echo
 * server on the host (net_peer udp-server, tests/suites/net.sh) while the
 * receiver checks that every echo comes back once and byte-identical.
 *
 * Command line: ip=GUEST host=HOST port=PORT count=N (defaults
 * 10.0.2.15, 10.0.2.2, 7777, 2000). Prints PASS net_duplex. */
#define TEST_NAME "net_duplex"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pv/net.h>
#include <pv/netstack.h>
#include <pv/sync.h>
#include <pv/thread.h>
#include <pv/time.h>
#include "pvtest.h"

#define WINDOW		64		/* datagrams in flight at most */
#define SEND_BATCH	8
#define MAX_COUNT	20000
#define OUR_PORT	40000
#define MAX_PAYLOAD	1472		/* fills a 1500-byte MTU */
#define WAIT_NS		(5 * PV_NSEC_PER_SEC)

static struct pv_net *net;
static struct netstack_if ifc;
static struct netstack_peer host;
static uint16_t host_port;
static unsigned count;
static struct pv_sem credits;		/* free places in the window */
static uint8_t seen[MAX_COUNT];
static unsigned received;

/* Payload of datagram seq: its number, then bytes that depend on it. */
static size_t payload_len(unsigned seq)
{
	return 4 + (seq * 37) % (MAX_PAYLOAD - 3);
}

static void fill_payload(uint8_t *p, unsigned seq)
{
	size_t len = payload_len(seq);

	memcpy(p, &seq, 4);
	for (size_t i = 4; i < len; i++)
		p[i] = (uint8_t)(seq * 13 + i);
}

static bool payload_ok(const uint8_t *p, size_t len, unsigned *seq)
{
	uint8_t want[MAX_PAYLOAD];

	if (len < 4)
		return false;
	memcpy(seq, p, 4);
	if (*seq >= count || len != payload_len(*seq))
		return false;
	fill_payload(want, *seq);
	return memcmp(want, p, len) == 0;
}

/* ---- ARP: the host's MAC ---------------------------------------------------- */

static bool resolve_host(void)
{
	uint8_t req[64], frame[PV_NET_FRAME_MAX];
	size_t len = netstack_build_arp_request(&ifc, host.ip, req, sizeof(req));

	for (int tries = 0; tries < 25; tries++) {
		uint64_t until = pv_clock_ns() + 200 * PV_NSEC_PER_MSEC;
		int n;

		pv_net_send(net, req, len);
		while ((n = pv_net_recv(net, frame, sizeof(frame), 20 * PV_NSEC_PER_MSEC)) != -EIO) {
			if (n > 0 && netstack_arp_resolved(&ifc, frame, (size_t)n, host.ip, host.mac))
				return true;
			if (pv_clock_ns() > until)
				break;
		}
	}
	return false;
}

/* ---- The two threads ------------------------------------------------------------ */

/* Builds datagram seq in frame (on the caller's stack); its length. */
static size_t build(uint8_t *frame, size_t cap, unsigned seq)
{
	uint8_t payload[MAX_PAYLOAD];

	fill_payload(payload, seq);
	return netstack_build_udp(&ifc, &host, OUR_PORT, host_port, payload, payload_len(seq),
				  frame, cap);
}

static void *sender(void *arg)
{
	uint8_t frames[SEND_BATCH][PV_NET_FRAME_MAX];	/* on this thread's stack */
	struct pv_net_frame batch[SEND_BATCH];

	(void)arg;
	for (unsigned seq = 0; seq < count;) {
		unsigned n = seq % 3 ? 1 : SEND_BATCH;	/* singles and batches */

		if (n > count - seq)
			n = count - seq;
		for (unsigned i = 0; i < n; i++) {
			if (pv_sem_timedwait(&credits, pv_clock_ns() + WAIT_NS) < 0) {
				test_note_failure("no echo for %u s: %u of %u back", 5, received, count);
				return NULL;
			}
			batch[i] = (struct pv_net_frame){ .data = frames[i],
							  .len = build(frames[i], sizeof(frames[i]), seq + i) };
		}
		if (pv_net_send_batch(net, batch, n) != (int)n) {
			test_note_failure("send_batch failed at datagram %u", seq);
			return NULL;
		}
		seq += n;
	}
	return NULL;
}

/* Checks one frame; false after noting a failure. */
static bool take_frame(const uint8_t *frame, size_t len)
{
	struct netstack_udp d;
	unsigned seq;

	if (!netstack_udp_receive(&ifc, frame, len, &d) || d.dst_port != OUR_PORT)
		return true;		/* not an echo: ignore */
	if (d.src_port != host_port || !payload_ok(d.payload, d.len, &seq)) {
		test_note_failure("echo of %zu bytes from port %u does not match what was sent",
				  d.len, d.src_port);
		return false;
	}
	if (seen[seq]++) {
		test_note_failure("datagram %u came back twice", seq);
		return false;
	}
	received++;
	pv_sem_post(&credits);
	return true;
}

static void *receiver(void *arg)
{
	static uint8_t bufs[16][PV_NET_FRAME_MAX];
	struct pv_net_frame frames[16];

	(void)arg;
	while (received < count) {
		int n;

		for (unsigned i = 0; i < 16; i++)
			frames[i] = (struct pv_net_frame){ .data = bufs[i], .cap = sizeof(bufs[i]) };
		n = pv_net_recv_batch(net, frames, 16, WAIT_NS);
		if (n < 0) {
			test_note_failure("recv: %d with %u of %u echoes back", n, received, count);
			return NULL;
		}
		for (int i = 0; i < n; i++)
			if (!take_frame(frames[i].data, frames[i].len))
				return NULL;
	}
	return NULL;
}

static bool parse_args(void)
{
	const char *ip = getenv("ip") ? getenv("ip") : "10.0.2.15";
	const char *peer = getenv("host") ? getenv("host") : "10.0.2.2";
	uint8_t our_ip[4];

	host_port = (uint16_t)(getenv("port") ? atoi(getenv("port")) : 7777);
	count = getenv("count") ? (unsigned)atoi(getenv("count")) : 2000;
	if (!netstack_parse_ipv4(ip, our_ip) || !netstack_parse_ipv4(peer, host.ip))
		return false;
	netstack_if_init(&ifc, (const uint8_t[6]){ 0 }, our_ip);
	return count > 0 && count <= MAX_COUNT;
}

int main(void)
{
	struct pv_net_stats s;
	pv_thread_t *tx, *rx;
	uint8_t mac[6];
	int rc;

	CHECK(parse_args(), "bad command line");
	rc = pv_net_open(&net, 0);
	CHECK(rc == 0, "open: %d", rc);
	pv_net_mac(net, mac);
	memcpy(ifc.mac, mac, 6);
	CHECK(resolve_host(), "no ARP reply from the host");
	pv_sem_init(&credits, WINDOW);
	rx = pv_thread_create(receiver, NULL, NULL);
	tx = pv_thread_create(sender, NULL, NULL);
	CHECK(rx && tx, "no threads");
	pv_thread_join(tx, NULL);
	pv_thread_join(rx, NULL);
	pv_net_stats(net, &s);
	printf("net_duplex: %u echoes; tx %llu packets %llu kicks, rx %llu packets %llu events "
	       "%llu waits\n", received, (unsigned long long)s.tx_packets,
	       (unsigned long long)s.tx_kicks, (unsigned long long)s.rx_packets,
	       (unsigned long long)s.rx_events, (unsigned long long)s.rx_waits);
	pv_net_close(net);
	if (!test_failure[0] && received != count)
		test_note_failure("%u of %u echoes", received, count);
	return test_result();
}

/* net_bigframe.c: frames larger than one receive buffer. The host side
 * (tests/suites/net.sh) raises the TAP's MTU to 9000 and keeps sending
 * an 8000-byte and a 100-byte UDP datagram (payload byte i = i * 7 + 1,
 * net_peer send) to port 9. With MRG_RXBUF the 8042-byte frame arrives in
 * several page-sized buffers and must come out whole, checksum right.
 * Then the NIC is reopened without MRG_RXBUF: the device cannot fit the
 * big frame into one buffer and must drop it (the driver sees a chain
 * returned empty), while small frames still arrive.
 *
 * Command line: ip=GUEST (default 10.0.2.15). Prints PASS net_bigframe. */
#define TEST_NAME "net_bigframe"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pv/net.h>
#include <pv/netstack.h>
#include <pv/time.h>
#include <pvisor/io/virtio_net.h>
#include "pvtest.h"

#define BIG_PAYLOAD	8000
#define SMALL_PAYLOAD	100
#define PORT		9
#define WAIT_NS		(10 * PV_NSEC_PER_SEC)

static uint8_t frame[9100];
static struct netstack_if ifc;

static bool payload_ok(const struct netstack_udp *d)
{
	for (size_t i = 0; i < d->len; i++)
		if (d->payload[i] != (uint8_t)(i * 7 + 1))
			return false;
	return true;
}

/* Receives until a datagram of `want` payload bytes to PORT arrives (0,
 * checked) or the time is up. *others counts datagrams of other sizes. */
static int await_datagram(struct pv_net *net, size_t want, uint64_t until, unsigned *others)
{
	for (uint64_t now = pv_clock_ns(); now < until; now = pv_clock_ns()) {
		struct netstack_udp d;
		int n = pv_net_recv(net, frame, sizeof(frame), until - now);

		if (n < 0)
			return n;
		if (!netstack_udp_receive(&ifc, frame, (size_t)n, &d) || d.dst_port != PORT)
			continue;
		if (d.len != want) {
			(*others)++;
			continue;
		}
		return payload_ok(&d) ? 0 : -EINVAL;
	}
	return -ETIMEDOUT;
}

static struct pv_net *open_nic(uint64_t features_off)
{
	struct pv_net_config cfg = { .features_off = features_off };
	struct pv_net *net;
	uint8_t mac[6];

	if (pv_net_open_with(&net, 0, &cfg) < 0)
		return NULL;
	pv_net_mac(net, mac);
	memcpy(ifc.mac, mac, 6);
	return net;
}

/* With MRG_RXBUF: the big datagram arrives whole, over several buffers. */
static int merged_buffers(void)
{
	struct pv_net *net = open_nic(0);
	struct pv_net_stats s;
	unsigned small = 0;
	int rc;

	CHECK(net, "open failed");
	rc = await_datagram(net, BIG_PAYLOAD, pv_clock_ns() + WAIT_NS, &small);
	pv_net_stats(net, &s);
	pv_net_close(net);
	CHECK(rc == 0, "no intact %d-byte datagram with MRG_RXBUF: %d", BIG_PAYLOAD, rc);
	CHECK(s.rx_buffers > s.rx_packets, "%llu frames in %llu buffers: none spanned two",
	      (unsigned long long)s.rx_packets, (unsigned long long)s.rx_buffers);
	printf("net_bigframe: MRG_RXBUF: %llu frames in %llu buffers\n",
	       (unsigned long long)s.rx_packets, (unsigned long long)s.rx_buffers);
	return 0;
}

/* Without it: big frames are dropped by the device, small ones arrive. */
static int single_buffers(void)
{
	struct pv_net *net = open_nic(1ull << PVISOR_VIRTIO_NET_F_MRG_RXBUF);
	uint64_t until = pv_clock_ns() + WAIT_NS;
	struct pv_net_stats s = { 0 };
	unsigned big = 0, small = 0;
	int rc = 0;

	CHECK(net, "open without MRG_RXBUF failed");
	while (rc == 0 && (s.rx_empty == 0 || small == 0)) {
		unsigned others = 0;

		rc = await_datagram(net, SMALL_PAYLOAD, until, &others);
		big += others;
		small += rc == 0;
		pv_net_stats(net, &s);
	}
	pv_net_close(net);
	CHECK(rc == 0, "without MRG_RXBUF: %d (%u small datagrams, %llu empty chains)", rc, small,
	      (unsigned long long)s.rx_empty);
	CHECK(big == 0, "a %d-byte frame fit one 4 KiB buffer?", BIG_PAYLOAD);
	printf("net_bigframe: one buffer per frame: %u small datagrams, %llu big ones dropped\n",
	       small, (unsigned long long)s.rx_empty);
	return 0;
}

int main(void)
{
	const char *ip = getenv("ip") ? getenv("ip") : "10.0.2.15";
	uint8_t our_ip[4];

	CHECK(netstack_parse_ipv4(ip, our_ip), "bad ip=%s", ip);
	netstack_if_init(&ifc, (const uint8_t[6]){ 0 }, our_ip);
	if (merged_buffers() || single_buffers())
		return 1;
	return test_pass();
}

/* netbench.c: the guest half of the network benchmark (bench/net.sh runs
 * it once per measurement, the host half with bench/net_peer.c).
 *
 *   mode=tx   resolves the host's MAC (ARP), waits delay_ms, then sends
 *             UDP in frame-byte Ethernet frames to host:port as fast as
 *             pv_net_send_batch() takes them, for `seconds`
 *   mode=rx   counts the frame-byte frames that arrive, for `seconds` from
 *             the first one (or until none came for 2 s)
 *   mode=echo answers ARP, ping and UDP echo on port 7 (netstack) for
 *             `seconds`: the responder of the round-trip measurement
 *
 * Other words: frame=64|1500 (Ethernet bytes without FCS), seconds=S,
 * ip=GUEST host=HOST port=PORT delay_ms=MS poll_us=US (the driver's
 * polling window, pv_net_config.poll_max_us) (defaults 64, 1, 10.0.2.15,
 * 10.0.2.2, 9009, 300, 0). Prints one line
 *   RESULT guest_<mode>_<frame> <packets> packets <seconds> s <exits per packet>
 * plus the driver's counters. Exits are counted by the hypervisor
 * (PVISOR_HC_VCPU_INFO) over the measured window. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pv/hypercall.h>
#include <pv/net.h>
#include <pv/netstack.h>
#include <pv/thread.h>
#include <pv/time.h>

#define BATCH		64
#define FRAME_CAP	2048
#define IDLE_NS		(2 * PV_NSEC_PER_SEC)

struct bench {
	struct pv_net *net;
	struct netstack_if ifc;
	struct netstack_peer host;
	uint16_t port;
	size_t frame;
	uint64_t seconds;
	uint64_t delay_ms;
};

static uint8_t bufs[BATCH][FRAME_CAP];
static uint8_t replies[BATCH][FRAME_CAP];

static uint64_t exits(void)
{
	return (uint64_t)pv_hypercall1(PVISOR_HC_VCPU_INFO, PVISOR_VCPU_INFO_EXITS);
}

/* The measured window: time and exits at its start. */
struct window {
	uint64_t t0, e0;
};

static void window_open(struct window *w)
{
	w->e0 = exits();
	w->t0 = pv_clock_ns();
}

static void report(const char *mode, const struct bench *b, const struct window *w,
		   uint64_t packets)
{
	uint64_t ns = pv_clock_ns() - w->t0, e = exits() - w->e0 - 1;  /* not this call's */
	struct pv_net_stats s;

	printf("RESULT guest_%s_%zu %llu packets %.6f s %.4f\n", mode, b->frame,
	       (unsigned long long)packets, (double)ns / 1e9,
	       packets ? (double)e / (double)packets : 0.0);
	pv_net_stats(b->net, &s);
	printf("netbench: %s: exits %llu; tx %llu packets %llu kicks %llu waits %llu events; "
	       "rx %llu packets %llu buffers %llu waits %llu events %llu kicks\n",
	       mode, (unsigned long long)e, (unsigned long long)s.tx_packets,
	       (unsigned long long)s.tx_kicks, (unsigned long long)s.tx_waits,
	       (unsigned long long)s.tx_events, (unsigned long long)s.rx_packets,
	       (unsigned long long)s.rx_buffers, (unsigned long long)s.rx_waits,
	       (unsigned long long)s.rx_events, (unsigned long long)s.rx_kicks);
}

static void receive_frames(struct pv_net_frame *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		f[i] = (struct pv_net_frame){ .data = bufs[i], .cap = FRAME_CAP };
}

/* ---- tx ------------------------------------------------------------------- */

static bool resolve_host(struct bench *b)
{
	uint8_t req[64], frame[FRAME_CAP];
	size_t len = netstack_build_arp_request(&b->ifc, b->host.ip, req, sizeof(req));

	for (int tries = 0; tries < 50; tries++) {
		uint64_t until = pv_clock_ns() + 200 * PV_NSEC_PER_MSEC;
		int n;

		pv_net_send(b->net, req, len);
		while ((n = pv_net_recv(b->net, frame, sizeof(frame), 20 * PV_NSEC_PER_MSEC)) != -EIO) {
			if (n > 0 && netstack_arp_resolved(&b->ifc, frame, (size_t)n, b->host.ip,
							   b->host.mac))
				return true;
			if (pv_clock_ns() > until)
				break;
		}
	}
	return false;
}

static int bench_tx(struct bench *b)
{
	static const uint8_t zeros[FRAME_CAP];
	struct pv_net_frame frames[BATCH];
	struct window w;
	uint64_t sent = 0, end;

	if (!resolve_host(b)) {
		printf("netbench: no ARP reply from the host\n");
		return 1;
	}
	for (unsigned i = 0; i < BATCH; i++) {
		size_t len = netstack_build_udp(&b->ifc, &b->host, 40000, b->port, zeros,
						b->frame - NETSTACK_IPV4_FRAME_HLEN - NETSTACK_UDP_HLEN,
						bufs[i], FRAME_CAP);
		frames[i] = (struct pv_net_frame){ .data = bufs[i], .len = len };
	}
	pv_sleep_ms(b->delay_ms);
	window_open(&w);
	end = w.t0 + b->seconds * PV_NSEC_PER_SEC;
	while (pv_clock_ns() < end) {
		int n = pv_net_send_batch(b->net, frames, BATCH);

		if (n < 0)
			return printf("netbench: send: %d\n", n), 1;
		sent += (uint64_t)n;
	}
	report("tx", b, &w, sent);
	return 0;
}

/* ---- rx ------------------------------------------------------------------- */

static unsigned count_frames(const struct pv_net_frame *f, int n, size_t frame)
{
	unsigned c = 0;

	for (int i = 0; i < n; i++)
		c += f[i].len == frame;
	return c;
}

static int bench_rx(struct bench *b)
{
	struct pv_net_frame frames[BATCH];
	struct window w;
	uint64_t got = 0, end;
	int n;

	receive_frames(frames, BATCH);
	do	/* the window opens at the first frame of the right size */
		n = pv_net_recv_batch(b->net, frames, BATCH, 30 * PV_NSEC_PER_SEC);
	while (n > 0 && count_frames(frames, n, b->frame) == 0);
	if (n < 0)
		return printf("netbench: nothing received: %d\n", n), 1;
	window_open(&w);
	end = w.t0 + b->seconds * PV_NSEC_PER_SEC;
	for (uint64_t now = w.t0; now < end; now = pv_clock_ns()) {
		n = pv_net_recv_batch(b->net, frames, BATCH, end - now < IDLE_NS ? end - now : IDLE_NS);
		if (n == -ETIMEDOUT)
			break;
		if (n < 0)
			return printf("netbench: recv: %d\n", n), 1;
		got += count_frames(frames, n, b->frame);
	}
	report("rx", b, &w, got);
	return 0;
}

/* ---- echo ----------------------------------------------------------------- */

static int bench_echo(struct bench *b)
{
	struct pv_net_frame frames[BATCH], out[BATCH];
	struct window w;
	uint64_t end, answered = 0;

	receive_frames(frames, BATCH);
	window_open(&w);
	end = w.t0 + b->seconds * PV_NSEC_PER_SEC;
	for (uint64_t now = w.t0; now < end; now = pv_clock_ns()) {
		int n = pv_net_recv_batch(b->net, frames, BATCH, end - now);
		unsigned nout = 0;

		if (n == -ETIMEDOUT)
			break;
		if (n < 0)
			return printf("netbench: recv: %d\n", n), 1;
		for (int i = 0; i < n; i++) {
			size_t len = netstack_respond(&b->ifc, frames[i].data, frames[i].len,
						      replies[nout], FRAME_CAP);

			if (len) {
				out[nout] = (struct pv_net_frame){ .data = replies[nout], .len = len };
				nout++;
			}
		}
		if (nout && pv_net_send_batch(b->net, out, nout) < 0)
			return printf("netbench: send failed\n"), 1;
		answered += nout;
	}
	/* Per packet: each answered datagram is one frame in and one out. */
	report("echo", b, &w, 2 * answered);
	return 0;
}

/* ---- setup ------------------------------------------------------------------- */

static uint64_t number(const char *name, uint64_t fallback)
{
	const char *v = getenv(name);

	return v ? strtoull(v, NULL, 10) : fallback;
}

static bool configure(struct bench *b)
{
	const char *ip = getenv("ip") ? getenv("ip") : "10.0.2.15";
	const char *host = getenv("host") ? getenv("host") : "10.0.2.2";
	uint8_t our_ip[4], mac[PV_NET_ALEN];

	b->frame = (size_t)number("frame", 64);
	b->seconds = number("seconds", 1);
	b->port = (uint16_t)number("port", 9009);
	b->delay_ms = number("delay_ms", 300);
	if (!netstack_parse_ipv4(ip, our_ip) || !netstack_parse_ipv4(host, b->host.ip) ||
	    b->frame < NETSTACK_IPV4_FRAME_HLEN + NETSTACK_UDP_HLEN || b->frame > PV_NET_FRAME_MAX)
		return false;
	pv_net_mac(b->net, mac);
	netstack_if_init(&b->ifc, mac, our_ip);
	return true;
}

int main(void)
{
	static struct bench b;
	const char *mode = getenv("mode") ? getenv("mode") : "";
	struct pv_net_config cfg = { .poll_max_us = (uint32_t)number("poll_us", 0) };
	int rc = pv_net_open_with(&b.net, 0, &cfg);

	if (rc < 0) {
		printf("netbench: no NIC (%d): run with --net tap=NAME\n", rc);
		return 1;
	}
	if (!configure(&b)) {
		printf("netbench: bad command line\n");
		return 1;
	}
	if (!strcmp(mode, "tx"))
		rc = bench_tx(&b);
	else if (!strcmp(mode, "rx"))
		rc = bench_rx(&b);
	else if (!strcmp(mode, "echo"))
		rc = bench_echo(&b);
	else {
		printf("netbench: mode=tx|rx|echo\n");
		rc = 1;
	}
	pv_net_close(b.net);
	return rc;
}

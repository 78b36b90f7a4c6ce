/* netecho.c: the bundled network responder. Answers ARP requests for its
 * address, ICMP echo requests and UDP echo (port 7) on a virtio-net NIC,
 * using pv/net.h and the netstack library, until told to stop; then
 * prints what it did.
 *
 *   pvisor run --net tap=pv0 --cmdline "ip=10.0.2.15 count=12" netecho.elf
 *
 * Command line (NAME=VALUE words):
 *   ip=A.B.C.D   the guest's IPv4 address (default 10.0.2.15)
 *   count=N      stop after sending N replies (ARP, ICMP or UDP)
 *   seconds=S    stop after S seconds
 *   port=P       the UDP echo port (default 7; 0: every port)
 *   nic=N        use the Nth NIC (default 0)
 * Without count or seconds it runs until the domain is stopped.
 *
 * Prints "netecho: ready ip IP mac MAC" once the NIC runs, and at exit
 * "netecho: arp N icmp N udp N dropped N" (replies sent by kind, frames
 * not answered) plus the reasons for drops and the driver's counters.
 * Exit status 0, or 1 if the NIC cannot be used. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pv/net.h>
#include <pv/netstack.h>
#include <pv/time.h>

#define BATCH		32
#define FRAME_CAP	2048
#define DEFAULT_IP	"10.0.2.15"

struct options {
	uint8_t ip[4];
	uint64_t count;		/* 0: no limit */
	uint64_t seconds;	/* 0: no limit */
	unsigned port;
	unsigned nic;
};

static uint8_t in_bufs[BATCH][FRAME_CAP];
static uint8_t out_bufs[BATCH][FRAME_CAP];

/* A NAME=VALUE number from the command line, or fallback. */
static uint64_t number_arg(const char *name, uint64_t fallback, bool *ok)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (!v)
		return fallback;
	n = strtoull(v, &end, 10);
	if (*v == '\0' || *end != '\0') {
		printf("netecho: %s=%s is not a number\n", name, v);
		*ok = false;
	}
	return n;
}

static bool parse_options(struct options *o)
{
	const char *ip = getenv("ip") ? getenv("ip") : DEFAULT_IP;
	bool ok = true;

	if (!netstack_parse_ipv4(ip, o->ip)) {
		printf("netecho: ip=%s is not an IPv4 address\n", ip);
		ok = false;
	}
	o->count = number_arg("count", 0, &ok);
	o->seconds = number_arg("seconds", 0, &ok);
	o->port = (unsigned)number_arg("port", NETSTACK_UDP_ECHO_PORT, &ok);
	o->nic = (unsigned)number_arg("nic", 0, &ok);
	if (o->port > 65535) {
		printf("netecho: port=%u is not a port\n", o->port);
		ok = false;
	}
	return ok;
}

static uint64_t replies(const struct netstack_if *ifc)
{
	return ifc->arp_replies + ifc->icmp_replies + ifc->udp_replies;
}

/* Answers the frames of one batch with one send. */
static int answer(struct pv_net *net, struct netstack_if *ifc, struct pv_net_frame *in,
		  unsigned n)
{
	struct pv_net_frame out[BATCH];
	unsigned nout = 0;

	for (unsigned i = 0; i < n; i++) {
		size_t len = netstack_respond(ifc, in[i].data, in[i].len, out_bufs[nout], FRAME_CAP);

		if (len) {
			out[nout] = (struct pv_net_frame){ .data = out_bufs[nout], .len = len };
			nout++;
		}
	}
	return nout ? pv_net_send_batch(net, out, nout) : 0;
}

/* Time left until deadline (0: none), PV_NET_FOREVER without one, 0 when
 * it has passed. */
static uint64_t time_left(uint64_t deadline)
{
	uint64_t now = pv_clock_ns();

	if (!deadline)
		return PV_NET_FOREVER;
	return now < deadline ? deadline - now : 0;
}

/* Serves until the count or the deadline; 0, or a negative errno. */
static int serve(struct pv_net *net, struct netstack_if *ifc, const struct options *o)
{
	uint64_t deadline = o->seconds ? pv_clock_ns() + o->seconds * PV_NSEC_PER_SEC : 0;
	struct pv_net_frame in[BATCH];

	for (unsigned i = 0; i < BATCH; i++)
		in[i] = (struct pv_net_frame){ .data = in_bufs[i], .cap = FRAME_CAP };
	while (!o->count || replies(ifc) < o->count) {
		uint64_t left = time_left(deadline);
		int n;

		if (left == 0)
			return 0;
		n = pv_net_recv_batch(net, in, BATCH, left);
		if (n == -ETIMEDOUT)
			return 0;
		if (n < 0)
			return n;
		n = answer(net, ifc, in, (unsigned)n);
		if (n < 0)
			return n;
	}
	return 0;
}

static void print_counters(struct pv_net *net, const struct netstack_if *ifc)
{
	struct pv_net_stats s;

	printf("netecho: arp %llu icmp %llu udp %llu dropped %llu\n",
	       (unsigned long long)ifc->arp_replies, (unsigned long long)ifc->icmp_replies,
	       (unsigned long long)ifc->udp_replies, (unsigned long long)ifc->dropped);
	for (unsigned r = 0; r < NETSTACK_DROP_REASONS; r++)
		if (ifc->drops[r])
			printf("netecho: dropped %s %llu\n", netstack_drop_name(r),
			       (unsigned long long)ifc->drops[r]);
	pv_net_stats(net, &s);
	printf("netecho: driver rx %llu packets %llu events %llu waits, tx %llu packets "
	       "%llu kicks %llu waits\n",
	       (unsigned long long)s.rx_packets, (unsigned long long)s.rx_events,
	       (unsigned long long)s.rx_waits, (unsigned long long)s.tx_packets,
	       (unsigned long long)s.tx_kicks, (unsigned long long)s.tx_waits);
}

int main(void)
{
	struct options o;
	struct netstack_if ifc;
	struct pv_net *net;
	uint8_t mac[PV_NET_ALEN];
	int rc;

	if (!parse_options(&o))
		return 1;
	rc = pv_net_open(&net, o.nic);
	if (rc < 0) {
		printf("netecho: no usable NIC %u (error %d): run pvisor with --net tap=NAME\n",
		       o.nic, rc);
		return 1;
	}
	pv_net_mac(net, mac);
	netstack_if_init(&ifc, mac, o.ip);
	ifc.udp_echo_port = (uint16_t)o.port;
	printf("netecho: ready ip %u.%u.%u.%u mac %02x:%02x:%02x:%02x:%02x:%02x\n", o.ip[0],
	       o.ip[1], o.ip[2], o.ip[3], mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	rc = serve(net, &ifc, &o);
	print_counters(net, &ifc);
	if (rc < 0)
		printf("netecho: the NIC failed (error %d)\n", rc);
	pv_net_close(net);
	return rc < 0 ? 1 : 0;
}

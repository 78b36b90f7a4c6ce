/* net_peer.c: the host end of the guest network tests and benchmarks
 * (tests/suites/net.sh, bench/net.sh). Runs inside the test's network
 * namespace (ip netns exec) and talks to a guest behind a TAP device.
 *
 *   net_peer ping IP COUNT SIZE          ICMP echo (raw socket): every reply
 *                                        must come back with our payload
 *   net_peer udp-echo IP PORT COUNT      UDP datagrams of varied sizes; every
 *                                        echo must be byte-identical
 *   net_peer udp-server PORT SECONDS     UDP echo server (for guest clients)
 *   net_peer send IP PORT SIZES COUNT MS COUNT datagrams, one every MS ms, of
 *                                        the sizes in the list SIZES ("8000,100")
 *                                        in turn (payload byte i = i * 7 + 1)
 *   net_peer stream IP PORT FRAME SECONDS  UDP as fast as sendmmsg goes, in
 *                                        FRAME-byte Ethernet frames
 *   net_peer sink PORT FRAME SECONDS     counts datagrams of FRAME-byte frames
 *                                        until SECONDS, or 1 s after the last
 *   net_peer rtt IP PORT SECONDS         UDP ping-pong in 64-byte frames
 *
 * Prints one line of results; exit status 0 when everything came back (or
 * was measured), 1 otherwise, 2 for a usage error. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETH_IP_UDP_HEADERS  42        /* 14 Ethernet + 20 IPv4 + 8 UDP */
#define MAX_DATAGRAM        65507
#define REPLY_TIMEOUT_MS    2000
#define BATCH               64
#define RTT_MAX_SAMPLES     200000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	fprintf(stderr, "net_peer: %s: %s\n", what, strerror(errno));
	return 1;
}

static bool parse_addr(const char *ip, unsigned port, struct sockaddr_in *a)
{
	*a = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, ip, &a->sin_addr) == 1)
		return true;
	fprintf(stderr, "net_peer: '%s' is not an IPv4 address\n", ip);
	return false;
}

/* Waits up to ms for fd to become readable. */
static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), big = 16 << 20;

	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	}
	return fd;
}

static int udp_connected(const char *ip, unsigned port)
{
	struct sockaddr_in to;
	int fd;

	if (!parse_addr(ip, port, &to))
		return -1;
	fd = udp_socket();
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		fail("UDP socket");
		return -1;
	}
	return fd;
}

static int udp_bound(unsigned port)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = udp_socket();

	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		fail("binding a UDP socket");
		return -1;
	}
	return fd;
}

/* ---- ping --------------------------------------------------------------- */

static uint16_t inet_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static size_t build_echo_request(uint8_t *pkt, uint16_t id, uint16_t seq, size_t size)
{
	struct icmphdr *h = (struct icmphdr *)pkt;

	memset(h, 0, sizeof(*h));
	h->type = ICMP_ECHO;
	h->un.echo.id = htons(id);
	h->un.echo.sequence = htons(seq);
	for (size_t i = 0; i < size; i++)
		pkt[sizeof(*h) + i] = (uint8_t)(seq + i * 3);
	h->checksum = inet_checksum(pkt, sizeof(*h) + size);
	return sizeof(*h) + size;
}

/* Waits for the echo reply matching request (same id, seq and payload). */
static bool await_echo_reply(int fd, const uint8_t *request, size_t len)
{
	double end = now_s() + REPLY_TIMEOUT_MS / 1000.0;
	uint8_t buf[MAX_DATAGRAM + 100];

	while (now_s() < end && readable(fd, REPLY_TIMEOUT_MS)) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		size_t ihl;
		const struct icmphdr *h;

		if (n < (ssize_t)sizeof(struct iphdr))
			continue;
		ihl = (size_t)(buf[0] & 0xf) * 4;
		h = (const struct icmphdr *)(buf + ihl);
		if ((size_t)n != ihl + len || h->type != ICMP_ECHOREPLY)
			continue;
		if (memcmp(buf + ihl + 4, request + 4, len - 4) == 0)
			return inet_checksum(buf + ihl, len) == 0;
	}
	return false;
}

static int cmd_ping(const char *ip, unsigned count, size_t size)
{
	static uint8_t pkt[MAX_DATAGRAM];
	struct sockaddr_in to;
	unsigned received = 0;
	uint16_t id = (uint16_t)getpid();
	int fd;

	if (!parse_addr(ip, 0, &to) || size > 1400)
		return 2;
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0)
		return fail("raw ICMP socket");
	for (unsigned seq = 1; seq <= count; seq++) {
		size_t len = build_echo_request(pkt, id, (uint16_t)seq, size);

		if (sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len)
			return fail("sendto");
		received += await_echo_reply(fd, pkt, len);
	}
	printf("ping: sent %u received %u\n", count, received);
	return received == count ? 0 : 1;
}

/* ---- UDP echo client and server ---------------------------------------------- */

/* Datagram sizes the echo check cycles through: tiny, odd, the largest
 * that fits a 1500-byte MTU, and a spread in between. */
static size_t echo_size(unsigned i)
{
	static const size_t sizes[] = { 1, 18, 64, 100, 511, 1000, 1471, 1472, 333, 7 };

	return sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
}

static void fill_random(uint8_t *p, size_t n, uint32_t *state)
{
	for (size_t i = 0; i < n; i++) {
		*state = *state * 1103515245u + 12345u;
		p[i] = (uint8_t)(*state >> 16);
	}
}

static int cmd_udp_echo(const char *ip, unsigned port, unsigned count)
{
	static uint8_t msg[MAX_DATAGRAM], reply[MAX_DATAGRAM + 1];
	uint32_t seed = (uint32_t)getpid();
	unsigned ok = 0;
	int fd = udp_connected(ip, port);

	if (fd < 0)
		return 1;
	for (unsigned i = 0; i < count; i++) {
		size_t len = echo_size(i);
		ssize_t n = -1;

		fill_random(msg, len, &seed);
		if (send(fd, msg, len, 0) != (ssize_t)len)
			return fail("send");
		if (readable(fd, REPLY_TIMEOUT_MS))
			n = recv(fd, reply, sizeof(reply), 0);
		if (n == (ssize_t)len && memcmp(msg, reply, len) == 0)
			ok++;
		else
			fprintf(stderr, "net_peer: datagram %u (%zu bytes): reply of %zd bytes%s\n", i,
				len, n, n == (ssize_t)len ? " that differs" : "");
	}
	printf("udp-echo: sent %u ok %u\n", count, ok);
	return ok == count ? 0 : 1;
}

static int cmd_udp_server(unsigned port, double seconds)
{
	static uint8_t buf[MAX_DATAGRAM];
	double end = now_s() + seconds;
	unsigned long echoed = 0;
	int fd = udp_bound(port);

	if (fd < 0)
		return 1;
	while (now_s() < end) {
		struct sockaddr_in from;
		socklen_t from_len = sizeof(from);
		ssize_t n;

		if (!readable(fd, 50))
			continue;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);
		if (n >= 0 && sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, from_len) == n)
			echoed++;
	}
	printf("udp-server: echoed %lu\n", echoed);
	return 0;
}

/* ---- Traffic for tests: a slow, regular sender ---------------------------------- */

/* Parses "8000,100" into sizes; the count, 0 if malformed. */
static unsigned parse_sizes(const char *text, size_t *sizes, unsigned cap)
{
	unsigned n = 0;

	while (*text && n < cap) {
		char *end;
		unsigned long v = strtoul(text, &end, 10);

		if (end == text || v > MAX_DATAGRAM || (*end && *end != ','))
			return 0;
		sizes[n++] = v;
		text = *end ? end + 1 : end;
	}
	return *text ? 0 : n;
}

/* Datagrams of the listed sizes in turn; a failed send (the guest's TAP
 * not there yet, or gone) is counted, not fatal. */
static int cmd_send(const char *ip, unsigned port, const char *size_list, unsigned count,
		    unsigned ms)
{
	static uint8_t msg[MAX_DATAGRAM];
	struct sockaddr_in to;
	size_t sizes[16];
	unsigned nsizes = parse_sizes(size_list, sizes, 16), sent = 0;
	int fd = udp_socket();

	if (nsizes == 0 || !parse_addr(ip, port, &to))
		return 2;
	if (fd < 0)
		return fail("UDP socket");
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	for (unsigned i = 0; i < count; i++) {
		size_t len = sizes[i % nsizes];

		sent += sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len;
		usleep(ms * 1000u);
	}
	printf("send: sent %u of %u\n", sent, count);
	return 0;
}

/* ---- Benchmarks: stream, sink, ping-pong ------------------------------------------ */

static int cmd_stream(const char *ip, unsigned port, size_t frame, double seconds)
{
	static uint8_t payload[2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov = { payload, frame - ETH_IP_UDP_HEADERS };
	uint64_t sent = 0;
	double start = now_s(), end = start + seconds;
	int fd = udp_connected(ip, port);

	if (fd < 0)
		return 1;
	for (int i = 0; i < BATCH; i++)
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	while (now_s() < end) {
		int n = sendmmsg(fd, msgs, BATCH, 0);

		if (n > 0)
			sent += (uint64_t)n;
		else if (errno != ENOBUFS && errno != EAGAIN)
			return fail("sendmmsg");
	}
	printf("stream: sent %llu in %.3f s\n", (unsigned long long)sent, now_s() - start);
	return 0;
}

static int cmd_sink(unsigned port, size_t frame, double seconds)
{
	static uint8_t bufs[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t packets = 0;
	double end = now_s() + seconds, first = 0, last = 0;
	int fd = udp_bound(port);

	if (fd < 0)
		return 1;
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	while (now_s() < end && !(last && now_s() - last > 1.0)) {
		int n;

		if (!readable(fd, 100))
			continue;
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++)
			packets += msgs[i].msg_len == frame - ETH_IP_UDP_HEADERS;
		if (n > 0) {
			last = now_s();
			first = first ? first : last;
		}
	}
	printf("sink: received %llu over %.3f s\n", (unsigned long long)packets,
	       last > first ? last - first : 0.0);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One ping-pong in a 64-byte frame: its round trip in µs, -1 if lost. */
static double round_trip(int fd, uint32_t seq)
{
	uint8_t msg[64 - ETH_IP_UDP_HEADERS] = { 0 }, reply[2048];
	double t0 = now_s();

	memcpy(msg, &seq, sizeof(seq));
	if (send(fd, msg, sizeof(msg), 0) != (ssize_t)sizeof(msg))
		return -1;
	while (readable(fd, 200)) {
		ssize_t n = recv(fd, reply, sizeof(reply), 0);

		if (n == (ssize_t)sizeof(msg) && memcmp(reply, &seq, sizeof(seq)) == 0)
			return (now_s() - t0) * 1e6;
	}
	return -1;
}

static int cmd_rtt(const char *ip, unsigned port, double seconds)
{
	static double rtt[RTT_MAX_SAMPLES];
	size_t n = 0;
	unsigned lost = 0;
	double end;
	int fd = udp_connected(ip, port);

	if (fd < 0)
		return 1;
	for (uint32_t seq = 0; seq < 100; seq++)	/* warm up: ARP, caches */
		round_trip(fd, seq);
	end = now_s() + seconds;
	for (uint32_t seq = 100; n < RTT_MAX_SAMPLES && now_s() < end; seq++) {
		double us = round_trip(fd, seq);

		if (us >= 0)
			rtt[n++] = us;
		else
			lost++;
	}
	if (n == 0) {
		fprintf(stderr, "net_peer: no UDP round trip completed\n");
		return 1;
	}
	qsort(rtt, n, sizeof(rtt[0]), cmp_double);
	printf("rtt: median_us %.1f p99_us %.1f samples %zu lost %u\n", rtt[n / 2],
	       rtt[(n * 99) / 100], n, lost);
	return 0;
}

/* ---- Command line ----------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr, "usage: net_peer ping IP COUNT SIZE | udp-echo IP PORT COUNT |\n"
			"       udp-server PORT SECONDS | send IP PORT SIZES COUNT MS |\n"
			"       stream IP PORT FRAME SECONDS | sink PORT FRAME SECONDS |\n"
			"       rtt IP PORT SECONDS\n");
	return 2;
}

static bool frame_ok(size_t frame)
{
	return frame >= ETH_IP_UDP_HEADERS && frame <= 1514;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "ping") && argc == 5)
		return cmd_ping(argv[2], (unsigned)atoi(argv[3]), (size_t)atoi(argv[4]));
	if (!strcmp(cmd, "udp-echo") && argc == 5)
		return cmd_udp_echo(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
	if (!strcmp(cmd, "udp-server") && argc == 4)
		return cmd_udp_server((unsigned)atoi(argv[2]), atof(argv[3]));
	if (!strcmp(cmd, "send") && argc == 7)
		return cmd_send(argv[2], (unsigned)atoi(argv[3]), argv[4], (unsigned)atoi(argv[5]),
				(unsigned)atoi(argv[6]));
	if (!strcmp(cmd, "stream") && argc == 6 && frame_ok((size_t)atoi(argv[4])))
		return cmd_stream(argv[2], (unsigned)atoi(argv[3]), (size_t)atoi(argv[4]),
				  atof(argv[5]));
	if (!strcmp(cmd, "sink") && argc == 5 && frame_ok((size_t)atoi(argv[3])))
		return cmd_sink((unsigned)atoi(argv[2]), (size_t)atoi(argv[3]), atof(argv[4]));
	if (!strcmp(cmd, "rtt") && argc == 5)
		return cmd_rtt(argv[2], (unsigned)atoi(argv[3]), atof(argv[4]));
	return usage();
}

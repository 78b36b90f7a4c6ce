/* net_host.c: the host baseline of the network benchmark. Host-to-host
 * UDP across a veth pair whose ends live in two network namespaces (set
 * up by bench/net_host.sh), all in one process: a socket is created in
 * each namespace, then threads use them.
 *
 *   net_host NETNS_A IP_A NETNS_B IP_B [SECONDS]
 *
 * NETNS_* are namespace files (/run/netns/NAME). Measures, in one run:
 *  - UDP ping-pong round trips A -> B -> A (median and p99, µs), with
 *    the two threads pinned to different CPUs (veth_rtt_us_*: the wake-up
 *    crosses CPUs, as between a guest's vCPU and a host peer) and to the
 *    same CPU (veth_rtt_same_cpu_us_*). Unpinned, the scheduler picks one
 *    or the other from run to run, and on a VM the two differ ~10x;
 *  - one-way streams A -> B of 64-byte and 1500-byte Ethernet frames
 *    (UDP payloads of 22 and 1458 bytes) for SECONDS (default 1): frames
 *    received per second and the Ethernet bytes they carry (no preamble
 *    or FCS) in Mbit/s, the median of 5 equal slices of the run (so a
 *    burst of other load on the machine moves it less); what the sender
 *    offered over the whole run is printed too.
 * Prints RESULT lines as the other benchmarks do. It measures; it does
 * not judge. */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETH_IP_UDP_HEADERS  42      /* 14 Ethernet + 20 IPv4 + 8 UDP */
#define ECHO_PORT           9007
#define SINK_PORT           9009
#define BATCH               64
#define RX_BUF              2048
#define RTT_MAX_SAMPLES     200000
#define RTT_SECONDS         1.0
#define STREAM_SLICES       5

struct endpoint {
	int netns_fd;
	struct sockaddr_in addr;
};

/* A receiving thread: its socket, when to stop, what it saw. */
struct receiver {
	int fd;
	volatile bool stop;
	uint64_t packets;           /* written by the thread, read with atomics */
	size_t want_len;            /* sink: count only datagrams this long */
};

static void die(const char *what)
{
	fprintf(stderr, "net_host: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct endpoint endpoint(const char *netns_path, const char *ip)
{
	struct endpoint e = { .addr = { .sin_family = AF_INET } };

	e.netns_fd = open(netns_path, O_RDONLY | O_CLOEXEC);
	if (e.netns_fd < 0)
		die(netns_path);
	if (inet_pton(AF_INET, ip, &e.addr.sin_addr) != 1) {
		fprintf(stderr, "net_host: '%s' is not an IPv4 address\n", ip);
		exit(1);
	}
	return e;
}

/* A UDP socket created inside e's namespace, bound to its address and
 * port; the calling thread returns to its own namespace afterwards. */
static int udp_socket_in(const struct endpoint *e, uint16_t port)
{
	int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	struct sockaddr_in addr = e->addr;
	struct timeval timeout = { .tv_usec = 50000 };
	int fd, big = 32 << 20;

	if (home < 0 || setns(e->netns_fd, CLONE_NEWNET) < 0)
		die("entering a network namespace");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setns(home, CLONE_NEWNET) < 0)
		die("creating a socket");
	close(home);
	addr.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("bind");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	return fd;
}

static void connect_to(int fd, const struct endpoint *e, uint16_t port)
{
	struct sockaddr_in addr = e->addr;

	addr.sin_port = htons(port);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("connect");
}

/* ---- round trips ------------------------------------------------------ */

static void *echo_thread(void *arg)
{
	struct receiver *r = arg;
	char buf[RX_BUF];

	while (!r->stop) {
		struct sockaddr_in from;
		socklen_t from_len = sizeof(from);
		ssize_t n = recvfrom(r->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);

		if (n >= 0 && sendto(r->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, from_len) == n)
			r->packets++;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One ping-pong; returns the round trip in µs, or -1 if the reply did
 * not come within the socket timeout (lost, e.g. while ARP resolves). */
static double one_round_trip(int fd, uint32_t seq)
{
	char msg[64 - ETH_IP_UDP_HEADERS] = { 0 }, reply[RX_BUF];
	double t0 = now_s();

	memcpy(msg, &seq, sizeof(seq));
	if (send(fd, msg, sizeof(msg), 0) != (ssize_t)sizeof(msg))
		return -1;
	for (;;) {
		ssize_t n = recv(fd, reply, sizeof(reply), 0);

		if (n < 0)
			return -1;
		if (n == (ssize_t)sizeof(msg) && memcmp(reply, &seq, sizeof(seq)) == 0)
			return (now_s() - t0) * 1e6;
	}
}

static void pin(pthread_t thread, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(thread, sizeof(set), &set);
}

/* Ping-pongs with this thread on client_cpu and the echo on echo_cpu;
 * prints RESULT <label>_median and <label>_p99. */
static void measure_round_trips(const struct endpoint *a, const struct endpoint *b,
				int client_cpu, int echo_cpu, const char *label)
{
	static double rtt[RTT_MAX_SAMPLES];
	struct receiver echo = { .fd = udp_socket_in(b, ECHO_PORT) };
	int fd = udp_socket_in(a, ECHO_PORT + 1);
	size_t n = 0;
	pthread_t thread;
	double end;

	connect_to(fd, b, ECHO_PORT);
	if (pthread_create(&thread, NULL, echo_thread, &echo))
		die("pthread_create");
	pin(pthread_self(), client_cpu);
	pin(thread, echo_cpu);
	for (uint32_t seq = 0; seq < 100; seq++)     /* warm up: ARP, caches */
		one_round_trip(fd, seq);
	end = now_s() + RTT_SECONDS;
	for (uint32_t seq = 100; n < RTT_MAX_SAMPLES && now_s() < end; seq++) {
		double us = one_round_trip(fd, seq);

		if (us >= 0)
			rtt[n++] = us;
	}
	echo.stop = true;
	pthread_join(thread, NULL);
	close(fd);
	close(echo.fd);
	if (n == 0) {
		fprintf(stderr, "net_host: no UDP round trip completed\n");
		exit(1);
	}
	qsort(rtt, n, sizeof(rtt[0]), cmp_double);
	printf("RESULT %s_median %.1f us samples=%zu\n", label, rtt[n / 2], n);
	printf("RESULT %s_p99 %.1f us samples=%zu\n", label, rtt[(n * 99) / 100], n);
}

/* Cross-CPU (if this process may use two CPUs) and same-CPU round trips
 * on the first CPUs allowed; the streams then run unpinned again. */
static void measure_all_round_trips(const struct endpoint *a, const struct endpoint *b)
{
	cpu_set_t allowed;
	int cpus[2], found = 0;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		die("sched_getaffinity");
	for (int cpu = 0; cpu < CPU_SETSIZE && found < 2; cpu++)
		if (CPU_ISSET(cpu, &allowed))
			cpus[found++] = cpu;
	if (found == 2)
		measure_round_trips(a, b, cpus[0], cpus[1], "veth_rtt_us");
	measure_round_trips(a, b, cpus[0], cpus[0], "veth_rtt_same_cpu_us");
	pthread_setaffinity_np(pthread_self(), sizeof(allowed), &allowed);
}

/* ---- one-way streams ---------------------------------------------------- */

static void *sink_thread(void *arg)
{
	static char bufs[BATCH][RX_BUF];
	struct receiver *r = arg;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];

	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], RX_BUF };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	while (!r->stop) {
		int n = recvmmsg(r->fd, msgs, BATCH, MSG_WAITFORONE, NULL);

		uint64_t got = 0;

		for (int i = 0; i < n; i++)
			got += msgs[i].msg_len == r->want_len;
		__atomic_store_n(&r->packets, r->packets + got, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Sends batches of frame_len-byte frames for `seconds`; returns the
 * number of datagrams the kernel accepted. */
static uint64_t send_stream(int fd, size_t frame_len, double seconds)
{
	static char payload[RX_BUF];
	struct mmsghdr msgs[BATCH];
	struct iovec iov = { payload, frame_len - ETH_IP_UDP_HEADERS };
	uint64_t sent = 0;
	double end = now_s() + seconds;

	for (int i = 0; i < BATCH; i++)
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	while (now_s() < end) {
		int n = sendmmsg(fd, msgs, BATCH, 0);

		if (n > 0)
			sent += (uint64_t)n;
		else if (errno != ENOBUFS && errno != EAGAIN)
			die("sendmmsg");
	}
	return sent;
}

static void measure_stream(const struct endpoint *a, const struct endpoint *b, size_t frame_len,
			   double seconds)
{
	struct receiver sink = { .fd = udp_socket_in(b, SINK_PORT),
				 .want_len = frame_len - ETH_IP_UDP_HEADERS };
	int fd = udp_socket_in(a, SINK_PORT + 1);
	double slice = seconds / STREAM_SLICES, pps[STREAM_SLICES];
	pthread_t thread;
	uint64_t sent = 0;

	connect_to(fd, b, SINK_PORT);
	if (pthread_create(&thread, NULL, sink_thread, &sink))
		die("pthread_create");
	for (int i = 0; i < STREAM_SLICES; i++) {
		uint64_t before = __atomic_load_n(&sink.packets, __ATOMIC_RELAXED);
		double t0 = now_s();

		sent += send_stream(fd, frame_len, slice);
		pps[i] = (double)(__atomic_load_n(&sink.packets, __ATOMIC_RELAXED) - before) /
			 (now_s() - t0);
	}
	usleep(200000);                 /* let the receiver drain its queue */
	sink.stop = true;
	pthread_join(thread, NULL);
	close(fd);
	close(sink.fd);
	qsort(pps, STREAM_SLICES, sizeof(pps[0]), cmp_double);
	printf("RESULT veth_pps_%zu %.0f pps received=%llu\n", frame_len, pps[STREAM_SLICES / 2],
	       (unsigned long long)sink.packets);
	printf("RESULT veth_mbps_%zu %.1f Mbit/s\n", frame_len,
	       pps[STREAM_SLICES / 2] * (double)frame_len * 8 / 1e6);
	printf("RESULT veth_sent_pps_%zu %.0f pps sent=%llu\n", frame_len, (double)sent / seconds,
	       (unsigned long long)sent);
}

int main(int argc, char **argv)
{
	struct endpoint a, b;
	double seconds = argc > 5 ? atof(argv[5]) : 1.0;

	if (argc < 5 || argc > 6 || !(seconds > 0)) {
		fprintf(stderr, "usage: net_host NETNS_A IP_A NETNS_B IP_B [SECONDS]\n");
		return 2;
	}
	a = endpoint(argv[1], argv[2]);
	b = endpoint(argv[3], argv[4]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	measure_all_round_trips(&a, &b);
	measure_stream(&a, &b, 64, seconds);
	measure_stream(&a, &b, 1500, seconds);
	return 0;
}

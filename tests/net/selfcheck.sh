#!/usr/bin/env bash
# tests/net/selfcheck.sh: proves the network plumbing without a guest. A
# stand-in for pvisor (built below from hv/net/tap.c and guest/netstack)
# opens the TAP with tap_open() inside a namespace made by netns.sh and
# answers with netstack_respond(); the namespace's kernel pings it and
# talks UDP echo to it, which also checks every checksum the stand-in
# sends. Then the error messages of tap_open(), and that nothing leaks.
#
#   bash tests/net/selfcheck.sh      (as root; prints ok/not ok lines)
#
# Exit status 0 when every check passed or when the machine cannot run
# them (then one "SKIP" line says why).
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/net/netns.sh

failures=0
ok() { echo "ok $1"; }
not_ok() { echo "not ok $1: $2"; failures=$((failures + 1)); }
check() {  # NAME COMMAND...: ok when COMMAND succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "'$*' failed"; fi
}

if ! reason=$(net_available); then
	echo "SKIP net/selfcheck: $reason"
	exit 0
fi
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'net_teardown; rm -rf "$tmp"' EXIT
net_remove_stale

# ---- the stand-in: tap_open + netstack_respond, and two small clients ----
cat >"$tmp/standin.c" <<'EOF'
/* standin.c: pvisor's network path without a guest.
 *   standin respond IFNAME IP    answer ARP/ping/UDP echo on the TAP until SIGTERM
 *   standin open IFNAME          tap_open() only; its error on stderr
 *   standin udp-echo IP LEN      send LEN bytes to IP:7, expect them back
 *   standin ping IP LEN          ICMP echo (ping socket), expect the reply */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <pv/netstack.h>
#include <pvisor/io/virtio_net.h>

#include "net/net_spec.h"
#include "net/tap.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* The header the kernel hands us: no GSO, no flags but DATA_VALID. */
static int header_ok(const struct pvisor_virtio_net_hdr *h)
{
	return h->gso_type == PVISOR_VIRTIO_NET_HDR_GSO_NONE && (h->flags & ~2) == 0 &&
	       h->gso_size == 0;
}

static int respond(const char *ifname, const char *ip_text)
{
	static uint8_t in[12 + 65550], out[65550];
	struct pvisor_virtio_net_hdr zero_hdr = { 0 }, hdr;
	struct netstack_if ifc;
	uint8_t mac[6], ip[4];
	char err[256];
	unsigned long frames = 0, bad_headers = 0;
	int fd;

	net_default_mac(0, mac);
	if (!netstack_parse_ipv4(ip_text, ip))
		return fprintf(stderr, "bad address %s\n", ip_text), 2;
	fd = tap_open(ifname, err, sizeof(err));
	if (fd < 0)
		return fprintf(stderr, "%s\n", err), 1;
	netstack_if_init(&ifc, mac, ip);
	signal(SIGTERM, on_term);
	while (!stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		size_t len;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, in, sizeof(in));
		if (n < (ssize_t)sizeof(hdr))
			continue;
		frames++;
		memcpy(&hdr, in, sizeof(hdr));
		bad_headers += !header_ok(&hdr);
		len = netstack_respond(&ifc, in + sizeof(hdr), (size_t)n - sizeof(hdr), out, sizeof(out));
		if (len) {
			struct iovec iov[2] = { { &zero_hdr, sizeof(zero_hdr) }, { out, len } };

			if (writev(fd, iov, 2) != (ssize_t)(sizeof(zero_hdr) + len))
				fprintf(stderr, "writev: %s\n", strerror(errno));
		}
	}
	printf("frames=%lu arp=%llu icmp=%llu udp=%llu dropped=%llu bad_headers=%lu\n", frames,
	       (unsigned long long)ifc.arp_replies, (unsigned long long)ifc.icmp_replies,
	       (unsigned long long)ifc.udp_replies, (unsigned long long)ifc.dropped, bad_headers);
	tap_close(fd);
	return 0;
}

static int open_only(const char *ifname)
{
	char err[256];
	int fd = tap_open(ifname, err, sizeof(err));

	if (fd < 0)
		return fprintf(stderr, "%s\n", err), 1;
	tap_close(fd);
	return 0;
}

/* Sends msg on a connected socket and waits 2 s for a reply; returns the
 * reply length or -1. */
static ssize_t exchange(int s, const void *msg, size_t len, void *reply, size_t cap)
{
	struct pollfd p = { .fd = s, .events = POLLIN };

	if (send(s, msg, len, 0) != (ssize_t)len || poll(&p, 1, 2000) != 1)
		return -1;
	return recv(s, reply, cap, 0);
}

static int client(int type, int protocol, const char *ip_text, uint16_t port, size_t len)
{
	static uint8_t msg[65536], reply[65536];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	size_t off = type == SOCK_DGRAM && protocol == IPPROTO_ICMP ? 8 : 0;
	int s = socket(AF_INET, type, protocol);
	ssize_t n;

	if (s < 0 || inet_pton(AF_INET, ip_text, &to.sin_addr) != 1 ||
	    connect(s, (struct sockaddr *)&to, sizeof(to)) < 0)
		return perror("socket"), 1;
	for (size_t i = 0; i < len; i++)
		msg[off + i] = (uint8_t)(i * 13 + 1);
	if (off)
		msg[0] = ICMP_ECHO;   /* the kernel fills id and checksum */
	n = exchange(s, msg, off + len, reply, sizeof(reply));
	if (n != (ssize_t)(off + len) || memcmp(reply + off, msg + off, len) != 0 ||
	    (off && reply[0] != ICMP_ECHOREPLY))
		return fprintf(stderr, "no matching reply (got %zd bytes)\n", n), 1;
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "respond"))
		return respond(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "open"))
		return open_only(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "udp-echo"))
		return client(SOCK_DGRAM, 0, argv[2], 7, strtoul(argv[3], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "ping"))
		return client(SOCK_DGRAM, IPPROTO_ICMP, argv[2], 0, strtoul(argv[3], NULL, 0));
	fprintf(stderr, "usage: see the comment at the top\n");
	return 2;
}
EOF
if ! gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Iinclude -Ihv -idirafter guest/include -o "$tmp/standin" \
	"$tmp/standin.c" hv/net/tap.c hv/net/net_spec.c guest/netstack/*.c 2>"$tmp/cc.err"; then
	not_ok build-standin "$(head -c 400 "$tmp/cc.err")"
	exit 1
fi
standin=$tmp/standin
GUEST_IP=10.0.2.15

# expect_open_error NAME SUBSTRING CMD...: CMD fails with one stderr line holding SUBSTRING
expect_open_error() {
	local name=$1 want=$2
	shift 2
	if "$@" >/dev/null 2>"$tmp/err"; then
		not_ok "$name" "succeeded"
	elif [[ $(wc -l <"$tmp/err") -ne 1 ]] || ! grep -qF -- "$want" "$tmp/err"; then
		not_ok "$name" "stderr: $(head -c 300 "$tmp/err")"
	else
		ok "$name"
	fi
}

# ---- a TAP created by the stand-in, as pvisor would ----------------------
ns='' guest=''   # set by net_setup and net_start_guest
net_setup ns
if net_start_guest guest "$ns" pvtap0 10.0.2.1/24 -- "$standin" respond pvtap0 "$GUEST_IP" \
	>"$tmp/standin.out" 2>"$tmp/standin.err"; then
	ok tap-created-and-configured
else
	not_ok tap-created-and-configured "$(cat "$tmp/standin.err")"
fi
check tap-link-up net_link_is_up "$ns" pvtap0
check tap-has-vnet-header \
	bash -c "ip -n '$ns' -d link show pvtap0 | grep -q 'tun type tap pi off vnet_hdr on persist off'"
check host-end-address bash -c "ip -n '$ns' -o addr show dev pvtap0 | grep -q 'inet 10.0.2.1/24'"
echo '0 0' | ip netns exec "$ns" tee /proc/sys/net/ipv4/ping_group_range >/dev/null
check udp-echo-small net_exec "$ns" "$standin" udp-echo "$GUEST_IP" 5
check udp-echo-1472 net_exec "$ns" "$standin" udp-echo "$GUEST_IP" 1472
check udp-echo-empty net_exec "$ns" "$standin" udp-echo "$GUEST_IP" 0
check ping-56 net_exec "$ns" "$standin" ping "$GUEST_IP" 56
check ping-odd-length net_exec "$ns" "$standin" ping "$GUEST_IP" 1001
check arp-resolved bash -c "ip -n '$ns' neigh show $GUEST_IP | grep -q 'lladdr 52:54:00:12:34:56'"
expect_open_error tap-busy "is busy: another process has it open" \
	net_exec "$ns" "$standin" open pvtap0

net_stop "$guest"
counters=$(cat "$tmp/standin.out")
if [[ $counters =~ arp=([0-9]+)\ icmp=([0-9]+)\ udp=([0-9]+).*bad_headers=0$ ]] &&
	((BASH_REMATCH[1] >= 1 && BASH_REMATCH[2] == 2 && BASH_REMATCH[3] == 3)); then
	ok standin-counters
else
	not_ok standin-counters "$counters $(head -c 300 "$tmp/standin.err")"
fi
check tap-gone-after-exit bash -c "! ip -n '$ns' link show dev pvtap0 >/dev/null 2>&1"

# ---- attaching to TAPs made by the administrator --------------------------
ip -n "$ns" tuntap add dev pvtapp mode tap
check attach-to-persistent-tap net_exec "$ns" "$standin" open pvtapp
check persistent-tap-stays bash -c "ip -n '$ns' link show dev pvtapp >/dev/null"
ip -n "$ns" tuntap add dev pvtapmq mode tap multi_queue
expect_open_error multi-queue-refused "is not a single-queue TAP" \
	net_exec "$ns" "$standin" open pvtapmq
ip -n "$ns" tuntap add dev pvtun mode tun
expect_open_error tun-refused "is not a single-queue TAP" net_exec "$ns" "$standin" open pvtun
ip -n "$ns" link add pvveth0 type veth peer name pvveth1
expect_open_error veth-refused "is not a single-queue TAP" net_exec "$ns" "$standin" open pvveth0

# ---- other errors -----------------------------------------------------------
expect_open_error name-too-long "is longer than 15 characters" "$standin" open abcdefghijklmnop
expect_open_error name-bad-chars "may only use the characters" "$standin" open 'tap%d'
if net_exec "$ns" unshare -m true 2>/dev/null; then
	expect_open_error tun-missing "/dev/net/tun is missing: load the tun module" \
		net_exec "$ns" unshare -m sh -c "mount -t tmpfs none /dev && exec '$standin' open pvtapx"
else
	echo "SKIP tun-missing: cannot create a mount namespace here"
fi
if command -v setpriv >/dev/null && [[ $(id -u) -eq 0 ]]; then
	expect_open_error no-permission "permission denied" net_exec "$ns" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$standin" open pvtapx
	# With a /dev/net/tun everyone may open (bound over the real one in a
	# private mount namespace): a TAP made for the user needs no
	# capability, creating one does.
	ip -n "$ns" tuntap add dev pvtapu mode tap user nobody
	mknod -m 666 "$tmp/tun" c 10 200
	as_nobody="mount --bind '$tmp/tun' /dev/net/tun &&
		exec setpriv --reuid=nobody --regid=nogroup --clear-groups '$standin' open"
	if net_exec "$ns" unshare -m true 2>/dev/null; then
		check unprivileged-attach-to-own-tap net_exec "$ns" unshare -m sh -c "$as_nobody pvtapu"
		expect_open_error unprivileged-create-refused "permission denied (this needs CAP_NET_ADMIN" \
			net_exec "$ns" unshare -m sh -c "$as_nobody pvtapnew"
	else
		echo "SKIP unprivileged-attach: cannot create a mount namespace here"
	fi
else
	echo "SKIP no-permission: needs root and setpriv"
fi

# ---- nothing leaks -----------------------------------------------------------
net_teardown
net_teardown
check teardown-leaves-no-namespace test -z "$(net_leftovers)"
check teardown-twice-is-harmless test ${#NET_NAMESPACES[@]} -eq 0

# A script that dies with namespaces and a process in them: its EXIT trap
# must leave nothing behind.
bash -c 'source tests/net/netns.sh
	trap net_teardown EXIT
	echo "$$"
	net_setup a; net_setup b
	net_start p "$a" sleep 300
	echo "$p"
	ip -n "$b" tuntap add dev leak0 mode tap
	exit 3' >"$tmp/child.out" 2>&1
child=$(sed -n 1p "$tmp/child.out")
sleeper=$(sed -n 2p "$tmp/child.out")
check exit-trap-deletes-namespaces test -z "$(ip netns list | grep "^pvt-$child-")"
check exit-trap-ends-processes bash -c "! kill -0 '$sleeper' 2>/dev/null"

if ((failures)); then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all network self-checks passed"

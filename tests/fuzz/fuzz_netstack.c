/* fuzz_netstack.c: fuzzes the guest network stack's receive path
 * (guest/netstack, <pv/netstack.h>) built for the host.
 *
 * The input is one control byte, then one received Ethernet frame (no
 * virtio-net header). The control byte:
 *   bit 0  fix the IPv4 header checksum before the frame is received
 *   bit 1  fix the ICMP or UDP checksum too (UDP: only a nonzero one)
 *   bit 2  echo UDP on every port (NETSTACK_ANY_PORT), else on port 7
 *   bit 3  out_cap = the frame's length (always enough), else that less
 *          bits 4..7 times 4 bytes, so replies may not fit
 * Checksums are fixed with the harness's own RFC 1071 sum, so that the
 * fuzzer gets past them into the protocols. The interface is
 * 52:54:00:12:34:56 / 10.0.2.15. Frame and reply buffer are heap blocks of
 * exactly their size, so ASan sees any access past either.
 *
 * netstack_respond() must reply with at most out_cap bytes and never more
 * than the request's length, count exactly one reply or drop, and a reply
 * must come from our MAC with correct IPv4, ICMP and UDP checksums. The
 * frame is also given to netstack_udp_receive() and
 * netstack_arp_resolved(), its bytes parsed as a dotted quad (which must
 * print back the same), and its bytes sent as a UDP payload from a peer to
 * us through netstack_build_udp(), which must receive back unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pv/netstack.h>

#define CTL_FIX_IP    0x01
#define CTL_FIX_L4    0x02
#define CTL_ANY_PORT  0x04
#define CTL_FULL_CAP  0x08

#define ETH_TYPE      12
#define IP_TOTAL_LEN  2
#define IP_PROTOCOL   9
#define IP_CHECKSUM   10
#define IP_SRC        12
#define IP_DST        16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t our_ip[4] = { 10, 0, 2, 15 };
static const struct netstack_peer peer = {
	{ 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc }, { 10, 0, 2, 1 },
};

/* ---- The harness's own checksum (RFC 1071), big-endian words --------- */

static uint32_t sum_words(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t pseudo_sum(const uint8_t *ip, uint16_t udp_len)
{
	uint32_t sum = sum_words(ip + IP_SRC, 8, 0);

	return sum_words((const uint8_t[]){ 0, 17, (uint8_t)(udp_len >> 8), (uint8_t)udp_len }, 4,
			 sum);
}

/* The IPv4 header and its payload, bounded by the frame: NULL if absent. */
static uint8_t *ipv4_of(uint8_t *f, size_t len, size_t *ihl, size_t *payload_len)
{
	uint8_t *ip = f + NETSTACK_ETH_HLEN;
	size_t avail, total;

	if (len < NETSTACK_ETH_HLEN + 20 || get16(f + ETH_TYPE) != NETSTACK_ETHERTYPE_IPV4)
		return NULL;
	avail = len - NETSTACK_ETH_HLEN;
	*ihl = (size_t)(ip[0] & 0xf) * 4;
	total = get16(ip + IP_TOTAL_LEN);
	if (*ihl < 20 || *ihl > avail || total < *ihl || total > avail)
		return NULL;
	*payload_len = total - *ihl;
	return ip;
}

static void fix_l4(uint8_t *ip, size_t ihl, size_t payload_len)
{
	uint8_t *l4 = ip + ihl;
	uint16_t udp_len;

	if (ip[IP_PROTOCOL] == NETSTACK_PROTO_ICMP && payload_len >= 8) {
		put16(l4 + 2, 0);
		put16(l4 + 2, (uint16_t)~sum_words(l4, payload_len, 0));
	} else if (ip[IP_PROTOCOL] == NETSTACK_PROTO_UDP && payload_len >= 8 && get16(l4 + 6)) {
		udp_len = get16(l4 + 4);
		if (udp_len < 8 || udp_len > payload_len)
			return;
		put16(l4 + 6, 0);
		put16(l4 + 6, (uint16_t)~sum_words(l4, udp_len, pseudo_sum(ip, udp_len)));
		if (get16(l4 + 6) == 0)
			put16(l4 + 6, 0xffff);
	}
}

static void fix_checksums(uint8_t *f, size_t len, uint8_t ctl)
{
	size_t ihl, payload_len;
	uint8_t *ip = ipv4_of(f, len, &ihl, &payload_len);

	if (!ip)
		return;
	if (ctl & CTL_FIX_L4)
		fix_l4(ip, ihl, payload_len);
	if (ctl & CTL_FIX_IP) {
		put16(ip + IP_CHECKSUM, 0);
		put16(ip + IP_CHECKSUM, (uint16_t)~sum_words(ip, ihl, 0));
	}
}

/* ---- Checks on a reply ------------------------------------------------- */

static void check_reply_sums(uint8_t *r, size_t len)
{
	size_t ihl, payload_len;
	uint8_t *ip = ipv4_of(r, len, &ihl, &payload_len);
	uint8_t *l4;

	if (!ip || sum_words(ip, ihl, 0) != 0xffff)
		abort();
	l4 = ip + ihl;
	if (ip[IP_PROTOCOL] == NETSTACK_PROTO_ICMP && sum_words(l4, payload_len, 0) != 0xffff)
		abort();
	if (ip[IP_PROTOCOL] == NETSTACK_PROTO_UDP && get16(l4 + 6) &&
	    sum_words(l4, get16(l4 + 4), pseudo_sum(ip, get16(l4 + 4))) != 0xffff)
		abort();
}

static void check_counters(const struct netstack_if *ifc, size_t len)
{
	uint64_t drops = 0;

	for (int i = 0; i < NETSTACK_DROP_REASONS; i++)
		drops += ifc->drops[i];
	if (drops != ifc->dropped || ifc->arp_replies + ifc->icmp_replies + ifc->udp_replies +
	    ifc->dropped != 1 || (len == 0) != (ifc->dropped == 1))
		abort();
}

static void respond(const uint8_t *frame, size_t len, uint8_t ctl)
{
	struct netstack_if ifc;
	size_t cap = len, shrink = (size_t)(ctl >> 4) * 4, n;
	uint8_t *out;

	netstack_if_init(&ifc, our_mac, our_ip);
	if (ctl & CTL_ANY_PORT)
		ifc.udp_echo_port = NETSTACK_ANY_PORT;
	if (!(ctl & CTL_FULL_CAP))
		cap = cap > shrink ? cap - shrink : 0;
	if (!(out = malloc(cap ? cap : 1)))
		abort();
	n = netstack_respond(&ifc, frame, len, out, cap);
	check_counters(&ifc, n);
	if (n > cap || n > len)
		abort();
	if (n && memcmp(out + NETSTACK_ETH_ALEN, our_mac, NETSTACK_ETH_ALEN))
		abort();
	if (n && get16(out + ETH_TYPE) == NETSTACK_ETHERTYPE_IPV4)
		check_reply_sums(out, n);
	free(out);
}

/* ---- The other entry points -------------------------------------------- */

static void receive(const uint8_t *frame, size_t len)
{
	struct netstack_if ifc;
	struct netstack_udp d;
	uint8_t mac[6];

	netstack_if_init(&ifc, our_mac, our_ip);
	if (netstack_udp_receive(&ifc, frame, len, &d) &&
	    (d.payload < frame || d.len > len || d.payload + d.len > frame + len))
		abort();
	netstack_arp_resolved(&ifc, frame, len, peer.ip, mac);
}

static void parse_text(const uint8_t *data, size_t len)
{
	char *text = malloc(len + 1), back[16];
	uint8_t ip[4];

	if (!text)
		abort();
	memcpy(text, data, len);
	text[len] = '\0';
	if (netstack_parse_ipv4(text, ip)) {
		snprintf(back, sizeof(back), "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
		if (strcmp(back, text))
			abort();
	}
	free(text);
}

/* The bytes as a UDP payload from the peer to us, and back. */
static void round_trip(const uint8_t *payload, size_t len)
{
	struct netstack_if us, them;
	struct netstack_peer to = { { 0 }, { 0 } };
	struct netstack_udp d;
	size_t cap = NETSTACK_IPV4_FRAME_HLEN + NETSTACK_UDP_HLEN + len, n;
	uint8_t *frame = malloc(cap);

	if (!frame)
		abort();
	netstack_if_init(&us, our_mac, our_ip);
	netstack_if_init(&them, peer.mac, peer.ip);
	memcpy(to.mac, our_mac, 6);
	memcpy(to.ip, our_ip, 4);
	n = netstack_build_udp(&them, &to, 4000, 7, payload, len, frame, cap);
	if (len > NETSTACK_UDP_MAX_PAYLOAD) {
		if (n != 0)
			abort();
		free(frame);
		return;
	}
	if (n != cap || !netstack_udp_receive(&us, frame, n, &d) || d.len != len ||
	    d.src_port != 4000 || d.dst_port != 7 || memcmp(d.payload, payload, len))
		abort();
	if (netstack_build_udp(&them, &to, 4000, 7, payload, len, frame, cap - 1) != 0)
		abort();
	free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl, *frame;
	size_t len;

	if (size < 1)
		return 0;
	ctl = data[0];
	len = size - 1;
	if (!(frame = malloc(len ? len : 1)))
		abort();
	memcpy(frame, data + 1, len);
	fix_checksums(frame, len, ctl);
	respond(frame, len, ctl);
	receive(frame, len);
	parse_text(frame, len);
	round_trip(frame, len);
	free(frame);
	return 0;
}

/* test_netstack.c: the guest network responder (guest/netstack) on the
 * host: ARP, ICMP echo and UDP echo replies checked byte by byte, every
 * drop reason, the frame builders, address parsing, and fuzzed frames in
 * exactly sized heap buffers so that ASan catches any read past the input
 * or write past the output.
 *
 * Requests and expected replies are built here with the host's own
 * protocol structs (<netinet/...>) and an independent checksum (native-order
 * words, RFC 1071 2(B)), never with the library's code. */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <stdbool.h>

#include <pv/netstack.h>

#include "check.h"

#define FRAME_MAX (NETSTACK_ETH_HLEN + 65535 + 64)

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t our_ip[4] = { 10, 0, 2, 15 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc };
static const uint8_t peer_ip[4] = { 10, 0, 2, 1 };
static const uint8_t other_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };
static const uint8_t other_ip[4] = { 10, 0, 2, 99 };
static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint8_t in[FRAME_MAX], out[FRAME_MAX], expected[FRAME_MAX];
static struct netstack_if ifc;

/* ---- independent frame construction ---------------------------------- */

/* RFC 1071 2(B): the ones' complement sum does not depend on byte order,
 * so sum native words and store the result as it comes. Returns the
 * checksum in network byte order as it sits in a packet; over data that
 * includes a correct checksum it is 0. */
static uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t sum = 0;
	uint16_t word;

	for (; len >= 2; p += 2, len -= 2) {
		memcpy(&word, p, 2);
		sum += word;
	}
	if (len) {
		word = 0;
		memcpy(&word, p, 1);
		sum += word;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The UDP checksum over pseudo-header + datagram (network order). */
static uint16_t udp_csum(const uint8_t src[4], const uint8_t dst[4], const uint8_t *udp,
			 size_t len)
{
	static uint8_t buf[12 + 65536];
	uint16_t be_len = htons((uint16_t)len);

	memcpy(buf, src, 4);
	memcpy(buf + 4, dst, 4);
	buf[8] = 0;
	buf[9] = IPPROTO_UDP;
	memcpy(buf + 10, &be_len, 2);
	memcpy(buf + 12, udp, len);
	return inet_csum(buf, 12 + len);
}

struct ip_spec {
	const uint8_t *dst_mac, *src_mac;
	const uint8_t *src_ip, *dst_ip;
	uint8_t protocol, tos, ttl;
	uint16_t id, frag_off;     /* host order */
	size_t options_len;        /* a multiple of 4, at most 40 */
};

static struct ip_spec request_spec(uint8_t protocol)
{
	return (struct ip_spec){ .dst_mac = our_mac, .src_mac = peer_mac, .src_ip = peer_ip,
				 .dst_ip = our_ip, .protocol = protocol, .tos = 0, .ttl = 64,
				 .id = 0x1c46, .frag_off = IP_DF };
}

/* What the library must send back: no options, id 0, DF, TTL 64. */
static struct ip_spec reply_spec(uint8_t protocol)
{
	return (struct ip_spec){ .dst_mac = peer_mac, .src_mac = our_mac, .src_ip = our_ip,
				 .dst_ip = peer_ip, .protocol = protocol, .tos = 0, .ttl = 64,
				 .id = 0, .frag_off = IP_DF };
}

static size_t build_ipv4(uint8_t *f, const struct ip_spec *s, const void *payload, size_t len)
{
	struct ether_header eth;
	struct iphdr ip;
	size_t hlen = sizeof(ip) + s->options_len;

	memcpy(eth.ether_dhost, s->dst_mac, 6);
	memcpy(eth.ether_shost, s->src_mac, 6);
	eth.ether_type = htons(ETHERTYPE_IP);
	memset(&ip, 0, sizeof(ip));
	ip.version = 4;
	ip.ihl = (unsigned)(hlen / 4);
	ip.tos = s->tos;
	ip.tot_len = htons((uint16_t)(hlen + len));
	ip.id = htons(s->id);
	ip.frag_off = htons(s->frag_off);
	ip.ttl = s->ttl;
	ip.protocol = s->protocol;
	memcpy(&ip.saddr, s->src_ip, 4);
	memcpy(&ip.daddr, s->dst_ip, 4);
	memcpy(f, &eth, sizeof(eth));
	memcpy(f + 14, &ip, sizeof(ip));
	memset(f + 34, IPOPT_NOP, s->options_len);
	if (s->options_len)
		f[14 + hlen - 1] = IPOPT_EOL;
	ip.check = inet_csum(f + 14, hlen);
	memcpy(f + 14 + offsetof(struct iphdr, check), &ip.check, 2);
	memcpy(f + 14 + hlen, payload, len);
	return 14 + hlen + len;
}

static size_t build_icmp(uint8_t *f, const struct ip_spec *s, uint8_t type, uint8_t code,
			 const void *data, size_t len)
{
	static uint8_t msg[65536];
	struct icmphdr h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.code = code;
	h.un.echo.id = htons(0x4242);
	h.un.echo.sequence = htons(7);
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), data, len);
	h.checksum = inet_csum(msg, sizeof(h) + len);
	memcpy(msg + offsetof(struct icmphdr, checksum), &h.checksum, 2);
	return build_ipv4(f, s, msg, sizeof(h) + len);
}

static size_t build_echo_request(uint8_t *f, const void *data, size_t len)
{
	struct ip_spec s = request_spec(IPPROTO_ICMP);

	return build_icmp(f, &s, ICMP_ECHO, 0, data, len);
}

static size_t build_udp_frame(uint8_t *f, const struct ip_spec *s, uint16_t sport, uint16_t dport,
			      const void *data, size_t len, bool checksum)
{
	static uint8_t dgram[65536];
	struct udphdr h;

	h.source = htons(sport);
	h.dest = htons(dport);
	h.len = htons((uint16_t)(sizeof(h) + len));
	h.check = 0;
	memcpy(dgram, &h, sizeof(h));
	memcpy(dgram + sizeof(h), data, len);
	if (checksum) {
		h.check = udp_csum(s->src_ip, s->dst_ip, dgram, sizeof(h) + len);
		if (h.check == 0)
			h.check = 0xffff;
		memcpy(dgram + offsetof(struct udphdr, check), &h.check, 2);
	}
	return build_ipv4(f, s, dgram, sizeof(h) + len);
}

static size_t build_udp_request(uint8_t *f, uint16_t sport, uint16_t dport, const void *data,
				size_t len)
{
	struct ip_spec s = request_spec(IPPROTO_UDP);

	return build_udp_frame(f, &s, sport, dport, data, len, true);
}

static size_t build_arp(uint8_t *f, const uint8_t eth_dst[6], uint16_t op, const uint8_t sha[6],
			const uint8_t spa[4], const uint8_t tha[6], const uint8_t tpa[4])
{
	struct ether_header eth;
	struct ether_arp arp;

	memcpy(eth.ether_dhost, eth_dst, 6);
	memcpy(eth.ether_shost, sha, 6);
	eth.ether_type = htons(ETHERTYPE_ARP);
	arp.arp_hrd = htons(ARPHRD_ETHER);
	arp.arp_pro = htons(ETHERTYPE_IP);
	arp.arp_hln = 6;
	arp.arp_pln = 4;
	arp.arp_op = htons(op);
	memcpy(arp.arp_sha, sha, 6);
	memcpy(arp.arp_spa, spa, 4);
	memcpy(arp.arp_tha, tha, 6);
	memcpy(arp.arp_tpa, tpa, 4);
	memcpy(f, &eth, sizeof(eth));
	memcpy(f + sizeof(eth), &arp, sizeof(arp));
	return sizeof(eth) + sizeof(arp);
}

static size_t build_arp_request(uint8_t *f)
{
	static const uint8_t zero[6];

	return build_arp(f, broadcast, ARPOP_REQUEST, peer_mac, peer_ip, zero, our_ip);
}

/* Recomputes the IPv4 header checksum of a frame after a test edited it. */
static void fix_ip_csum(uint8_t *f)
{
	size_t hlen = (size_t)(f[14] & 0xf) * 4;
	uint16_t c;

	memset(f + 24, 0, 2);
	c = inet_csum(f + 14, hlen);
	memcpy(f + 24, &c, 2);
}

/* The same for the ICMP checksum, if the IPv4 lengths of the frame of
 * len bytes allow it. */
static void fix_icmp_csum(uint8_t *f, size_t len)
{
	size_t hlen = (size_t)(f[14] & 0xf) * 4, total = ((size_t)f[16] << 8) | f[17];
	uint8_t *msg = f + 14 + hlen;
	uint16_t c;

	if (len < 34 || f[23] != IPPROTO_ICMP || total < hlen + 4 || 14 + total > len)
		return;
	memset(msg + 2, 0, 2);
	c = inet_csum(msg, total - hlen);
	memcpy(msg + 2, &c, 2);
}

static void fix_udp_csum(uint8_t *f)
{
	size_t hlen = (size_t)(f[14] & 0xf) * 4;
	uint8_t *udp = f + 14 + hlen;
	uint16_t c;

	memset(udp + 6, 0, 2);
	c = udp_csum(f + 26, f + 30, udp, ((size_t)udp[4] << 8) | udp[5]);
	memcpy(udp + 6, c ? &c : &(uint16_t){ 0xffff }, 2);
}

/* ---- helpers ----------------------------------------------------------- */

static void reset_if(void)
{
	netstack_if_init(&ifc, our_mac, our_ip);
}

static size_t respond(size_t len)
{
	return netstack_respond(&ifc, in, len, out, sizeof(out));
}

/* The frame of len bytes in `in` is dropped for exactly this reason. */
static bool drops_for(size_t len, enum netstack_drop why)
{
	uint64_t before = ifc.drops[why], total = ifc.dropped;

	return respond(len) == 0 && ifc.drops[why] == before + 1 && ifc.dropped == total + 1;
}

static uint64_t drop_sum(const struct netstack_if *i)
{
	uint64_t sum = 0;

	for (int r = 0; r < NETSTACK_DROP_REASONS; r++)
		sum += i->drops[r];
	return sum;
}

/* The reply's IPv4 and ICMP/UDP checksums are right (independent code). */
static bool reply_checksums_ok(const uint8_t *f, size_t len)
{
	struct iphdr ip;
	size_t ip_len;

	if (len < 34 || f[12] != 0x08 || f[13] != 0x00)
		return len >= 14;  /* ARP has no checksum */
	memcpy(&ip, f + 14, sizeof(ip));
	ip_len = ntohs(ip.tot_len);
	if (ip.ihl != 5 || ip_len + 14 != len || inet_csum(f + 14, 20) != 0)
		return false;
	if (ip.protocol == IPPROTO_ICMP)
		return inet_csum(f + 34, ip_len - 20) == 0;
	return ip.protocol == IPPROTO_UDP && udp_csum(f + 26, f + 30, f + 34, ip_len - 20) == 0;
}

/* ---- checksum vectors -------------------------------------------------- */

static void checksum_known_vectors(void)
{
	/* RFC 1071 section 3: the sum of these bytes is ddf2. */
	static const uint8_t rfc1071[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* A well-known IPv4 header (192.168.0.1 -> .199, UDP) whose checksum
	 * is b861. */
	uint8_t hdr[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			    0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	static const uint8_t odd[] = { 0x01, 0x02, 0x03 };

	CHECK_EQ(netstack_sum(rfc1071, sizeof(rfc1071), 0), 0xddf2);
	CHECK_EQ(netstack_checksum_finish(0xddf2), 0x220d);
	CHECK_EQ(netstack_sum(hdr, 20, 0), 0xffff);
	hdr[10] = hdr[11] = 0;
	CHECK_EQ(netstack_checksum_finish(netstack_sum(hdr, 20, 0)), 0xb861);
	CHECK_EQ(netstack_sum(odd, 3, 0), 0x0402);   /* 0102 + 0300 */
	CHECK_EQ(netstack_sum(odd, 0, 0x1234), 0x1234);
	CHECK_EQ(netstack_sum(odd, 3, 0xfffe), 0x0401);   /* end-around carry */
	CHECK_EQ(netstack_pseudo_header_sum(peer_ip, our_ip, 17, 8),
		 (0x0a00 + 0x0201 + 0x0a00 + 0x020f + 17 + 8));
}

/* ---- ARP ----------------------------------------------------------------- */

static void arp_request_gets_reply(void)
{
	static const uint8_t want[42] = {
		0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
		0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
		0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 10, 0, 2, 15,
		0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc, 10, 0, 2, 1,
	};
	size_t len;

	reset_if();
	len = build_arp_request(in);
	CHECK_EQ(len, 42);
	CHECK_EQ(respond(len), 42);
	CHECK(memcmp(out, want, 42) == 0);
	CHECK_EQ(ifc.arp_replies, 1);
	CHECK_EQ(ifc.dropped, 0);
	/* padded to Ethernet's minimum, sent to our MAC: the same reply */
	memset(in + 42, 0xee, 18);
	memcpy(in, our_mac, 6);
	memset(out, 0, sizeof(want));
	CHECK_EQ(respond(60), 42);
	CHECK(memcmp(out, want, 42) == 0);
	CHECK_EQ(ifc.arp_replies, 2);
}

static void arp_probe_gets_reply(void)
{
	static const uint8_t zero[6], zero_ip[4];
	struct ether_arp arp;
	size_t len;

	/* RFC 5227 probe: sender address 0.0.0.0; the reply goes to 0.0.0.0 */
	reset_if();
	len = build_arp(in, broadcast, ARPOP_REQUEST, peer_mac, zero_ip, zero, our_ip);
	CHECK_EQ(respond(len), 42);
	memcpy(&arp, out + 14, sizeof(arp));
	CHECK_EQ(ntohs(arp.arp_op), ARPOP_REPLY);
	CHECK(memcmp(arp.arp_tpa, zero_ip, 4) == 0);
	CHECK(memcmp(arp.arp_tha, peer_mac, 6) == 0);
	CHECK(memcmp(out, peer_mac, 6) == 0);
}

static void arp_drops(void)
{
	static const uint8_t zero[6];
	static const uint8_t multicast_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	size_t len;

	reset_if();
	len = build_arp(in, broadcast, ARPOP_REQUEST, peer_mac, peer_ip, zero, other_ip);
	CHECK(drops_for(len, NETSTACK_DROP_NOT_FOR_US));
	len = build_arp(in, other_mac, ARPOP_REQUEST, peer_mac, peer_ip, zero, our_ip);
	CHECK(drops_for(len, NETSTACK_DROP_NOT_FOR_US));
	len = build_arp(in, multicast_mac, ARPOP_REQUEST, peer_mac, peer_ip, zero, our_ip);
	CHECK(drops_for(len, NETSTACK_DROP_NOT_FOR_US));
	len = build_arp(in, our_mac, ARPOP_REPLY, peer_mac, peer_ip, our_mac, our_ip);
	CHECK(drops_for(len, NETSTACK_DROP_UNSUPPORTED));
	len = build_arp(in, broadcast, ARPOP_RREQUEST, peer_mac, peer_ip, zero, our_ip);
	CHECK(drops_for(len, NETSTACK_DROP_UNSUPPORTED));
	len = build_arp(in, broadcast, ARPOP_REQUEST, multicast_mac, peer_ip, zero, our_ip);
	CHECK(drops_for(len, NETSTACK_DROP_MALFORMED));
	len = build_arp(in, broadcast, ARPOP_REQUEST, zero, peer_ip, zero, our_ip);
	CHECK(drops_for(len, NETSTACK_DROP_MALFORMED));
	len = build_arp(in, broadcast, ARPOP_REQUEST, our_mac, peer_ip, zero, our_ip);
	CHECK(drops_for(len, NETSTACK_DROP_MALFORMED));
	len = build_arp(in, broadcast, ARPOP_REQUEST, peer_mac, our_ip, zero, our_ip);
	CHECK(drops_for(len, NETSTACK_DROP_MALFORMED));   /* claims our address */

	len = build_arp_request(in);
	in[15] = 6;                               /* hardware type IEEE 802 */
	CHECK(drops_for(len, NETSTACK_DROP_UNSUPPORTED));
	len = build_arp_request(in);
	in[16] = 0x86, in[17] = 0xdd;             /* protocol IPv6 */
	CHECK(drops_for(len, NETSTACK_DROP_UNSUPPORTED));
	len = build_arp_request(in);
	in[18] = 8;                               /* hardware length */
	CHECK(drops_for(len, NETSTACK_DROP_UNSUPPORTED));
	len = build_arp_request(in);
	in[19] = 16;                              /* protocol length */
	CHECK(drops_for(len, NETSTACK_DROP_UNSUPPORTED));

	len = build_arp_request(in);
	CHECK_EQ(netstack_respond(&ifc, in, len, out, 41), 0);
	CHECK_EQ(ifc.drops[NETSTACK_DROP_NO_ROOM], 1);
	CHECK_EQ(ifc.arp_replies, 0);
	CHECK_EQ(ifc.dropped, drop_sum(&ifc));
}

static void arp_truncations(void)
{
	size_t len;

	reset_if();
	len = build_arp_request(in);
	for (size_t cut = 0; cut < len; cut++)
		CHECK(drops_for(cut, NETSTACK_DROP_TRUNCATED));
	CHECK_EQ(respond(len), 42);
}

static void arp_request_and_resolution(void)
{
	struct netstack_if peer;
	uint8_t req[64], reply[64], mac[6] = { 0 };
	size_t req_len, reply_len;
	struct ether_arp arp;

	reset_if();
	netstack_if_init(&peer, peer_mac, peer_ip);
	CHECK_EQ(netstack_build_arp_request(&ifc, peer_ip, req, 41), 0);
	req_len = netstack_build_arp_request(&ifc, peer_ip, req, sizeof(req));
	CHECK_EQ(req_len, 42);
	CHECK(memcmp(req, broadcast, 6) == 0);
	CHECK(memcmp(req + 6, our_mac, 6) == 0);
	CHECK(req[12] == 0x08 && req[13] == 0x06);
	memcpy(&arp, req + 14, sizeof(arp));
	CHECK_EQ(ntohs(arp.arp_hrd), ARPHRD_ETHER);
	CHECK_EQ(ntohs(arp.arp_pro), ETHERTYPE_IP);
	CHECK(arp.arp_hln == 6 && arp.arp_pln == 4);
	CHECK_EQ(ntohs(arp.arp_op), ARPOP_REQUEST);
	CHECK(memcmp(arp.arp_sha, our_mac, 6) == 0 && memcmp(arp.arp_spa, our_ip, 4) == 0);
	CHECK(memcmp(arp.arp_tpa, peer_ip, 4) == 0);
	CHECK(memcmp(arp.arp_tha, "\0\0\0\0\0\0", 6) == 0);

	reply_len = netstack_respond(&peer, req, req_len, reply, sizeof(reply));
	CHECK_EQ(reply_len, 42);
	CHECK(!netstack_arp_resolved(&ifc, reply, reply_len, other_ip, mac));
	CHECK(!netstack_arp_resolved(&ifc, req, req_len, peer_ip, mac));  /* a request */
	CHECK(!netstack_arp_resolved(&ifc, reply, reply_len - 1, peer_ip, mac));
	CHECK(!netstack_arp_resolved(&peer, reply, reply_len, peer_ip, mac)); /* not to peer */
	CHECK(memcmp(mac, "\0\0\0\0\0\0", 6) == 0);
	CHECK(netstack_arp_resolved(&ifc, reply, reply_len, peer_ip, mac));
	CHECK(memcmp(mac, peer_mac, 6) == 0);
}

/* ---- ICMP ------------------------------------------------------------- */

static void icmp_echo_reply_exact(void)
{
	uint8_t data[56];
	struct ip_spec rs = reply_spec(IPPROTO_ICMP);
	size_t len, want_len;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0x10 + i);
	reset_if();
	len = build_echo_request(in, data, sizeof(data));
	CHECK_EQ(len, 14 + 20 + 8 + 56);
	want_len = build_icmp(expected, &rs, ICMP_ECHOREPLY, 0, data, sizeof(data));
	CHECK_EQ(respond(len), want_len);
	CHECK(memcmp(out, expected, want_len) == 0);
	CHECK(reply_checksums_ok(out, want_len));
	CHECK_EQ(ifc.icmp_replies, 1);
	CHECK_EQ(ifc.dropped, 0);
	/* spot checks of what the byte comparison implies */
	CHECK_EQ(out[14], 0x45);
	CHECK_EQ(out[22], 64);                         /* TTL */
	CHECK(out[34] == ICMP_ECHOREPLY && out[35] == 0);
	CHECK(out[38] == 0x42 && out[39] == 0x42 && out[40] == 0 && out[41] == 7);
}

static void icmp_odd_and_empty_payloads(void)
{
	struct ip_spec rs = reply_spec(IPPROTO_ICMP);
	static const uint8_t data[] = "odd";
	size_t len, want_len;

	reset_if();
	for (size_t n = 0; n <= 3; n++) {
		len = build_echo_request(in, data, n);
		want_len = build_icmp(expected, &rs, ICMP_ECHOREPLY, 0, data, n);
		CHECK_EQ(respond(len), want_len);
		CHECK(memcmp(out, expected, want_len) == 0);
		CHECK(reply_checksums_ok(out, want_len));
	}
	CHECK_EQ(ifc.icmp_replies, 4);
}

static void icmp_with_ip_options(void)
{
	struct ip_spec s = request_spec(IPPROTO_ICMP), rs = reply_spec(IPPROTO_ICMP);
	static const uint8_t data[] = "with options";
	size_t len, want_len;

	reset_if();
	want_len = build_icmp(expected, &rs, ICMP_ECHOREPLY, 0, data, sizeof(data));
	for (s.options_len = 4; s.options_len <= 40; s.options_len += 4) {
		len = build_icmp(in, &s, ICMP_ECHO, 0, data, sizeof(data));
		CHECK_EQ(len, 34 + s.options_len + 8 + sizeof(data));
		memset(out, 0xaa, len);
		CHECK_EQ(respond(len), want_len);
		CHECK(memcmp(out, expected, want_len) == 0);
	}
	CHECK_EQ(ifc.icmp_replies, 10);
}

static void icmp_padded_frame(void)
{
	struct ip_spec rs = reply_spec(IPPROTO_ICMP);
	size_t len, want_len;

	/* a 4-byte echo is a 46-byte frame, padded to 60 on the wire: the
	 * padding is not payload */
	reset_if();
	len = build_echo_request(in, "ping", 4);
	CHECK_EQ(len, 46);
	memset(in + len, 0x77, 60 - len);
	want_len = build_icmp(expected, &rs, ICMP_ECHOREPLY, 0, "ping", 4);
	CHECK_EQ(respond(60), want_len);
	CHECK(memcmp(out, expected, want_len) == 0);
}

static void icmp_largest_echo(void)
{
	static uint8_t data[65535 - 20 - 8];
	struct ip_spec rs = reply_spec(IPPROTO_ICMP);
	size_t len, want_len;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	reset_if();
	len = build_echo_request(in, data, sizeof(data));
	CHECK_EQ(len, 14 + 65535);
	want_len = build_icmp(expected, &rs, ICMP_ECHOREPLY, 0, data, sizeof(data));
	CHECK_EQ(netstack_respond(&ifc, in, len, out, len - 1), 0);
	CHECK_EQ(ifc.drops[NETSTACK_DROP_NO_ROOM], 1);
	CHECK_EQ(netstack_respond(&ifc, in, len, out, len), want_len);
	CHECK(memcmp(out, expected, want_len) == 0);
}

static void icmp_drops(void)
{
	struct ip_spec s;
	size_t len;

	reset_if();
	len = build_echo_request(in, "abcd", 4);
	in[40] ^= 1;                                        /* ICMP checksum */
	CHECK(drops_for(len, NETSTACK_DROP_CHECKSUM));
	len = build_echo_request(in, "abcd", 4);
	in[25] ^= 1;                                        /* IPv4 checksum */
	CHECK(drops_for(len, NETSTACK_DROP_CHECKSUM));
	s = request_spec(IPPROTO_ICMP);
	len = build_icmp(in, &s, ICMP_ECHOREPLY, 0, "abcd", 4);
	CHECK(drops_for(len, NETSTACK_DROP_UNSUPPORTED));
	len = build_icmp(in, &s, ICMP_TIMESTAMP, 0, "abcdefghijkl", 12);
	CHECK(drops_for(len, NETSTACK_DROP_UNSUPPORTED));
	len = build_icmp(in, &s, ICMP_ECHO, 1, "abcd", 4);
	CHECK(drops_for(len, NETSTACK_DROP_MALFORMED));
	/* an ICMP message shorter than its 8-byte header */
	len = build_ipv4(in, &s, "\x08\x00\xf7\xff", 4);
	CHECK(drops_for(len, NETSTACK_DROP_TRUNCATED));
	len = build_ipv4(in, &s, "", 0);
	CHECK(drops_for(len, NETSTACK_DROP_TRUNCATED));
	CHECK_EQ(ifc.icmp_replies, 0);
	CHECK_EQ(ifc.dropped, drop_sum(&ifc));
}

/* IPv4 header problems, shown with an echo request. */
static void ipv4_drops(void)
{
	static const uint8_t multicast_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t bad_sources[][4] = {
		{ 0, 0, 0, 0 }, { 0, 1, 2, 3 }, { 127, 0, 0, 1 }, { 224, 0, 0, 1 },
		{ 239, 1, 1, 1 }, { 240, 0, 0, 1 }, { 255, 255, 255, 255 }, { 10, 0, 2, 15 },
	};
	struct ip_spec s;
	size_t len;

	reset_if();
	s = request_spec(IPPROTO_ICMP);
	s.frag_off = IP_MF;
	len = build_icmp(in, &s, ICMP_ECHO, 0, "abcd", 4);
	CHECK(drops_for(len, NETSTACK_DROP_FRAGMENT));
	s.frag_off = 1;                                     /* offset 8 */
	len = build_icmp(in, &s, ICMP_ECHO, 0, "abcd", 4);
	CHECK(drops_for(len, NETSTACK_DROP_FRAGMENT));
	s.frag_off = IP_DF | IP_OFFMASK;
	len = build_icmp(in, &s, ICMP_ECHO, 0, "abcd", 4);
	CHECK(drops_for(len, NETSTACK_DROP_FRAGMENT));
	s.frag_off = IP_RF;
	len = build_icmp(in, &s, ICMP_ECHO, 0, "abcd", 4);
	CHECK(drops_for(len, NETSTACK_DROP_MALFORMED));

	s = request_spec(IPPROTO_ICMP);
	s.dst_ip = other_ip;
	len = build_icmp(in, &s, ICMP_ECHO, 0, "abcd", 4);
	CHECK(drops_for(len, NETSTACK_DROP_NOT_FOR_US));
	s = request_spec(IPPROTO_ICMP);
	s.dst_ip = (const uint8_t[4]){ 10, 0, 2, 255 };
	len = build_icmp(in, &s, ICMP_ECHO, 0, "abcd", 4);
	CHECK(drops_for(len, NETSTACK_DROP_NOT_FOR_US));
	s = request_spec(IPPROTO_ICMP);
	s.dst_mac = other_mac;
	len = build_icmp(in, &s, ICMP_ECHO, 0, "abcd", 4);
	CHECK(drops_for(len, NETSTACK_DROP_NOT_FOR_US));
	s.dst_mac = broadcast;
	len = build_icmp(in, &s, ICMP_ECHO, 0, "abcd", 4);
	CHECK(drops_for(len, NETSTACK_DROP_NOT_FOR_US));
	s = request_spec(IPPROTO_ICMP);
	s.src_mac = multicast_mac;
	len = build_icmp(in, &s, ICMP_ECHO, 0, "abcd", 4);
	CHECK(drops_for(len, NETSTACK_DROP_MALFORMED));
	for (size_t i = 0; i < sizeof(bad_sources) / sizeof(bad_sources[0]); i++) {
		s = request_spec(IPPROTO_ICMP);
		s.src_ip = bad_sources[i];
		len = build_icmp(in, &s, ICMP_ECHO, 0, "abcd", 4);
		CHECK(drops_for(len, NETSTACK_DROP_MALFORMED));
	}

	len = build_echo_request(in, "abcd", 4);
	in[14] = 0x65;                                      /* version 6 */
	fix_ip_csum(in);
	CHECK(drops_for(len, NETSTACK_DROP_MALFORMED));
	len = build_echo_request(in, "abcd", 4);
	in[14] = 0x44;                                      /* ihl 4 */
	CHECK(drops_for(len, NETSTACK_DROP_MALFORMED));
	len = build_echo_request(in, "abcd", 4);
	in[14] = 0x4f;                                      /* 60-byte header, 46-byte frame */
	CHECK(drops_for(len, NETSTACK_DROP_TRUNCATED));
	len = build_echo_request(in, "abcd", 4);
	in[16] = 0, in[17] = 19;                            /* total length < header */
	fix_ip_csum(in);
	CHECK(drops_for(len, NETSTACK_DROP_MALFORMED));
	len = build_echo_request(in, "abcd", 4);
	in[16] = 0, in[17] = 33;                            /* one more than the frame has */
	fix_ip_csum(in);
	CHECK(drops_for(len, NETSTACK_DROP_TRUNCATED));
	len = build_echo_request(in, "abcd", 4);
	in[16] = 0, in[17] = 27;                            /* ICMP of 7 bytes */
	fix_ip_csum(in);
	CHECK(drops_for(len, NETSTACK_DROP_TRUNCATED));

	s = request_spec(IPPROTO_TCP);
	len = build_ipv4(in, &s, "01234567890123456789", 20);
	CHECK(drops_for(len, NETSTACK_DROP_UNSUPPORTED));
	len = build_echo_request(in, "abcd", 4);
	in[12] = 0x86, in[13] = 0xdd;                       /* IPv6 ethertype */
	CHECK(drops_for(len, NETSTACK_DROP_UNSUPPORTED));
	in[12] = 0x81, in[13] = 0x00;                       /* VLAN tag */
	CHECK(drops_for(len, NETSTACK_DROP_UNSUPPORTED));
	CHECK_EQ(ifc.icmp_replies + ifc.udp_replies + ifc.arp_replies, 0);
	CHECK_EQ(ifc.dropped, drop_sum(&ifc));
}

static void ipv4_truncations(void)
{
	struct ip_spec s = request_spec(IPPROTO_ICMP);
	size_t len;

	reset_if();
	s.options_len = 8;
	len = build_icmp(in, &s, ICMP_ECHO, 0, "truncate me", 11);
	for (size_t cut = 0; cut < len; cut++)
		CHECK(drops_for(cut, NETSTACK_DROP_TRUNCATED));
	CHECK(respond(len) > 0);
	CHECK_EQ(ifc.icmp_replies, 1);
}

/* ---- UDP ----------------------------------------------------------------- */

static void udp_echo_reply_exact(void)
{
	static const uint8_t data[] = "hello, pvisor";
	struct ip_spec rs = reply_spec(IPPROTO_UDP);
	size_t len, want_len;
	struct udphdr h;

	reset_if();
	len = build_udp_request(in, 40000, 7, data, sizeof(data));
	want_len = build_udp_frame(expected, &rs, 7, 40000, data, sizeof(data), true);
	CHECK_EQ(respond(len), want_len);
	CHECK(memcmp(out, expected, want_len) == 0);
	CHECK(reply_checksums_ok(out, want_len));
	memcpy(&h, out + 34, sizeof(h));
	CHECK_EQ(ntohs(h.source), 7);
	CHECK_EQ(ntohs(h.dest), 40000);
	CHECK_EQ(ntohs(h.len), 8 + sizeof(data));
	CHECK(h.check != 0);
	CHECK(memcmp(out + 42, data, sizeof(data)) == 0);
	CHECK_EQ(ifc.udp_replies, 1);
}

static void udp_without_checksum_is_accepted(void)
{
	struct ip_spec s = request_spec(IPPROTO_UDP), rs = reply_spec(IPPROTO_UDP);
	size_t len, want_len;

	reset_if();
	len = build_udp_frame(in, &s, 5555, 7, "nocsum", 6, false);
	CHECK(in[40] == 0 && in[41] == 0);
	want_len = build_udp_frame(expected, &rs, 7, 5555, "nocsum", 6, true);
	CHECK_EQ(respond(len), want_len);
	CHECK(memcmp(out, expected, want_len) == 0);   /* the reply has one */
}

/* A datagram whose checksum comes out as 0 is sent with 0xffff. */
static void udp_zero_checksum_sent_as_ffff(void)
{
	uint8_t data[2];
	size_t len = 0;
	unsigned word;

	/* The sum does not change when addresses and ports swap, so a request
	 * whose own checksum came out as 0 (and was sent as ffff) makes a
	 * reply whose checksum comes out as 0 too. */
	reset_if();
	for (word = 0; word <= 0xffff; word++) {
		data[0] = (uint8_t)(word >> 8);
		data[1] = (uint8_t)word;
		len = build_udp_request(in, 1234, 7, data, 2);
		if (in[40] == 0xff && in[41] == 0xff)
			break;
	}
	CHECK(word <= 0xffff);
	CHECK_EQ(respond(len), len);
	CHECK(out[40] == 0xff && out[41] == 0xff);
	CHECK(reply_checksums_ok(out, len));
	CHECK(memcmp(out + 42, data, 2) == 0);
}

static void udp_echo_port_choice(void)
{
	size_t len;

	reset_if();
	CHECK_EQ(ifc.udp_echo_port, 7);
	len = build_udp_request(in, 1000, 8, "x", 1);
	CHECK(drops_for(len, NETSTACK_DROP_NOT_FOR_US));
	ifc.udp_echo_port = NETSTACK_ANY_PORT;
	CHECK_EQ(respond(len), len);
	CHECK(out[34] == 0 && out[35] == 8 && out[36] == 0x03 && out[37] == 0xe8);
	len = build_udp_request(in, 1000, 65535, "x", 1);
	CHECK_EQ(respond(len), len);
	ifc.udp_echo_port = 9999;
	CHECK(drops_for(len, NETSTACK_DROP_NOT_FOR_US));
	len = build_udp_request(in, 1000, 7, "x", 1);
	CHECK(drops_for(len, NETSTACK_DROP_NOT_FOR_US));
	len = build_udp_request(in, 1000, 9999, "x", 1);
	CHECK_EQ(respond(len), len);
	CHECK_EQ(ifc.udp_replies, 3);
}

static void udp_length_field(void)
{
	size_t len;

	reset_if();
	/* UDP length shorter than the IP payload: the rest is ignored */
	len = build_udp_request(in, 1000, 7, "abcdef", 6);
	in[38] = 0, in[39] = 8 + 3;
	fix_udp_csum(in);
	CHECK_EQ(respond(len), len - 3);
	CHECK(memcmp(out + 42, "abc", 3) == 0);
	CHECK(out[38] == 0 && out[39] == 11);
	CHECK(reply_checksums_ok(out, len - 3));
	len = build_udp_request(in, 1000, 7, "abcdef", 6);
	in[38] = 0, in[39] = 8 + 7;                         /* longer than the payload */
	fix_udp_csum(in);
	CHECK(drops_for(len, NETSTACK_DROP_TRUNCATED));
	in[38] = 0, in[39] = 7;                             /* shorter than a header */
	CHECK(drops_for(len, NETSTACK_DROP_MALFORMED));
	/* an IP payload shorter than the UDP header */
	{
		struct ip_spec s = request_spec(IPPROTO_UDP);

		len = build_ipv4(in, &s, "\x03\xe8\x00\x07\x00\x07\x00", 7);
		CHECK(drops_for(len, NETSTACK_DROP_TRUNCATED));
	}
	CHECK_EQ(ifc.udp_replies, 1);
}

static void udp_drops(void)
{
	size_t len;

	reset_if();
	len = build_udp_request(in, 1000, 7, "abcd", 4);
	in[42] ^= 0x40;                                     /* payload, not the checksum */
	CHECK(drops_for(len, NETSTACK_DROP_CHECKSUM));
	len = build_udp_request(in, 1000, 7, "abcd", 4);
	in[40] ^= 0x01;
	CHECK(drops_for(len, NETSTACK_DROP_CHECKSUM));
	len = build_udp_request(in, 0, 7, "abcd", 4);     /* no port to reply to */
	CHECK(drops_for(len, NETSTACK_DROP_MALFORMED));
	len = build_udp_request(in, 1000, 7, "abcd", 4);
	CHECK_EQ(netstack_respond(&ifc, in, len, out, len - 1), 0);
	CHECK_EQ(ifc.drops[NETSTACK_DROP_NO_ROOM], 1);
	for (size_t cut = 0; cut < len; cut++)
		CHECK(drops_for(cut, NETSTACK_DROP_TRUNCATED));
	CHECK_EQ(ifc.udp_replies, 0);
	CHECK_EQ(ifc.dropped, drop_sum(&ifc));
}

/* ---- builders and parsing ----------------------------------------------- */

static void build_udp_frames(void)
{
	static uint8_t payload[NETSTACK_UDP_MAX_PAYLOAD + 1];
	struct netstack_peer to;
	struct ip_spec s = reply_spec(IPPROTO_UDP);
	size_t len, want_len;

	reset_if();
	memcpy(to.mac, peer_mac, 6);
	memcpy(to.ip, peer_ip, 4);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i ^ (i >> 8));
	for (size_t n = 0; n < 40; n++) {
		len = netstack_build_udp(&ifc, &to, 4000, 5000, payload, n, out, sizeof(out));
		want_len = build_udp_frame(expected, &s, 4000, 5000, payload, n, true);
		CHECK_EQ(len, want_len);
		CHECK(memcmp(out, expected, want_len) == 0);
	}
	/* 64-byte and 1500-byte frames, as the benchmarks send */
	CHECK_EQ(netstack_build_udp(&ifc, &to, 1, 2, payload, 64 - 42, out, sizeof(out)), 64);
	CHECK_EQ(netstack_build_udp(&ifc, &to, 1, 2, payload, 1500 - 42, out, sizeof(out)), 1500);
	CHECK(reply_checksums_ok(out, 1500));
	CHECK_EQ(netstack_build_udp(&ifc, &to, 1, 2, NULL, 0, out, 42), 42);
	CHECK_EQ(netstack_build_udp(&ifc, &to, 1, 2, payload, 10, out, 51), 0);
	CHECK_EQ(netstack_build_udp(&ifc, &to, 1, 2, payload, 10, out, 52), 52);
	len = netstack_build_udp(&ifc, &to, 1, 2, payload, NETSTACK_UDP_MAX_PAYLOAD, out,
				 sizeof(out));
	CHECK_EQ(len, 14 + 65535);
	CHECK(reply_checksums_ok(out, len));
	CHECK_EQ(netstack_build_udp(&ifc, &to, 1, 2, payload, NETSTACK_UDP_MAX_PAYLOAD + 1, out,
				    sizeof(out)), 0);
}

static void udp_receive_of_built_frames(void)
{
	struct netstack_if peer;
	struct netstack_peer to;
	struct netstack_udp d;
	size_t len;

	reset_if();
	netstack_if_init(&peer, peer_mac, peer_ip);
	memcpy(to.mac, peer_mac, 6);
	memcpy(to.ip, peer_ip, 4);
	len = netstack_build_udp(&ifc, &to, 4000, 5000, "data", 4, out, sizeof(out));
	CHECK(netstack_udp_receive(&peer, out, len, &d));
	CHECK(d.src_port == 4000 && d.dst_port == 5000 && d.len == 4);
	CHECK(d.payload == out + 42 && memcmp(d.payload, "data", 4) == 0);
	CHECK(memcmp(d.from.mac, our_mac, 6) == 0 && memcmp(d.from.ip, our_ip, 4) == 0);
	CHECK(!netstack_udp_receive(&ifc, out, len, &d));     /* not to us */
	CHECK(!netstack_udp_receive(&peer, out, len - 1, &d));
	out[43] ^= 1;
	CHECK(!netstack_udp_receive(&peer, out, len, &d));
	len = build_echo_request(in, "abcd", 4);
	CHECK(!netstack_udp_receive(&ifc, in, len, &d));       /* ICMP */
}

static void parse_ipv4_addresses(void)
{
	static const struct { const char *text; uint8_t ip[4]; } good[] = {
		{ "10.0.2.15", { 10, 0, 2, 15 } }, { "0.0.0.0", { 0, 0, 0, 0 } },
		{ "255.255.255.255", { 255, 255, 255, 255 } }, { "192.168.100.9", { 192, 168, 100, 9 } },
	};
	static const char *const bad[] = {
		"", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "01.2.3.4", "1.2.3.04",
		"1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "1.2.3.-4",
		"1.2.3.4/24", "1000.1.1.1", "0x1.2.3.4", "1.2.3.0004",
	};
	uint8_t ip[4];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(ip, 0xaa, 4);
		CHECK(netstack_parse_ipv4(good[i].text, ip));
		CHECK(memcmp(ip, good[i].ip, 4) == 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(ip, 0xaa, 4);
		CHECK(!netstack_parse_ipv4(bad[i], ip));
		CHECK(memcmp(ip, "\xaa\xaa\xaa\xaa", 4) == 0);
	}
}

static void drop_names(void)
{
	CHECK_STR(netstack_drop_name(NETSTACK_DROP_TRUNCATED), "truncated");
	CHECK_STR(netstack_drop_name(NETSTACK_DROP_MALFORMED), "malformed");
	CHECK_STR(netstack_drop_name(NETSTACK_DROP_CHECKSUM), "checksum");
	CHECK_STR(netstack_drop_name(NETSTACK_DROP_FRAGMENT), "fragment");
	CHECK_STR(netstack_drop_name(NETSTACK_DROP_NOT_FOR_US), "not-for-us");
	CHECK_STR(netstack_drop_name(NETSTACK_DROP_UNSUPPORTED), "unsupported");
	CHECK_STR(netstack_drop_name(NETSTACK_DROP_NO_ROOM), "no-room");
	CHECK_STR(netstack_drop_name(NETSTACK_DROP_REASONS), "unknown");
}

/* ---- fuzzing ------------------------------------------------------------- */

/* Runs one frame from an exactly sized heap copy into an exactly sized
 * output, and checks what any reply must satisfy. */
static void respond_exact(const uint8_t *frame, size_t len, size_t out_cap)
{
	uint8_t *heap_in = malloc(len ? len : 1), *heap_out = malloc(out_cap ? out_cap : 1);
	uint64_t replies = ifc.arp_replies + ifc.icmp_replies + ifc.udp_replies;
	uint64_t dropped = ifc.dropped;
	size_t n;

	if (!heap_in || !heap_out)
		abort();
	memcpy(heap_in, frame, len);
	n = netstack_respond(&ifc, heap_in, len, heap_out, out_cap);
	CHECK(n <= out_cap && n <= len);
	if (n) {
		CHECK_EQ(ifc.arp_replies + ifc.icmp_replies + ifc.udp_replies, replies + 1);
		CHECK(reply_checksums_ok(heap_out, n));
		CHECK(memcmp(heap_out + 6, our_mac, 6) == 0);
	} else {
		CHECK_EQ(ifc.dropped, dropped + 1);
	}
	free(heap_in);
	free(heap_out);
}

/* A plausible frame to mutate: each kind of request. */
static size_t seed_frame(uint8_t *f, unsigned kind)
{
	struct ip_spec s = request_spec(IPPROTO_ICMP);

	switch (kind % 4) {
	case 0:
		return build_arp_request(f);
	case 1:
		return build_echo_request(f, "0123456789abcdef", 1 + check_rng() % 16);
	case 2:
		s.options_len = 4 * (1 + check_rng() % 10);
		return build_icmp(f, &s, ICMP_ECHO, 0, "opts", 4);
	default:
		return build_udp_request(f, 1000, 7, "0123456789", check_rng() % 11);
	}
}

static void fuzz_mutated_frames(void)
{
	static uint8_t frame[256];

	reset_if();
	check_rng_state = 0x1234567887654321ull;
	for (int iter = 0; iter < 200000; iter++) {
		size_t len = seed_frame(frame, (unsigned)iter);
		unsigned flips = 1 + (unsigned)(check_rng() % 4);

		for (unsigned i = 0; i < flips; i++)
			frame[check_rng() % len] ^= (uint8_t)(1u << (check_rng() % 8));
		if (check_rng() % 2 && len >= 34 && frame[12] == 0x08 && frame[13] == 0x00 &&
		    (frame[14] & 0xf) >= 5 && 14 + (size_t)(frame[14] & 0xf) * 4 <= len) {
			/* reach the checks behind the checksums */
			fix_icmp_csum(frame, len);
			fix_ip_csum(frame);
		}
		if (check_rng() % 4 == 0)
			len = check_rng() % (len + 1);
		respond_exact(frame, len, (size_t)(check_rng() % (len + 8)));
	}
	CHECK_EQ(ifc.dropped, drop_sum(&ifc));
	CHECK(ifc.arp_replies > 0 && ifc.icmp_replies > 0 && ifc.udp_replies > 0);
	for (int r = 0; r < NETSTACK_DROP_REASONS; r++)
		CHECK(ifc.drops[r] > 0);     /* every path was reached */
}

static void fuzz_random_frames(void)
{
	static uint8_t frame[2048];

	reset_if();
	check_rng_state = 0xfeedfacecafebeefull;
	for (int iter = 0; iter < 100000; iter++) {
		size_t len = (size_t)(check_rng() % sizeof(frame));

		for (size_t i = 0; i < len; i++)
			frame[i] = (uint8_t)check_rng();
		if (len >= 34 && check_rng() % 2) {   /* steer toward our addresses */
			memcpy(frame, our_mac, 6);
			frame[12] = 0x08;
			frame[13] = check_rng() % 2 ? 0x00 : 0x06;
			frame[14] = (uint8_t)(0x40 | (frame[14] & 0xf));
			memcpy(frame + 30, our_ip, 4);
		}
		respond_exact(frame, len, (size_t)(check_rng() % (len + 1)));
	}
	CHECK_EQ(ifc.dropped, drop_sum(&ifc));
}

int main(void)
{
	RUN(checksum_known_vectors);
	RUN(arp_request_gets_reply);
	RUN(arp_probe_gets_reply);
	RUN(arp_drops);
	RUN(arp_truncations);
	RUN(arp_request_and_resolution);
	RUN(icmp_echo_reply_exact);
	RUN(icmp_odd_and_empty_payloads);
	RUN(icmp_with_ip_options);
	RUN(icmp_padded_frame);
	RUN(icmp_largest_echo);
	RUN(icmp_drops);
	RUN(ipv4_drops);
	RUN(ipv4_truncations);
	RUN(udp_echo_reply_exact);
	RUN(udp_without_checksum_is_accepted);
	RUN(udp_zero_checksum_sent_as_ffff);
	RUN(udp_echo_port_choice);
	RUN(udp_length_field);
	RUN(udp_drops);
	RUN(build_udp_frames);
	RUN(udp_receive_of_built_frames);
	RUN(parse_ipv4_addresses);
	RUN(drop_names);
	RUN(fuzz_mutated_frames);
	RUN(fuzz_random_frames);
	CHECK_EXIT();
}

/* pv/netstack.h: a tiny IPv4 responder and frame builder for pvisor guests.
 *
 * Pure functions over Ethernet frames (without the virtio-net header):
 * netstack_respond() takes an incoming frame and writes the reply, if any:
 *
 *   ARP request for our address      -> ARP reply
 *   ICMP echo request to our address -> echo reply
 *   UDP to our address, echo port    -> the same payload back to the sender
 *
 * Everything else is dropped and counted by reason. Nothing is ever read
 * past in_len or written past out_cap, whatever the frame says. Replies
 * are not padded to Ethernet's 60-byte minimum (virtual links do not need
 * it) and carry no IP options (options of a request are skipped).
 * Also builds frames (UDP datagrams, ARP requests) for tests and
 * benchmarks, and parses dotted-quad addresses.
 *
 * Needs only memcpy, memset and memcmp, so the same sources (guest/netstack)
 * go into the guest kernel library and into a host unit test. Addresses are
 * kept as bytes in network order; ports are host integers. */
#ifndef PV_NETSTACK_H
#define PV_NETSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETSTACK_ETH_ALEN        6
#define NETSTACK_ETH_HLEN        14
#define NETSTACK_ETHERTYPE_IPV4  0x0800
#define NETSTACK_ETHERTYPE_ARP   0x0806
#define NETSTACK_IPV4_HLEN       20      /* without options              */
#define NETSTACK_IPV4_MAX_LEN    65535   /* largest IPv4 datagram        */
#define NETSTACK_PROTO_ICMP      1
#define NETSTACK_PROTO_UDP       17
#define NETSTACK_ICMP_HLEN       8
#define NETSTACK_UDP_HLEN        8
#define NETSTACK_ARP_LEN         28      /* Ethernet/IPv4 ARP packet     */
#define NETSTACK_UDP_MAX_PAYLOAD (NETSTACK_IPV4_MAX_LEN - NETSTACK_IPV4_HLEN - NETSTACK_UDP_HLEN)
/* Ethernet + IPv4 header of every frame this library builds. */
#define NETSTACK_IPV4_FRAME_HLEN (NETSTACK_ETH_HLEN + NETSTACK_IPV4_HLEN)

#define NETSTACK_UDP_ECHO_PORT   7       /* RFC 862                      */
#define NETSTACK_ANY_PORT        0       /* udp_echo_port: echo on all   */

/* Why a frame got no reply. */
enum netstack_drop {
	NETSTACK_DROP_TRUNCATED,    /* shorter than its headers or length fields */
	NETSTACK_DROP_MALFORMED,    /* a field we refuse: version, header or    */
				    /* UDP length, ICMP code, a multicast,       */
				    /* zero, loopback or own source address      */
	NETSTACK_DROP_CHECKSUM,     /* IPv4 header, ICMP or UDP checksum wrong   */
	NETSTACK_DROP_FRAGMENT,     /* an IPv4 fragment                         */
	NETSTACK_DROP_NOT_FOR_US,   /* other MAC, IP address or UDP port         */
	NETSTACK_DROP_UNSUPPORTED,  /* other ethertype, IP protocol, ARP or ICMP */
				    /* operation                                 */
	NETSTACK_DROP_NO_ROOM,      /* the reply does not fit in out_cap         */
	NETSTACK_DROP_REASONS
};

/* One network interface of the guest, and what it answered. */
struct netstack_if {
	uint8_t mac[NETSTACK_ETH_ALEN];
	uint8_t ip[4];
	uint16_t udp_echo_port;     /* NETSTACK_ANY_PORT: echo on every port     */
	uint64_t arp_replies;
	uint64_t icmp_replies;
	uint64_t udp_replies;
	uint64_t dropped;           /* the sum of drops[]                        */
	uint64_t drops[NETSTACK_DROP_REASONS];
};

/* The other end of a frame we build. */
struct netstack_peer {
	uint8_t mac[NETSTACK_ETH_ALEN];
	uint8_t ip[4];
};

/* A received UDP datagram, validated (checksum too, unless it is 0). */
struct netstack_udp {
	struct netstack_peer from;
	uint16_t src_port;
	uint16_t dst_port;
	const uint8_t *payload;
	size_t len;
};

/* Zeroes the counters, sets the addresses and the echo port 7. */
void netstack_if_init(struct netstack_if *ifc, const uint8_t mac[NETSTACK_ETH_ALEN],
		      const uint8_t ip[4]);

/* Writes the reply to the frame [in, in + in_len) into out and returns its
 * length, or returns 0 (and counts the reason) when there is none. out must
 * not overlap in. A reply is never longer than its request, so
 * out_cap >= in_len is always enough. */
size_t netstack_respond(struct netstack_if *ifc, const uint8_t *in, size_t in_len, uint8_t *out,
			size_t out_cap);

/* A short name for a drop reason ("truncated", "checksum", ...). */
const char *netstack_drop_name(enum netstack_drop why);

/* Builds a UDP datagram from ifc (port src_port) to `to` (port dst_port)
 * with len bytes of payload and a UDP checksum. Returns the frame length
 * (NETSTACK_IPV4_FRAME_HLEN + NETSTACK_UDP_HLEN + len), or 0 if it does
 * not fit in out_cap or len exceeds NETSTACK_UDP_MAX_PAYLOAD. */
size_t netstack_build_udp(const struct netstack_if *ifc, const struct netstack_peer *to,
			  uint16_t src_port, uint16_t dst_port, const void *payload, size_t len,
			  uint8_t *out, size_t out_cap);

/* True if the frame is a valid UDP datagram to ifc's MAC and IP (any
 * port); dgram then describes it (its payload points into in). */
bool netstack_udp_receive(const struct netstack_if *ifc, const uint8_t *in, size_t in_len,
			  struct netstack_udp *dgram);

/* Builds a broadcast ARP request asking for target_ip's MAC. Returns the
 * frame length (42), or 0 if out_cap is smaller. */
size_t netstack_build_arp_request(const struct netstack_if *ifc, const uint8_t target_ip[4],
				  uint8_t *out, size_t out_cap);

/* True if the frame is an ARP reply to ifc saying that ip is at a unicast
 * MAC; the MAC is then written to mac. */
bool netstack_arp_resolved(const struct netstack_if *ifc, const uint8_t *in, size_t in_len,
			   const uint8_t ip[4], uint8_t mac[NETSTACK_ETH_ALEN]);

/* Parses "a.b.c.d" (decimal, 0..255, no leading zeros, nothing else).
 * Returns true and writes ip, or false and leaves ip alone. */
bool netstack_parse_ipv4(const char *text, uint8_t ip[4]);

/* ---- Building blocks, shared by the files of guest/netstack ---------- */

/* A received IPv4 datagram, validated: addressed to ifc's MAC and IP, not
 * a fragment, header checksum right, lengths consistent. payload points
 * into the frame (past any options) and payload_len comes from the IPv4
 * total length, so Ethernet padding is excluded. */
struct netstack_ipv4 {
	struct netstack_peer from;
	uint8_t protocol;
	const uint8_t *payload;
	size_t payload_len;
};

static inline uint16_t netstack_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void netstack_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Internet checksum (RFC 1071): netstack_sum adds len bytes as big-endian
 * 16-bit words (an odd last byte padded with zero) to sum and returns the
 * folded 16-bit sum; netstack_checksum_finish complements it. Data whose
 * checksum field is right sums to 0xffff. */
uint32_t netstack_sum(const uint8_t *data, size_t len, uint32_t sum);
uint16_t netstack_checksum_finish(uint32_t sum);
/* The sum of the IPv4 pseudo-header of a UDP datagram (RFC 768). */
uint32_t netstack_pseudo_header_sum(const uint8_t src[4], const uint8_t dst[4], uint8_t protocol,
				    uint16_t len);

/* Neither multicast (or broadcast) nor all zeros. */
bool netstack_mac_is_unicast(const uint8_t mac[NETSTACK_ETH_ALEN]);
void netstack_eth_write(uint8_t *frame, const uint8_t dst[NETSTACK_ETH_ALEN],
			const uint8_t src[NETSTACK_ETH_ALEN], uint16_t ethertype);

/* Validates an IPv4 frame addressed to ifc. Returns true and fills pkt,
 * or false and sets *why. */
bool netstack_ipv4_receive(const struct netstack_if *ifc, const uint8_t *frame, size_t len,
			   struct netstack_ipv4 *pkt, enum netstack_drop *why);
/* Writes the Ethernet and IPv4 headers (NETSTACK_IPV4_FRAME_HLEN bytes)
 * of a datagram from ifc to `to` whose payload_len bytes follow; the
 * caller has checked that it fits and payload_len + 20 <= 65535. */
void netstack_ipv4_write(const struct netstack_if *ifc, const struct netstack_peer *to,
			 uint8_t protocol, size_t payload_len, uint8_t *frame);

/* The reply to an ICMP message in pkt (an echo reply to an echo request),
 * or 0 with *why set. */
size_t netstack_icmp_reply(const struct netstack_if *ifc, const struct netstack_ipv4 *pkt,
			   uint8_t *out, size_t out_cap, enum netstack_drop *why);

/* Validates the UDP datagram in pkt, received by ifc. */
bool netstack_udp_parse(const struct netstack_if *ifc, const struct netstack_ipv4 *pkt,
			struct netstack_udp *dgram, enum netstack_drop *why);
/* The UDP echo of the datagram in pkt, or 0 with *why set. */
size_t netstack_udp_reply(const struct netstack_if *ifc, const struct netstack_ipv4 *pkt,
			  uint8_t *out, size_t out_cap, enum netstack_drop *why);

/* The ARP reply to the ARP frame [in, in + in_len), or 0 with *why set. */
size_t netstack_arp_reply(const struct netstack_if *ifc, const uint8_t *in, size_t in_len,
			  uint8_t *out, size_t out_cap, enum netstack_drop *why);

#endif

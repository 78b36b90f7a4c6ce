/* udp.c: receiving and building UDP datagrams, and the UDP echo service
 * (RFC 862). */
#include <string.h>

#include <pv/netstack.h>

#define UDP_SRC_PORT  0
#define UDP_DST_PORT  2
#define UDP_LENGTH    4
#define UDP_CHECKSUM  6

static bool reject(enum netstack_drop *why, enum netstack_drop reason)
{
	*why = reason;
	return false;
}

/* A checksum of 0 means "none" in IPv4 (RFC 768); else the pseudo-header
 * and the datagram must sum to 0xffff. */
static bool checksum_ok(const uint8_t *udp, size_t len, const uint8_t src[4], const uint8_t dst[4])
{
	if (netstack_get16(udp + UDP_CHECKSUM) == 0)
		return true;
	return netstack_sum(udp, len,
			    netstack_pseudo_header_sum(src, dst, NETSTACK_PROTO_UDP, (uint16_t)len)) ==
	       0xffff;
}

bool netstack_udp_parse(const struct netstack_if *ifc, const struct netstack_ipv4 *pkt,
			struct netstack_udp *dgram, enum netstack_drop *why)
{
	const uint8_t *udp = pkt->payload;
	size_t len;

	if (pkt->protocol != NETSTACK_PROTO_UDP)
		return reject(why, NETSTACK_DROP_UNSUPPORTED);
	if (pkt->payload_len < NETSTACK_UDP_HLEN)
		return reject(why, NETSTACK_DROP_TRUNCATED);
	len = netstack_get16(udp + UDP_LENGTH);
	if (len < NETSTACK_UDP_HLEN)
		return reject(why, NETSTACK_DROP_MALFORMED);
	if (len > pkt->payload_len)
		return reject(why, NETSTACK_DROP_TRUNCATED);
	if (!checksum_ok(udp, len, pkt->from.ip, ifc->ip))
		return reject(why, NETSTACK_DROP_CHECKSUM);
	dgram->from = pkt->from;
	dgram->src_port = netstack_get16(udp + UDP_SRC_PORT);
	dgram->dst_port = netstack_get16(udp + UDP_DST_PORT);
	dgram->payload = udp + NETSTACK_UDP_HLEN;
	dgram->len = len - NETSTACK_UDP_HLEN;
	return true;
}

bool netstack_udp_receive(const struct netstack_if *ifc, const uint8_t *in, size_t in_len,
			  struct netstack_udp *dgram)
{
	struct netstack_ipv4 pkt;
	enum netstack_drop why;

	return netstack_ipv4_receive(ifc, in, in_len, &pkt, &why) &&
	       netstack_udp_parse(ifc, &pkt, dgram, &why);
}

size_t netstack_build_udp(const struct netstack_if *ifc, const struct netstack_peer *to,
			  uint16_t src_port, uint16_t dst_port, const void *payload, size_t len,
			  uint8_t *out, size_t out_cap)
{
	size_t udp_len = NETSTACK_UDP_HLEN + len;
	uint8_t *udp;
	uint16_t checksum;

	if (len > NETSTACK_UDP_MAX_PAYLOAD || out_cap < NETSTACK_IPV4_FRAME_HLEN + udp_len)
		return 0;
	udp = out + NETSTACK_IPV4_FRAME_HLEN;
	netstack_ipv4_write(ifc, to, NETSTACK_PROTO_UDP, udp_len, out);
	netstack_put16(udp + UDP_SRC_PORT, src_port);
	netstack_put16(udp + UDP_DST_PORT, dst_port);
	netstack_put16(udp + UDP_LENGTH, (uint16_t)udp_len);
	netstack_put16(udp + UDP_CHECKSUM, 0);
	if (len)
		memcpy(udp + NETSTACK_UDP_HLEN, payload, len);
	checksum = netstack_checksum_finish(netstack_sum(
		udp, udp_len,
		netstack_pseudo_header_sum(ifc->ip, to->ip, NETSTACK_PROTO_UDP, (uint16_t)udp_len)));
	/* 0 would mean "no checksum": send its other form (RFC 768). */
	netstack_put16(udp + UDP_CHECKSUM, checksum ? checksum : 0xffff);
	return NETSTACK_IPV4_FRAME_HLEN + udp_len;
}

size_t netstack_udp_reply(const struct netstack_if *ifc, const struct netstack_ipv4 *pkt,
			  uint8_t *out, size_t out_cap, enum netstack_drop *why)
{
	struct netstack_udp dgram;
	size_t len;

	if (!netstack_udp_parse(ifc, pkt, &dgram, why))
		return 0;
	if (ifc->udp_echo_port != NETSTACK_ANY_PORT && dgram.dst_port != ifc->udp_echo_port) {
		*why = NETSTACK_DROP_NOT_FOR_US;
		return 0;
	}
	if (dgram.src_port == 0) {  /* "no reply expected" */
		*why = NETSTACK_DROP_MALFORMED;
		return 0;
	}
	len = netstack_build_udp(ifc, &dgram.from, dgram.dst_port, dgram.src_port, dgram.payload,
				 dgram.len, out, out_cap);
	if (!len)
		*why = NETSTACK_DROP_NO_ROOM;
	return len;
}

/* icmp.c: answering ICMP echo requests (ping) with echo replies. */
#include <string.h>

#include <pv/netstack.h>

#define ICMP_TYPE           0
#define ICMP_CODE           1
#define ICMP_CHECKSUM       2
#define ICMP_ECHO_REPLY     0
#define ICMP_ECHO_REQUEST   8

static size_t drop(enum netstack_drop *why, enum netstack_drop reason)
{
	*why = reason;
	return 0;
}

size_t netstack_icmp_reply(const struct netstack_if *ifc, const struct netstack_ipv4 *pkt,
			   uint8_t *out, size_t out_cap, enum netstack_drop *why)
{
	const uint8_t *request = pkt->payload;
	size_t len = pkt->payload_len, frame_len = NETSTACK_IPV4_FRAME_HLEN + len;
	uint8_t *reply;

	if (pkt->protocol != NETSTACK_PROTO_ICMP)
		return drop(why, NETSTACK_DROP_UNSUPPORTED);
	if (len < NETSTACK_ICMP_HLEN)
		return drop(why, NETSTACK_DROP_TRUNCATED);
	if (netstack_sum(request, len, 0) != 0xffff)
		return drop(why, NETSTACK_DROP_CHECKSUM);
	if (request[ICMP_TYPE] != ICMP_ECHO_REQUEST)
		return drop(why, NETSTACK_DROP_UNSUPPORTED);
	if (request[ICMP_CODE] != 0)
		return drop(why, NETSTACK_DROP_MALFORMED);
	if (out_cap < frame_len)
		return drop(why, NETSTACK_DROP_NO_ROOM);
	netstack_ipv4_write(ifc, &pkt->from, NETSTACK_PROTO_ICMP, len, out);
	reply = out + NETSTACK_IPV4_FRAME_HLEN;
	memcpy(reply, request, len);  /* identifier, sequence number, data */
	reply[ICMP_TYPE] = ICMP_ECHO_REPLY;
	netstack_put16(reply + ICMP_CHECKSUM, 0);
	netstack_put16(reply + ICMP_CHECKSUM, netstack_checksum_finish(netstack_sum(reply, len, 0)));
	return frame_len;
}

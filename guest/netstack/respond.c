/* respond.c: netstack_respond(), the responder's entry point: dispatches
 * a frame to ARP, ICMP or UDP echo and counts replies and drops. */
#include <string.h>

#include <pv/netstack.h>

#define ETHERTYPE_OFFSET    (2 * NETSTACK_ETH_ALEN)
#define IP_PROTOCOL_OFFSET  (NETSTACK_ETH_HLEN + 9)

static const char *const drop_names[NETSTACK_DROP_REASONS] = {
	[NETSTACK_DROP_TRUNCATED] = "truncated",
	[NETSTACK_DROP_MALFORMED] = "malformed",
	[NETSTACK_DROP_CHECKSUM] = "checksum",
	[NETSTACK_DROP_FRAGMENT] = "fragment",
	[NETSTACK_DROP_NOT_FOR_US] = "not-for-us",
	[NETSTACK_DROP_UNSUPPORTED] = "unsupported",
	[NETSTACK_DROP_NO_ROOM] = "no-room",
};

void netstack_if_init(struct netstack_if *ifc, const uint8_t mac[NETSTACK_ETH_ALEN],
		      const uint8_t ip[4])
{
	memset(ifc, 0, sizeof(*ifc));
	memcpy(ifc->mac, mac, NETSTACK_ETH_ALEN);
	memcpy(ifc->ip, ip, 4);
	ifc->udp_echo_port = NETSTACK_UDP_ECHO_PORT;
}

const char *netstack_drop_name(enum netstack_drop why)
{
	if ((unsigned)why >= NETSTACK_DROP_REASONS)
		return "unknown";
	return drop_names[why];
}

static size_t reply_to_ipv4(const struct netstack_if *ifc, const uint8_t *in, size_t in_len,
			    uint8_t *out, size_t out_cap, enum netstack_drop *why)
{
	struct netstack_ipv4 pkt;

	if (!netstack_ipv4_receive(ifc, in, in_len, &pkt, why))
		return 0;
	switch (pkt.protocol) {
	case NETSTACK_PROTO_ICMP:
		return netstack_icmp_reply(ifc, &pkt, out, out_cap, why);
	case NETSTACK_PROTO_UDP:
		return netstack_udp_reply(ifc, &pkt, out, out_cap, why);
	default:
		*why = NETSTACK_DROP_UNSUPPORTED;
		return 0;
	}
}

static void count_reply(struct netstack_if *ifc, const uint8_t *reply)
{
	if (netstack_get16(reply + ETHERTYPE_OFFSET) == NETSTACK_ETHERTYPE_ARP)
		ifc->arp_replies++;
	else if (reply[IP_PROTOCOL_OFFSET] == NETSTACK_PROTO_ICMP)
		ifc->icmp_replies++;
	else
		ifc->udp_replies++;
}

size_t netstack_respond(struct netstack_if *ifc, const uint8_t *in, size_t in_len, uint8_t *out,
			size_t out_cap)
{
	enum netstack_drop why = NETSTACK_DROP_TRUNCATED;
	size_t len = 0;

	if (in_len >= NETSTACK_ETH_HLEN) {
		switch (netstack_get16(in + ETHERTYPE_OFFSET)) {
		case NETSTACK_ETHERTYPE_ARP:
			len = netstack_arp_reply(ifc, in, in_len, out, out_cap, &why);
			break;
		case NETSTACK_ETHERTYPE_IPV4:
			len = reply_to_ipv4(ifc, in, in_len, out, out_cap, &why);
			break;
		default:
			why = NETSTACK_DROP_UNSUPPORTED;
		}
	}
	if (len) {
		count_reply(ifc, out);
	} else {
		ifc->dropped++;
		ifc->drops[why]++;
	}
	return len;
}

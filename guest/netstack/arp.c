/* arp.c: answering ARP requests for our address (RFC 826), and asking
 * for and learning other hosts' MAC addresses. */
#include <string.h>

#include <pv/netstack.h>

/* Offsets in an Ethernet/IPv4 ARP packet. */
#define ARP_HTYPE   0
#define ARP_PTYPE   2
#define ARP_HLEN    4
#define ARP_PLEN    5
#define ARP_OPER    6
#define ARP_SHA     8
#define ARP_SPA     14
#define ARP_THA     18
#define ARP_TPA     24

#define ARP_HTYPE_ETHERNET  1
#define ARP_REQUEST         1
#define ARP_REPLY           2
#define ARP_FRAME_LEN       (NETSTACK_ETH_HLEN + NETSTACK_ARP_LEN)
#define ETHERTYPE_OFFSET    (2 * NETSTACK_ETH_ALEN)

static const uint8_t broadcast_mac[NETSTACK_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[NETSTACK_ETH_ALEN];

static bool reject(enum netstack_drop *why, enum netstack_drop reason)
{
	*why = reason;
	return false;
}

static size_t drop(enum netstack_drop *why, enum netstack_drop reason)
{
	*why = reason;
	return 0;
}

/* A whole Ethernet/IPv4 ARP packet, sent to our MAC or to everyone. */
static bool arp_valid(const struct netstack_if *ifc, const uint8_t *in, size_t len,
		      enum netstack_drop *why)
{
	const uint8_t *arp;

	if (len < NETSTACK_ETH_HLEN)
		return reject(why, NETSTACK_DROP_TRUNCATED);
	if (netstack_get16(in + ETHERTYPE_OFFSET) != NETSTACK_ETHERTYPE_ARP)
		return reject(why, NETSTACK_DROP_UNSUPPORTED);
	if (memcmp(in, ifc->mac, NETSTACK_ETH_ALEN) != 0 &&
	    memcmp(in, broadcast_mac, NETSTACK_ETH_ALEN) != 0)
		return reject(why, NETSTACK_DROP_NOT_FOR_US);
	if (len < ARP_FRAME_LEN)
		return reject(why, NETSTACK_DROP_TRUNCATED);
	arp = in + NETSTACK_ETH_HLEN;
	if (netstack_get16(arp + ARP_HTYPE) != ARP_HTYPE_ETHERNET ||
	    netstack_get16(arp + ARP_PTYPE) != NETSTACK_ETHERTYPE_IPV4 ||
	    arp[ARP_HLEN] != NETSTACK_ETH_ALEN || arp[ARP_PLEN] != 4)
		return reject(why, NETSTACK_DROP_UNSUPPORTED);
	return true;
}

/* The sender must be a unicast MAC that is not ours, claiming an address
 * that is not ours. */
static bool sender_valid(const struct netstack_if *ifc, const uint8_t *arp)
{
	return netstack_mac_is_unicast(arp + ARP_SHA) &&
	       memcmp(arp + ARP_SHA, ifc->mac, NETSTACK_ETH_ALEN) != 0 &&
	       memcmp(arp + ARP_SPA, ifc->ip, 4) != 0;
}

static void arp_write(const struct netstack_if *ifc, uint16_t oper,
		      const uint8_t eth_dst[NETSTACK_ETH_ALEN], const uint8_t tha[NETSTACK_ETH_ALEN],
		      const uint8_t tpa[4], uint8_t *out)
{
	uint8_t *arp = out + NETSTACK_ETH_HLEN;

	netstack_eth_write(out, eth_dst, ifc->mac, NETSTACK_ETHERTYPE_ARP);
	netstack_put16(arp + ARP_HTYPE, ARP_HTYPE_ETHERNET);
	netstack_put16(arp + ARP_PTYPE, NETSTACK_ETHERTYPE_IPV4);
	arp[ARP_HLEN] = NETSTACK_ETH_ALEN;
	arp[ARP_PLEN] = 4;
	netstack_put16(arp + ARP_OPER, oper);
	memcpy(arp + ARP_SHA, ifc->mac, NETSTACK_ETH_ALEN);
	memcpy(arp + ARP_SPA, ifc->ip, 4);
	memcpy(arp + ARP_THA, tha, NETSTACK_ETH_ALEN);
	memcpy(arp + ARP_TPA, tpa, 4);
}

size_t netstack_arp_reply(const struct netstack_if *ifc, const uint8_t *in, size_t in_len,
			  uint8_t *out, size_t out_cap, enum netstack_drop *why)
{
	const uint8_t *arp;

	if (!arp_valid(ifc, in, in_len, why))
		return 0;
	arp = in + NETSTACK_ETH_HLEN;
	if (netstack_get16(arp + ARP_OPER) != ARP_REQUEST)
		return drop(why, NETSTACK_DROP_UNSUPPORTED);
	if (memcmp(arp + ARP_TPA, ifc->ip, 4) != 0)
		return drop(why, NETSTACK_DROP_NOT_FOR_US);
	if (!sender_valid(ifc, arp))
		return drop(why, NETSTACK_DROP_MALFORMED);
	if (out_cap < ARP_FRAME_LEN)
		return drop(why, NETSTACK_DROP_NO_ROOM);
	arp_write(ifc, ARP_REPLY, arp + ARP_SHA, arp + ARP_SHA, arp + ARP_SPA, out);
	return ARP_FRAME_LEN;
}

size_t netstack_build_arp_request(const struct netstack_if *ifc, const uint8_t target_ip[4],
				  uint8_t *out, size_t out_cap)
{
	if (out_cap < ARP_FRAME_LEN)
		return 0;
	arp_write(ifc, ARP_REQUEST, broadcast_mac, zero_mac, target_ip, out);
	return ARP_FRAME_LEN;
}

bool netstack_arp_resolved(const struct netstack_if *ifc, const uint8_t *in, size_t in_len,
			   const uint8_t ip[4], uint8_t mac[NETSTACK_ETH_ALEN])
{
	const uint8_t *arp;
	enum netstack_drop why;

	if (!arp_valid(ifc, in, in_len, &why))
		return false;
	arp = in + NETSTACK_ETH_HLEN;
	if (netstack_get16(arp + ARP_OPER) != ARP_REPLY || memcmp(arp + ARP_SPA, ip, 4) != 0 ||
	    !sender_valid(ifc, arp))
		return false;
	memcpy(mac, arp + ARP_SHA, NETSTACK_ETH_ALEN);
	return true;
}

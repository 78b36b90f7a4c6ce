/* ipv4.c: accepting IPv4 datagrams addressed to us, and writing the
 * Ethernet and IPv4 headers of the datagrams we send. */
#include <string.h>

#include <pv/netstack.h>

/* Offsets in the IPv4 header. */
#define IP_VERSION_IHL  0
#define IP_TOTAL_LEN    2
#define IP_FRAGMENT     6
#define IP_TTL          8
#define IP_PROTOCOL     9
#define IP_CHECKSUM     10
#define IP_SRC          12
#define IP_DST          16

#define IP_FLAG_RESERVED  0x8000
#define IP_FLAG_DF        0x4000
#define IP_FLAG_MF        0x2000
#define IP_OFFSET_MASK    0x1fff
#define IP_DEFAULT_TTL    64

#define ETHERTYPE_OFFSET  (2 * NETSTACK_ETH_ALEN)

static bool reject(enum netstack_drop *why, enum netstack_drop reason)
{
	*why = reason;
	return false;
}

/* Sources nothing may be sent back to (RFC 1122 3.2.1.3): "this network"
 * (0/8), loopback (127/8), multicast, reserved and broadcast (224 and up),
 * and our own address. */
static bool source_is_bad(const struct netstack_if *ifc, const uint8_t src[4])
{
	return src[0] == 0 || src[0] == 127 || src[0] >= 224 || memcmp(src, ifc->ip, 4) == 0;
}

/* The Ethernet part: an IPv4 frame to our MAC from a unicast one. */
static bool accept_ethernet(const struct netstack_if *ifc, const uint8_t *frame, size_t len,
			    enum netstack_drop *why)
{
	if (len < NETSTACK_ETH_HLEN)
		return reject(why, NETSTACK_DROP_TRUNCATED);
	if (netstack_get16(frame + ETHERTYPE_OFFSET) != NETSTACK_ETHERTYPE_IPV4)
		return reject(why, NETSTACK_DROP_UNSUPPORTED);
	if (memcmp(frame, ifc->mac, NETSTACK_ETH_ALEN) != 0)
		return reject(why, NETSTACK_DROP_NOT_FOR_US);
	if (!netstack_mac_is_unicast(frame + NETSTACK_ETH_ALEN))
		return reject(why, NETSTACK_DROP_MALFORMED);
	return true;
}

/* The IPv4 header of ip_len available bytes: lengths, checksum, no
 * fragment, to us from a valid source. Sets *header_len, *total_len. */
static bool accept_header(const struct netstack_if *ifc, const uint8_t *ip, size_t ip_len,
			  size_t *header_len, size_t *total_len, enum netstack_drop *why)
{
	uint16_t fragment;

	if (ip_len < NETSTACK_IPV4_HLEN)
		return reject(why, NETSTACK_DROP_TRUNCATED);
	if (ip[IP_VERSION_IHL] >> 4 != 4 || (ip[IP_VERSION_IHL] & 0xf) < 5)
		return reject(why, NETSTACK_DROP_MALFORMED);
	*header_len = (size_t)(ip[IP_VERSION_IHL] & 0xf) * 4;
	if (ip_len < *header_len)
		return reject(why, NETSTACK_DROP_TRUNCATED);
	if (netstack_sum(ip, *header_len, 0) != 0xffff)
		return reject(why, NETSTACK_DROP_CHECKSUM);
	*total_len = netstack_get16(ip + IP_TOTAL_LEN);
	if (*total_len < *header_len)
		return reject(why, NETSTACK_DROP_MALFORMED);
	if (ip_len < *total_len)
		return reject(why, NETSTACK_DROP_TRUNCATED);
	fragment = netstack_get16(ip + IP_FRAGMENT);
	if (fragment & IP_FLAG_RESERVED)
		return reject(why, NETSTACK_DROP_MALFORMED);
	if (fragment & (IP_FLAG_MF | IP_OFFSET_MASK))
		return reject(why, NETSTACK_DROP_FRAGMENT);
	if (memcmp(ip + IP_DST, ifc->ip, 4) != 0)
		return reject(why, NETSTACK_DROP_NOT_FOR_US);
	if (source_is_bad(ifc, ip + IP_SRC))
		return reject(why, NETSTACK_DROP_MALFORMED);
	return true;
}

bool netstack_ipv4_receive(const struct netstack_if *ifc, const uint8_t *frame, size_t len,
			   struct netstack_ipv4 *pkt, enum netstack_drop *why)
{
	const uint8_t *ip;
	size_t header_len, total_len;

	if (!accept_ethernet(ifc, frame, len, why))
		return false;
	ip = frame + NETSTACK_ETH_HLEN;
	if (!accept_header(ifc, ip, len - NETSTACK_ETH_HLEN, &header_len, &total_len, why))
		return false;
	memcpy(pkt->from.mac, frame + NETSTACK_ETH_ALEN, NETSTACK_ETH_ALEN);
	memcpy(pkt->from.ip, ip + IP_SRC, 4);
	pkt->protocol = ip[IP_PROTOCOL];
	pkt->payload = ip + header_len;
	pkt->payload_len = total_len - header_len;
	return true;
}

void netstack_ipv4_write(const struct netstack_if *ifc, const struct netstack_peer *to,
			 uint8_t protocol, size_t payload_len, uint8_t *frame)
{
	uint8_t *ip = frame + NETSTACK_ETH_HLEN;

	netstack_eth_write(frame, to->mac, ifc->mac, NETSTACK_ETHERTYPE_IPV4);
	memset(ip, 0, NETSTACK_IPV4_HLEN);
	ip[IP_VERSION_IHL] = 0x45;
	netstack_put16(ip + IP_TOTAL_LEN, (uint16_t)(NETSTACK_IPV4_HLEN + payload_len));
	netstack_put16(ip + IP_FRAGMENT, IP_FLAG_DF);  /* atomic: id 0 (RFC 6864) */
	ip[IP_TTL] = IP_DEFAULT_TTL;
	ip[IP_PROTOCOL] = protocol;
	memcpy(ip + IP_SRC, ifc->ip, 4);
	memcpy(ip + IP_DST, to->ip, 4);
	netstack_put16(ip + IP_CHECKSUM,
		       netstack_checksum_finish(netstack_sum(ip, NETSTACK_IPV4_HLEN, 0)));
}

/* ethernet.c: Ethernet header helpers shared by the protocol files. */
#include <string.h>

#include <pv/netstack.h>

bool netstack_mac_is_unicast(const uint8_t mac[NETSTACK_ETH_ALEN])
{
	static const uint8_t zero[NETSTACK_ETH_ALEN];

	return !(mac[0] & 1) && memcmp(mac, zero, NETSTACK_ETH_ALEN) != 0;
}

void netstack_eth_write(uint8_t *frame, const uint8_t dst[NETSTACK_ETH_ALEN],
			const uint8_t src[NETSTACK_ETH_ALEN], uint16_t ethertype)
{
	memcpy(frame, dst, NETSTACK_ETH_ALEN);
	memcpy(frame + NETSTACK_ETH_ALEN, src, NETSTACK_ETH_ALEN);
	netstack_put16(frame + 2 * NETSTACK_ETH_ALEN, ethertype);
}

/* net_spec.h: parsing a --net device description ("tap=NAME[,mac=MAC]")
 * into the settings of one virtio-net device. docs/network.md documents
 * the syntax. */
#ifndef PVISOR_NET_SPEC_H
#define PVISOR_NET_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest interface name Linux takes (IFNAMSIZ - 1). */
#define NET_IFNAME_MAX 15

struct net_config {
	char ifname[NET_IFNAME_MAX + 1];  /* the TAP device, NUL-terminated   */
	uint8_t mac[6];                   /* the guest's MAC address          */
	bool mac_given;                   /* mac came from the spec           */
};

/* Parses a comma-separated list of key=value items: tap=NAME (required;
 * 1..15 characters of [A-Za-z0-9_.-], not "." or "..") and mac=MAC
 * (optional; six two-digit hex bytes separated by ':', unicast and not
 * all zeros). Each key may appear once. Without mac= the MAC is
 * 52:54:00:12:34:56 plus index (the device's position on the command
 * line, from 0) in its low 24 bits, as QEMU numbers its NICs: the same
 * command line always gives the same addresses.
 * Returns 0, or -1 with a one-line reason in err (no trailing newline;
 * the caller names the option) and cfg unspecified. */
int net_parse_spec(const char *spec, unsigned index, struct net_config *cfg, char *err,
		   size_t errlen);

/* Why the len bytes at name cannot be a TAP name given to pvisor (e.g.
 * "is longer than 15 characters"), or NULL if they can. */
const char *net_ifname_problem(const char *name, size_t len);

/* Writes the default MAC of device number index. */
void net_default_mac(unsigned index, uint8_t mac[6]);

#endif

/* net_spec.c: parsing a --net device description (see net_spec.h). */
#include <stdio.h>
#include <string.h>

#include "net/net_spec.h"
#include "lib/errmsg.h"

/* The value of one key=value item, not NUL-terminated. */
struct spec_value {
	const char *text;
	size_t len;
};

void net_default_mac(unsigned index, uint8_t mac[6])
{
	uint32_t low = (0x123456u + index) & 0xffffffu;

	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(low >> 16);
	mac[4] = (uint8_t)(low >> 8);
	mac[5] = (uint8_t)low;
}

static bool is_ifname_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

_Static_assert(NET_IFNAME_MAX == 15, "net_ifname_problem() spells the limit out");

const char *net_ifname_problem(const char *name, size_t len)
{
	if (len == 0)
		return "is empty";
	if (len > NET_IFNAME_MAX)
		return "is longer than 15 characters";
	for (size_t i = 0; i < len; i++)
		if (!is_ifname_char(name[i]))
			return "may only use the characters A-Z a-z 0-9 _ . -";
	if ((len == 1 && name[0] == '.') || (len == 2 && memcmp(name, "..", 2) == 0))
		return "is not a valid interface name";
	return NULL;
}

static int parse_ifname(struct spec_value v, char ifname[NET_IFNAME_MAX + 1], char *err,
			size_t errlen)
{
	const char *problem = net_ifname_problem(v.text, v.len);

	if (v.len == 0)
		return errmsg(err, errlen, "tap= needs an interface name");
	if (problem)
		return errmsg(err, errlen, "tap name '%.*s' %s", (int)v.len, v.text, problem);
	memcpy(ifname, v.text, v.len);
	ifname[v.len] = '\0';
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly "xx:xx:xx:xx:xx:xx", hex digits of either case. */
static bool parse_mac_text(struct spec_value v, uint8_t mac[6])
{
	if (v.len != 17)
		return false;
	for (size_t i = 0; i < 6; i++) {
		int hi = hex_digit(v.text[3 * i]), lo = hex_digit(v.text[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && v.text[3 * i + 2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static int parse_mac(struct spec_value v, uint8_t mac[6], char *err, size_t errlen)
{
	static const uint8_t zero[6];

	if (!parse_mac_text(v, mac))
		return errmsg(err, errlen, "mac '%.*s' is not six hex bytes like 52:54:00:12:34:56",
			    (int)v.len, v.text);
	if (mac[0] & 1)
		return errmsg(err, errlen,
			    "mac '%.*s' is a multicast address (the first byte must be even)",
			    (int)v.len, v.text);
	if (memcmp(mac, zero, 6) == 0)
		return errmsg(err, errlen, "mac '%.*s' is all zeros", (int)v.len, v.text);
	return 0;
}

/* Applies one "key=value" item of length len. */
static int parse_item(const char *item, size_t len, struct net_config *cfg, bool *tap_seen,
		      char *err, size_t errlen)
{
	const char *eq = memchr(item, '=', len);
	size_t key_len = eq ? (size_t)(eq - item) : 0;
	struct spec_value v;

	if (len == 0)
		return errmsg(err, errlen, "empty item (stray comma?)");
	if (!eq)
		return errmsg(err, errlen, "'%.*s' is not key=value (try tap=NAME[,mac=MAC])", (int)len,
			    item);
	v.text = eq + 1;
	v.len = len - key_len - 1;
	if (key_len == 3 && memcmp(item, "tap", 3) == 0) {
		if (*tap_seen)
			return errmsg(err, errlen, "tap= is given twice");
		*tap_seen = true;
		return parse_ifname(v, cfg->ifname, err, errlen);
	}
	if (key_len == 3 && memcmp(item, "mac", 3) == 0) {
		if (cfg->mac_given)
			return errmsg(err, errlen, "mac= is given twice");
		cfg->mac_given = true;
		return parse_mac(v, cfg->mac, err, errlen);
	}
	return errmsg(err, errlen, "unknown key '%.*s' (known: tap, mac)", (int)key_len, item);
}

int net_parse_spec(const char *spec, unsigned index, struct net_config *cfg, char *err,
		   size_t errlen)
{
	bool tap_seen = false;
	const char *item = spec;

	memset(cfg, 0, sizeof(*cfg));
	if (!spec || !*spec)
		return errmsg(err, errlen, "empty network device (try tap=NAME[,mac=MAC])");
	for (;;) {
		const char *comma = strchr(item, ',');
		size_t len = comma ? (size_t)(comma - item) : strlen(item);

		if (parse_item(item, len, cfg, &tap_seen, err, errlen))
			return -1;
		if (!comma)
			break;
		item = comma + 1;
	}
	if (!tap_seen)
		return errmsg(err, errlen, "no tap=NAME given (try tap=NAME[,mac=MAC])");
	if (!cfg->mac_given)
		net_default_mac(index, cfg->mac);
	return 0;
}

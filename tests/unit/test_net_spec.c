/* test_net_spec.c: parsing --net device descriptions (hv/net/net_spec.c):
 * names, MAC addresses, default MACs, and a one-line error for every bad
 * spec. */
#include <string.h>

#include "check.h"
#include "net/net_spec.h"

static struct net_config cfg;
static char err[256];

static int parse(const char *spec)
{
	memset(&cfg, 0xa5, sizeof(cfg));
	strcpy(err, "untouched");
	return net_parse_spec(spec, 0, &cfg, err, sizeof(err));
}

static bool mac_is(const uint8_t a, const uint8_t b, const uint8_t c, const uint8_t d,
		   const uint8_t e, const uint8_t f)
{
	const uint8_t want[6] = { a, b, c, d, e, f };

	return memcmp(cfg.mac, want, 6) == 0;
}

/* The spec is refused with a one-line message containing want. */
static bool refused(const char *spec, const char *want)
{
	return parse(spec) == -1 && strstr(err, want) && !strchr(err, '\n') && err[0] != '\0';
}

static void tap_name_only(void)
{
	CHECK_EQ(parse("tap=pvtap0"), 0);
	CHECK_STR(cfg.ifname, "pvtap0");
	CHECK(!cfg.mac_given);
	CHECK(mac_is(0x52, 0x54, 0x00, 0x12, 0x34, 0x56));
	CHECK_STR(err, "untouched");
}

static void tap_and_mac(void)
{
	CHECK_EQ(parse("tap=t,mac=52:54:00:ab:CD:ef"), 0);
	CHECK_STR(cfg.ifname, "t");
	CHECK(cfg.mac_given);
	CHECK(mac_is(0x52, 0x54, 0x00, 0xab, 0xcd, 0xef));
	CHECK_EQ(parse("mac=02:00:00:00:00:01,tap=x"), 0);   /* any order */
	CHECK_STR(cfg.ifname, "x");
	CHECK(mac_is(0x02, 0, 0, 0, 0, 1));
	CHECK_EQ(parse("tap=a,mac=fe:ff:ff:ff:ff:ff"), 0);
	CHECK(mac_is(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff));
}

static void name_limits(void)
{
	CHECK_EQ(parse("tap=abcdefghijklmno"), 0);             /* 15 characters */
	CHECK_STR(cfg.ifname, "abcdefghijklmno");
	CHECK_EQ(parse("tap=A-Z_a.z-09"), 0);
	CHECK_STR(cfg.ifname, "A-Z_a.z-09");
	CHECK_EQ(parse("tap=..."), 0);
	CHECK(refused("tap=abcdefghijklmnop", "longer than 15 characters"));
	CHECK(refused("tap=", "tap= needs an interface name"));
	CHECK(refused("tap=a b", "may only use the characters"));
	CHECK(refused("tap=a/b", "may only use the characters"));
	CHECK(refused("tap=a:b", "may only use the characters"));
	CHECK(refused("tap=tap%d", "may only use the characters"));
	CHECK(refused("tap=é", "may only use the characters"));
	CHECK(refused("tap=.", "not a valid interface name"));
	CHECK(refused("tap=..", "not a valid interface name"));
	CHECK(refused("tap=a=b", "may only use the characters"));
}

static void bad_macs(void)
{
	static const char *const malformed[] = {
		"tap=t,mac=", "tap=t,mac=52:54:00:12:34", "tap=t,mac=52:54:00:12:34:56:78",
		"tap=t,mac=52-54-00-12-34-56", "tap=t,mac=5254.0012.3456", "tap=t,mac=52:54:00:12:34:5g",
		"tap=t,mac=52:54:00:12:34:5", "tap=t,mac=2:54:00:12:34:566", "tap=t,mac= 2:54:00:12:34:56",
		"tap=t,mac=525400123456",
	};

	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		CHECK(refused(malformed[i], "is not six hex bytes like 52:54:00:12:34:56"));
	CHECK(refused("tap=t,mac=01:00:5e:00:00:01", "multicast"));
	CHECK(refused("tap=t,mac=ff:ff:ff:ff:ff:ff", "multicast"));
	CHECK(refused("tap=t,mac=53:54:00:12:34:56", "multicast"));
	CHECK(refused("tap=t,mac=00:00:00:00:00:00", "all zeros"));
	CHECK(refused("tap=t,mac=52:54:00:12:34:56,mac=52:54:00:12:34:57", "mac= is given twice"));
}

static void bad_structure(void)
{
	CHECK(refused("", "empty network device"));
	CHECK(refused(NULL, "empty network device"));
	CHECK(refused("mac=52:54:00:12:34:56", "no tap=NAME given"));
	CHECK(refused("tap=a,tap=b", "tap= is given twice"));
	CHECK(refused("tap=a,", "empty item"));
	CHECK(refused(",tap=a", "empty item"));
	CHECK(refused("tap=a,,mac=52:54:00:12:34:56", "empty item"));
	CHECK(refused("pvtap0", "'pvtap0' is not key=value"));
	CHECK(refused("tap=a,model=virtio", "unknown key 'model'"));
	CHECK(refused("=a", "unknown key ''"));
	CHECK(refused("TAP=a", "unknown key 'TAP'"));
	CHECK(refused("user", "not key=value"));
}

static void default_macs_follow_index(void)
{
	uint8_t mac[6];

	CHECK_EQ(net_parse_spec("tap=a", 1, &cfg, err, sizeof(err)), 0);
	CHECK(mac_is(0x52, 0x54, 0x00, 0x12, 0x34, 0x57));
	CHECK_EQ(net_parse_spec("tap=a", 0xaa, &cfg, err, sizeof(err)), 0);
	CHECK(mac_is(0x52, 0x54, 0x00, 0x12, 0x35, 0x00));     /* carries */
	CHECK_EQ(net_parse_spec("tap=a,mac=02:00:00:00:00:07", 5, &cfg, err, sizeof(err)), 0);
	CHECK(mac_is(0x02, 0, 0, 0, 0, 7));                      /* given wins */
	net_default_mac(0xffffffffu, mac);
	CHECK(mac[0] == 0x52 && mac[1] == 0x54 && mac[2] == 0x00);   /* always unicast */
	CHECK(mac[3] == 0x12 && mac[4] == 0x34 && mac[5] == 0x55);
}

static void error_buffer_limits(void)
{
	char small[8];

	memset(small, 'x', sizeof(small));
	CHECK_EQ(net_parse_spec("tap=", 0, &cfg, small, sizeof(small)), -1);
	CHECK_EQ(strlen(small), sizeof(small) - 1);               /* truncated, terminated */
	CHECK_EQ(net_parse_spec("tap=", 0, &cfg, NULL, 0), -1);  /* no buffer at all */
}

static void ifname_problems(void)
{
	CHECK(net_ifname_problem("eth0", 4) == NULL);
	CHECK_STR(net_ifname_problem("", 0), "is empty");
	CHECK(net_ifname_problem("0123456789abcdef", 16) != NULL);
	CHECK(net_ifname_problem("a\nb", 3) != NULL);
}

int main(void)
{
	RUN(tap_name_only);
	RUN(tap_and_mac);
	RUN(name_limits);
	RUN(bad_macs);
	RUN(bad_structure);
	RUN(default_macs_follow_index);
	RUN(error_buffer_limits);
	RUN(ifname_problems);
	CHECK_EXIT();
}

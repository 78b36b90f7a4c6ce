/* rtc.c: the CMOS real-time clock, read once at boot for the wall clock.
 *
 * The registers are read only while no update is in progress (register A
 * bit 7 clear), twice, until two reads agree, so a second ticking over in
 * the middle cannot tear the date. Register B says whether the values are
 * BCD or binary and whether hours are 12-hour with bit 7 as PM; the
 * century is in register 0x32. The clock keeps UTC. */
#include <pv/io.h>
#include <pvisor/platform.h>
#include "pc.h"

#define CMOS_INDEX	PVISOR_PORT_CMOS
#define CMOS_DATA	(PVISOR_PORT_CMOS + 1)
#define REG_SECONDS	0x00
#define REG_MINUTES	0x02
#define REG_HOURS	0x04
#define REG_DAY		0x07
#define REG_MONTH	0x08
#define REG_YEAR	0x09
#define REG_A		0x0a
#define REG_B		0x0b
#define REG_CENTURY	0x32
#define A_UPDATING	0x80
#define B_24_HOUR	0x02
#define B_BINARY	0x04
#define HOUR_PM		0x80
#define TRIES		10
#define UIP_POLLS	1000

struct rtc_fields {
	uint8_t second, minute, hour, day, month, year, century, b;
};

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static void wait_not_updating(void)
{
	int i;

	for (i = 0; i < UIP_POLLS && (cmos_read(REG_A) & A_UPDATING); i++)
		;
}

static void read_fields(struct rtc_fields *f)
{
	wait_not_updating();
	f->second = cmos_read(REG_SECONDS);
	f->minute = cmos_read(REG_MINUTES);
	f->hour = cmos_read(REG_HOURS);
	f->day = cmos_read(REG_DAY);
	f->month = cmos_read(REG_MONTH);
	f->year = cmos_read(REG_YEAR);
	f->century = cmos_read(REG_CENTURY);
	f->b = cmos_read(REG_B);
}

static bool same(const struct rtc_fields *a, const struct rtc_fields *b)
{
	return a->second == b->second && a->minute == b->minute && a->hour == b->hour &&
	       a->day == b->day && a->month == b->month && a->year == b->year &&
	       a->century == b->century && a->b == b->b;
}

static unsigned int from_bcd(uint8_t v, bool binary)
{
	return binary ? v : (v >> 4) * 10u + (v & 0x0f);
}

static unsigned int hour_24(uint8_t raw, uint8_t b)
{
	bool pm = raw & HOUR_PM;
	unsigned int h = from_bcd(raw & (uint8_t)~HOUR_PM, b & B_BINARY);

	if (b & B_24_HOUR)
		return h;
	return h % 12 + (pm ? 12 : 0);
}

/* Days from 1970-01-01 to a civil date (Howard Hinnant's days_from_civil). */
static uint64_t days_from_civil(uint64_t y, unsigned int m, unsigned int d)
{
	uint64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static uint64_t to_unix(const struct rtc_fields *f)
{
	bool binary = f->b & B_BINARY;
	unsigned int century = from_bcd(f->century, binary);
	uint64_t year = (century >= 19 && century <= 99 ? century : 20) * 100ull +
			from_bcd(f->year, binary);
	uint64_t days = days_from_civil(year, from_bcd(f->month, binary), from_bcd(f->day, binary));

	return days * 86400 + hour_24(f->hour, f->b) * 3600ull +
	       from_bcd(f->minute, binary) * 60ull + from_bcd(f->second, binary);
}

uint64_t rtc_unix_seconds(void)
{
	struct rtc_fields a, b;
	int i;

	read_fields(&a);
	for (i = 0; i < TRIES; i++) {
		read_fields(&b);
		if (same(&a, &b))
			return to_unix(&b);
		a = b;
	}
	return 0;
}

/* cmos_rtc.c: the MC146818 RTC and CMOS RAM model (see cmos_rtc.h). The
 * clock registers are computed from guest time = clock() + offset, held in
 * 128-bit nanoseconds so that any year 0-9999 a guest can set fits. Events
 * (periodic, update, alarm) are accounted lazily over (last_ns, now] on
 * every access and tick. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "hw/cmos_rtc.h"

#define NS_PER_S 1000000000ll
#define RTC_HZ   32768

enum {
	REG_SEC = 0x00,
	REG_SEC_ALARM = 0x01,
	REG_MIN = 0x02,
	REG_MIN_ALARM = 0x03,
	REG_HOUR = 0x04,
	REG_HOUR_ALARM = 0x05,
	REG_WDAY = 0x06,
	REG_MDAY = 0x07,
	REG_MONTH = 0x08,
	REG_YEAR = 0x09,
	REG_A = 0x0a,
	REG_B = 0x0b,
	REG_C = 0x0c,
	REG_D = 0x0d,
	REG_CENTURY = 0x32,
};

#define A_UIP   0x80
#define A_RS    0x0f
#define B_SET   0x80
#define B_PIE   0x40
#define B_AIE   0x20
#define B_UIE   0x10
#define B_DM    0x04   /* 1: binary, 0: BCD */
#define B_24H   0x02
#define C_IRQF  0x80
#define C_PF    0x40   /* each flag sits at its enable bit's position in B */
#define C_AF    0x20
#define C_UF    0x10
#define D_VRT   0x80

#define ALARM_ANY 0xc0

typedef __int128 gtime;   /* guest time, ns since the Unix epoch */

struct rtc_tm {
	int64_t year;         /* full year: century * 100 + year */
	unsigned mon, mday, hour, min, sec, wday;  /* wday 0 = Sunday */
};

struct cmos_rtc {
	pthread_mutex_t lock;
	struct emul_irq irq;
	bool has_irq;
	unsigned irq_nr;
	emul_clock_fn clock;
	uint8_t index;
	uint8_t ram[128];     /* RAM, alarms, A (without UIP), B, the clock while SET */
	gtime offset;         /* guest time = clock() + offset */
	uint64_t last_ns;     /* events accounted up to this clock time */
	uint8_t flags;        /* C_PF | C_AF | C_UF */
	bool irqf;
	int timer_fd;
	struct emul_watch *watch;
	uint64_t armed_ns;
	uint64_t next_event_ns;
	struct cmos_rtc_stats stats;
};

/* ---- Calendar arithmetic (proleptic Gregorian, H. Hinnant's algorithms) -- */

static gtime floor_div(gtime a, gtime b)
{
	gtime q = a / b;

	return (a % b < 0) ? q - 1 : q;
}

static gtime floor_mod(gtime a, gtime b)
{
	return a - floor_div(a, b) * b;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, struct rtc_tm *tm)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->mday = doy - (153 * mp + 2) / 5 + 1;
	tm->mon = mp < 10 ? mp + 3 : mp - 9;
	tm->year = (int64_t)yoe + era * 400 + (tm->mon <= 2);
}

static void tm_from_seconds(gtime s, struct rtc_tm *tm)
{
	int64_t days = (int64_t)floor_div(s, 86400);
	unsigned rem = (unsigned)(s - (gtime)days * 86400);

	civil_from_days(days, tm);
	tm->hour = rem / 3600;
	tm->min = rem / 60 % 60;
	tm->sec = rem % 60;
	tm->wday = (unsigned)floor_mod(days + 4, 7);  /* 1970-01-01: Thursday */
}

static gtime seconds_from_tm(const struct rtc_tm *tm)
{
	return (gtime)days_from_civil(tm->year, tm->mon, tm->mday) * 86400 +
	       tm->hour * 3600 + tm->min * 60 + tm->sec;
}

/* ---- Register encodings ---------------------------------------------------- */

static uint8_t to_bcd(unsigned v)
{
	return (uint8_t)(((v / 10 % 10) << 4) | (v % 10));
}

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 0x0f);
}

static uint8_t encode(const struct cmos_rtc *rtc, unsigned v)
{
	return (rtc->ram[REG_B] & B_DM) ? (uint8_t)v : to_bcd(v);
}

static unsigned decode(const struct cmos_rtc *rtc, uint8_t v)
{
	return (rtc->ram[REG_B] & B_DM) ? v : from_bcd(v);
}

static uint8_t encode_hour(const struct cmos_rtc *rtc, unsigned hour)
{
	unsigned h12 = hour % 12 ? hour % 12 : 12;

	if (rtc->ram[REG_B] & B_24H)
		return encode(rtc, hour);
	return (uint8_t)(encode(rtc, h12) | (hour >= 12 ? 0x80 : 0));
}

static unsigned decode_hour(const struct cmos_rtc *rtc, uint8_t v)
{
	unsigned h = decode(rtc, v & 0x7f);

	if (rtc->ram[REG_B] & B_24H)
		return h;
	return h % 12 + ((v & 0x80) ? 12 : 0);
}

static bool is_clock_reg(unsigned reg)
{
	return reg == REG_SEC || reg == REG_MIN || reg == REG_HOUR || reg == REG_CENTURY ||
	       (reg >= REG_WDAY && reg <= REG_YEAR);
}

static uint8_t clock_reg_value(const struct cmos_rtc *rtc, const struct rtc_tm *tm, unsigned reg)
{
	switch (reg) {
	case REG_SEC:
		return encode(rtc, tm->sec);
	case REG_MIN:
		return encode(rtc, tm->min);
	case REG_HOUR:
		return encode_hour(rtc, tm->hour);
	case REG_WDAY:
		return encode(rtc, tm->wday + 1);
	case REG_MDAY:
		return encode(rtc, tm->mday);
	case REG_MONTH:
		return encode(rtc, tm->mon);
	case REG_YEAR:
		return encode(rtc, (unsigned)(tm->year % 100));
	default:
		return encode(rtc, (unsigned)(tm->year / 100 % 100));
	}
}

static unsigned clamp(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The time the (held) clock registers say, out-of-range fields clamped. */
static void tm_from_registers(const struct cmos_rtc *rtc, struct rtc_tm *tm)
{
	const uint8_t *r = rtc->ram;

	tm->sec = clamp(decode(rtc, r[REG_SEC]), 0, 59);
	tm->min = clamp(decode(rtc, r[REG_MIN]), 0, 59);
	tm->hour = clamp(decode_hour(rtc, r[REG_HOUR]), 0, 23);
	tm->mday = clamp(decode(rtc, r[REG_MDAY]), 1, 31);
	tm->mon = clamp(decode(rtc, r[REG_MONTH]), 1, 12);
	tm->year = clamp(decode(rtc, r[REG_CENTURY]), 0, 99) * 100 +
		   clamp(decode(rtc, r[REG_YEAR]), 0, 99);
	tm->wday = 0;
}

/* ---- Guest time ------------------------------------------------------------ */

static gtime guest_ns(const struct cmos_rtc *rtc, uint64_t now)
{
	return (gtime)now + rtc->offset;
}

static bool setting(const struct cmos_rtc *rtc)
{
	return rtc->ram[REG_B] & B_SET;
}

static bool update_in_progress(const struct cmos_rtc *rtc, uint64_t now)
{
	return !setting(rtc) &&
	       floor_mod(guest_ns(rtc, now), NS_PER_S) >= NS_PER_S - CMOS_RTC_UIP_NS;
}

/* Freezes the current time into the clock registers (SET = 1). */
static void hold_time(struct cmos_rtc *rtc, uint64_t now)
{
	struct rtc_tm tm;

	tm_from_seconds(floor_div(guest_ns(rtc, now), NS_PER_S), &tm);
	for (unsigned reg = 0; reg < 128; reg++)
		if (is_clock_reg(reg))
			rtc->ram[reg] = clock_reg_value(rtc, &tm, reg);
}

/* Runs the clock from the registers' time, subsec ns into that second. */
static void release_time(struct cmos_rtc *rtc, uint64_t now, gtime subsec)
{
	struct rtc_tm tm;

	tm_from_registers(rtc, &tm);
	rtc->offset = seconds_from_tm(&tm) * NS_PER_S + subsec - (gtime)now;
}

/* ---- Events and the interrupt line ----------------------------------------- */

/* The periodic interrupt's period in 32768 Hz ticks, 0 when off. */
static gtime periodic_ticks(const struct cmos_rtc *rtc)
{
	unsigned rs = rtc->ram[REG_A] & A_RS;

	if (!rs)
		return 0;
	if (rs < 3)
		rs += 7;      /* 256 and 128 Hz */
	else if (rs < 6)
		rs = 6;       /* at most 1024 Hz */
	return (gtime)1 << (rs - 1);
}

static gtime ticks32k(gtime g)
{
	return floor_div(g * RTC_HZ, NS_PER_S);
}

static bool alarm_field_matches(const struct cmos_rtc *rtc, unsigned reg, unsigned value)
{
	uint8_t a = rtc->ram[reg];

	if ((a & ALARM_ANY) == ALARM_ANY)
		return true;
	return (reg == REG_HOUR_ALARM ? decode_hour(rtc, a) : decode(rtc, a)) == value;
}

static bool alarm_matches(const struct cmos_rtc *rtc, gtime second)
{
	struct rtc_tm tm;

	tm_from_seconds(second, &tm);
	return alarm_field_matches(rtc, REG_SEC_ALARM, tm.sec) &&
	       alarm_field_matches(rtc, REG_MIN_ALARM, tm.min) &&
	       alarm_field_matches(rtc, REG_HOUR_ALARM, tm.hour);
}

static void update_irq(struct cmos_rtc *rtc)
{
	bool irqf = rtc->flags & rtc->ram[REG_B] & (C_PF | C_AF | C_UF);

	if (irqf && !rtc->irqf) {
		if (rtc->has_irq)
			emul_irq_pulse(&rtc->irq, rtc->irq_nr);
		rtc->stats.irqs++;
	}
	rtc->irqf = irqf;
}

/* Sets the flags of the events in (last_ns, now]. */
static void sync_events(struct cmos_rtc *rtc, uint64_t now)
{
	gtime a, b, period = periodic_ticks(rtc);

	if (now <= rtc->last_ns) {
		rtc->last_ns = now;  /* the host clock stepped back: start over */
		return;
	}
	a = guest_ns(rtc, rtc->last_ns);
	b = guest_ns(rtc, now);
	if (period && floor_div(ticks32k(b), period) > floor_div(ticks32k(a), period))
		rtc->flags |= C_PF;
	if (!setting(rtc)) {
		gtime sa = floor_div(a, NS_PER_S), sb = floor_div(b, NS_PER_S);

		if (sb > sa) {
			rtc->flags |= C_UF;
			if (alarm_matches(rtc, sb))
				rtc->flags |= C_AF;
		}
	}
	rtc->last_ns = now;
	update_irq(rtc);
}

/* The guest time of the next event that could raise IRQF; false if none. */
static bool next_event(const struct cmos_rtc *rtc, gtime g, gtime *when)
{
	gtime period = periodic_ticks(rtc), t;
	uint8_t b = rtc->ram[REG_B];
	bool found = false;

	if (rtc->irqf)
		return false;
	if ((b & B_PIE) && period) {
		t = (floor_div(ticks32k(g), period) + 1) * period;
		*when = -floor_div(-t * NS_PER_S, RTC_HZ);  /* ceil */
		found = true;
	}
	if ((b & (B_UIE | B_AIE)) && !setting(rtc)) {
		t = (floor_div(g, NS_PER_S) + 1) * NS_PER_S;
		if (!found || t < *when)
			*when = t;
		found = true;
	}
	return found;
}

static void set_timer(struct cmos_rtc *rtc, uint64_t at)
{
	struct itimerspec its = { 0 };

	if (rtc->timer_fd < 0 || at == rtc->armed_ns)
		return;
	its.it_value.tv_sec = (time_t)(at / NS_PER_S);
	its.it_value.tv_nsec = (long)(at % NS_PER_S);
	if (timerfd_settime(rtc->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		rtc->armed_ns = at;
}

static void rearm(struct cmos_rtc *rtc, uint64_t now)
{
	gtime g, host;
	uint64_t at = 0;

	if (next_event(rtc, guest_ns(rtc, now), &g)) {
		host = g - rtc->offset;
		if (host <= (gtime)now)
			host = (gtime)now + 1;
		at = host > (gtime)UINT64_MAX ? UINT64_MAX : (uint64_t)host;
	}
	rtc->next_event_ns = at;
	set_timer(rtc, at);
}

/* ---- Registers ------------------------------------------------------------- */

static uint8_t read_clock_reg(struct cmos_rtc *rtc, unsigned reg, uint64_t now)
{
	struct rtc_tm tm;

	if (setting(rtc))
		return rtc->ram[reg];
	tm_from_seconds(floor_div(guest_ns(rtc, now), NS_PER_S), &tm);
	return clock_reg_value(rtc, &tm, reg);
}

static uint8_t read_reg(struct cmos_rtc *rtc, unsigned reg, uint64_t now)
{
	uint8_t v;

	if (is_clock_reg(reg))
		return read_clock_reg(rtc, reg, now);
	switch (reg) {
	case REG_A:
		return rtc->ram[REG_A] | (update_in_progress(rtc, now) ? A_UIP : 0);
	case REG_C:
		v = rtc->flags | (rtc->irqf ? C_IRQF : 0);
		rtc->flags = 0;
		rtc->irqf = false;
		return v;
	case REG_D:
		return D_VRT;
	default:
		return rtc->ram[reg];
	}
}

static void write_clock_reg(struct cmos_rtc *rtc, unsigned reg, uint8_t v, uint64_t now)
{
	gtime subsec;

	if (setting(rtc)) {
		rtc->ram[reg] = v;
		return;
	}
	subsec = floor_mod(guest_ns(rtc, now), NS_PER_S);
	hold_time(rtc, now);
	rtc->ram[reg] = v;
	release_time(rtc, now, subsec);
}

static void write_b(struct cmos_rtc *rtc, uint8_t v, uint64_t now)
{
	bool was_setting = setting(rtc);

	/* The held registers follow the formats this write selects. */
	if (!was_setting && (v & B_SET))
		v &= (uint8_t)~B_UIE;
	rtc->ram[REG_B] = v;
	if (!was_setting && (v & B_SET))
		hold_time(rtc, now);
	if (was_setting && !(v & B_SET))
		release_time(rtc, now, 0);
}

static void write_reg(struct cmos_rtc *rtc, unsigned reg, uint8_t v, uint64_t now)
{
	if (is_clock_reg(reg)) {
		write_clock_reg(rtc, reg, v, now);
		return;
	}
	switch (reg) {
	case REG_A:
		rtc->ram[REG_A] = v & (uint8_t)~A_UIP;
		break;
	case REG_B:
		write_b(rtc, v, now);
		break;
	case REG_C:
	case REG_D:
		break;  /* read-only */
	default:
		rtc->ram[reg] = v;
		break;
	}
}

/* ---- Bus glue, ticks ------------------------------------------------------- */

static uint8_t rtc_read8(void *dev, uint16_t offset)
{
	struct cmos_rtc *rtc = dev;
	uint64_t now;
	uint8_t v = 0xff;  /* the index port is write-only */

	pthread_mutex_lock(&rtc->lock);
	if (offset == 1) {
		now = rtc->clock();
		sync_events(rtc, now);
		v = read_reg(rtc, rtc->index, now);
		update_irq(rtc);
		rearm(rtc, now);
	}
	pthread_mutex_unlock(&rtc->lock);
	return v;
}

static void rtc_write8(void *dev, uint16_t offset, uint8_t value)
{
	struct cmos_rtc *rtc = dev;
	uint64_t now;

	pthread_mutex_lock(&rtc->lock);
	if (offset == 0) {
		rtc->index = value & 0x7f;  /* bit 7: NMI mask, ignored */
	} else {
		now = rtc->clock();
		sync_events(rtc, now);
		write_reg(rtc, rtc->index, value, now);
		update_irq(rtc);
		rearm(rtc, now);
	}
	pthread_mutex_unlock(&rtc->lock);
}

static uint32_t rtc_read(void *dev, uint16_t offset, unsigned size)
{
	return emul_read_bytes(rtc_read8, dev, offset, size, CMOS_RTC_NR_PORTS);
}

static void rtc_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	emul_write_bytes(rtc_write8, dev, offset, size, value, CMOS_RTC_NR_PORTS);
}

static void tick_locked(struct cmos_rtc *rtc)
{
	uint64_t now = rtc->clock();

	sync_events(rtc, now);
	rearm(rtc, now);
}

void cmos_rtc_tick(struct cmos_rtc *rtc)
{
	pthread_mutex_lock(&rtc->lock);
	tick_locked(rtc);
	pthread_mutex_unlock(&rtc->lock);
}

static void rtc_timer_ready(void *dev)
{
	struct cmos_rtc *rtc = dev;
	uint64_t expirations;

	if (read(rtc->timer_fd, &expirations, sizeof(expirations)) < 0) {
		/* EAGAIN: re-armed meanwhile; the tick below is harmless. */
	}
	pthread_mutex_lock(&rtc->lock);
	rtc->armed_ns = 0;
	tick_locked(rtc);
	pthread_mutex_unlock(&rtc->lock);
}

/* ---- Lifetime -------------------------------------------------------------- */

static int start_timer(struct cmos_rtc *rtc, struct emul_loop *loop)
{
	if (!loop)
		return 0;
	rtc->timer_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (rtc->timer_fd < 0)
		return -1;
	rtc->watch = emul_loop_watch(loop, rtc->timer_fd, rtc_timer_ready, rtc);
	return rtc->watch ? 0 : -1;
}

struct cmos_rtc *cmos_rtc_create(const struct emul_irq *irq, unsigned irq_nr,
				 emul_clock_fn realtime, struct emul_loop *loop)
{
	struct cmos_rtc *rtc;

	if (!realtime)
		return NULL;
	rtc = calloc(1, sizeof(*rtc));
	if (!rtc)
		return NULL;
	pthread_mutex_init(&rtc->lock, NULL);
	if (irq) {
		rtc->irq = *irq;
		rtc->has_irq = true;
	}
	rtc->irq_nr = irq_nr;
	rtc->clock = realtime;
	rtc->timer_fd = -1;
	rtc->ram[REG_A] = 0x26;     /* 32.768 kHz divider, 1024 Hz rate */
	rtc->ram[REG_B] = B_24H;    /* BCD, 24-hour */
	rtc->last_ns = realtime();
	if (start_timer(rtc, loop) < 0) {
		cmos_rtc_destroy(rtc);
		return NULL;
	}
	return rtc;
}

void cmos_rtc_destroy(struct cmos_rtc *rtc)
{
	if (!rtc)
		return;
	if (rtc->timer_fd >= 0)
		close(rtc->timer_fd);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

void cmos_rtc_region(struct cmos_rtc *rtc, struct emul_pio_region *out)
{
	*out = (struct emul_pio_region){
		.name = "cmos-rtc", .base = CMOS_RTC_BASE, .len = CMOS_RTC_NR_PORTS,
		.read = rtc_read, .write = rtc_write, .dev = rtc,
	};
}

uint64_t cmos_rtc_next_event_ns(struct cmos_rtc *rtc)
{
	uint64_t t;

	pthread_mutex_lock(&rtc->lock);
	t = rtc->next_event_ns;
	pthread_mutex_unlock(&rtc->lock);
	return t;
}

static void put16(uint8_t *ram, unsigned reg, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	ram[reg] = (uint8_t)v;
	ram[reg + 1] = (uint8_t)(v >> 8);
}

void cmos_rtc_set_ram_size(struct cmos_rtc *rtc, uint64_t bytes)
{
	const uint64_t mib = 1ull << 20, gib4 = 4ull << 30;
	uint64_t below4g = bytes < gib4 ? bytes : gib4;
	uint64_t above4g = bytes > gib4 ? (bytes - gib4) >> 16 : 0;
	unsigned sum = 0;

	pthread_mutex_lock(&rtc->lock);
	put16(rtc->ram, 0x15, 640);
	put16(rtc->ram, 0x17, below4g > mib ? (below4g - mib) >> 10 : 0);
	put16(rtc->ram, 0x30, below4g > mib ? (below4g - mib) >> 10 : 0);
	put16(rtc->ram, 0x34, below4g > 16 * mib ? (below4g - 16 * mib) >> 16 : 0);
	if (above4g > 0xffffff)
		above4g = 0xffffff;
	rtc->ram[0x5b] = (uint8_t)above4g;
	rtc->ram[0x5c] = (uint8_t)(above4g >> 8);
	rtc->ram[0x5d] = (uint8_t)(above4g >> 16);
	for (unsigned reg = 0x10; reg <= 0x2d; reg++)
		sum += rtc->ram[reg];
	rtc->ram[0x2e] = (uint8_t)(sum >> 8);
	rtc->ram[0x2f] = (uint8_t)sum;
	pthread_mutex_unlock(&rtc->lock);
}

void cmos_rtc_get_stats(struct cmos_rtc *rtc, struct cmos_rtc_stats *out)
{
	pthread_mutex_lock(&rtc->lock);
	*out = rtc->stats;
	pthread_mutex_unlock(&rtc->lock);
}

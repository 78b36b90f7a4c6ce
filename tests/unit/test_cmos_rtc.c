/* test_cmos_rtc.c: the MC146818 CMOS RTC model (hv/hw/cmos_rtc.c) on
 * a fake wall clock: BCD/binary and 12/24-hour reads of known times, the
 * UIP window and second boundaries, setting the time, register C and the
 * periodic / update-ended / alarm interrupts, CMOS RAM and index masking. */
#include <pthread.h>
#include <time.h>

#include "check.h"
#include "hw/cmos_rtc.h"
#define IRQ_RECORD_RISES
#include "irq_probe.h"

#define NS 1000000000ull
#define MS 1000000ull

/* 2024-02-29 13:45:56 UTC, a Thursday. */
#define LEAP_DAY 1709214356ull

static uint64_t fake_now;
static struct cmos_rtc *rtc;
static struct emul_pio_region reg;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static void setup_at(uint64_t now)
{
	if (rtc)
		cmos_rtc_destroy(rtc);
	fake_now = now;
	rises = last_irq = 0;
	level = 0;
	rtc = cmos_rtc_create(&irq_line, 8, fake_clock, NULL);
	cmos_rtc_region(rtc, &reg);
}

static uint8_t rd(uint8_t index)
{
	reg.write(reg.dev, 0, 1, index);
	return (uint8_t)reg.read(reg.dev, 1, 1);
}

static void wr(uint8_t index, uint8_t v)
{
	reg.write(reg.dev, 0, 1, index);
	reg.write(reg.dev, 1, 1, v);
}

static void region_and_defaults(void)
{
	setup_at(LEAP_DAY * NS);
	CHECK(rtc != NULL);
	CHECK_EQ(reg.base, 0x70);
	CHECK_EQ(reg.len, 2);
	CHECK_EQ(rd(0x0a), 0x26);
	CHECK_EQ(rd(0x0b), 0x02);               /* BCD, 24-hour */
	CHECK_EQ(rd(0x0c), 0x00);
	CHECK_EQ(rd(0x0d), 0x80);               /* VRT: battery fine */
	CHECK_EQ(reg.read(reg.dev, 0, 1), 0xffu); /* the index port is write-only */
	CHECK(cmos_rtc_create(&irq_line, 8, NULL, NULL) == NULL);
}

static void bcd_read(void)
{
	setup_at(LEAP_DAY * NS + 500 * MS);
	CHECK_EQ(rd(0x00), 0x56);
	CHECK_EQ(rd(0x02), 0x45);
	CHECK_EQ(rd(0x04), 0x13);
	CHECK_EQ(rd(0x06), 0x05);               /* Thursday: Sunday = 1 */
	CHECK_EQ(rd(0x07), 0x29);
	CHECK_EQ(rd(0x08), 0x02);
	CHECK_EQ(rd(0x09), 0x24);
	CHECK_EQ(rd(0x32), 0x20);               /* century */
}

static void binary_read(void)
{
	setup_at(LEAP_DAY * NS + 500 * MS);
	wr(0x0b, 0x06);                         /* binary, 24-hour */
	CHECK_EQ(rd(0x00), 56);
	CHECK_EQ(rd(0x02), 45);
	CHECK_EQ(rd(0x04), 13);
	CHECK_EQ(rd(0x06), 5);
	CHECK_EQ(rd(0x07), 29);
	CHECK_EQ(rd(0x08), 2);
	CHECK_EQ(rd(0x09), 24);
	CHECK_EQ(rd(0x32), 20);
}

static void twelve_hour_mode(void)
{
	setup_at(LEAP_DAY * NS);
	wr(0x0b, 0x00);                         /* BCD, 12-hour */
	CHECK_EQ(rd(0x04), 0x81);               /* 13:45 = 1 PM */
	wr(0x0b, 0x04);                         /* binary, 12-hour */
	CHECK_EQ(rd(0x04), 0x81);
	fake_now = 1709253000ull * NS;          /* 2024-03-01 00:30 */
	CHECK_EQ(rd(0x04), 12);                 /* 12 AM */
	wr(0x0b, 0x00);
	CHECK_EQ(rd(0x04), 0x12);
	CHECK_EQ(rd(0x06), 0x06);               /* Friday */
	CHECK_EQ(rd(0x07), 0x01);
	CHECK_EQ(rd(0x08), 0x03);
	fake_now = 1709294700ull * NS;          /* 12:05: 12 PM */
	CHECK_EQ(rd(0x04), 0x92);
}

static void uip_window(void)
{
	uint64_t second = LEAP_DAY * NS;

	setup_at(second);
	CHECK_EQ(rd(0x0a) & 0x80, 0x00);
	fake_now = second + NS - CMOS_RTC_UIP_NS - 1;
	CHECK_EQ(rd(0x0a) & 0x80, 0x00);
	fake_now = second + NS - CMOS_RTC_UIP_NS;
	CHECK_EQ(rd(0x0a) & 0x80, 0x80);
	CHECK_EQ(rd(0x00), 0x56);               /* not updated yet */
	fake_now = second + NS - 1;
	CHECK_EQ(rd(0x0a) & 0x80, 0x80);
	fake_now = second + NS;
	CHECK_EQ(rd(0x0a) & 0x80, 0x00);
	CHECK_EQ(rd(0x00), 0x57);
	wr(0x0a, 0xa6);                         /* UIP is read-only */
	CHECK_EQ(rd(0x0a), 0x26);
	wr(0x0b, 0x82);                         /* SET: no updates, no UIP */
	fake_now = second + 2 * NS - 1000;
	CHECK_EQ(rd(0x0a) & 0x80, 0x00);
}

static void across_second_boundary(void)
{
	uint64_t second = LEAP_DAY * NS;
	uint8_t before, after;

	setup_at(second + 999 * MS);
	before = rd(0x00);
	fake_now = second + 1000 * MS;
	after = rd(0x00);
	CHECK_EQ(before, 0x56);
	CHECK_EQ(after, 0x57);
	/* The minute rolls over too, all at once. */
	fake_now = second + 4 * NS - 1;         /* 13:45:59.999 */
	CHECK_EQ(rd(0x00), 0x59);
	CHECK_EQ(rd(0x02), 0x45);
	fake_now += 1;
	CHECK_EQ(rd(0x00), 0x00);
	CHECK_EQ(rd(0x02), 0x46);
}

static void century_rollover(void)
{
	setup_at(4102444799ull * NS);           /* 2099-12-31 23:59:59 */
	CHECK_EQ(rd(0x09), 0x99);
	CHECK_EQ(rd(0x32), 0x20);
	fake_now += NS;
	CHECK_EQ(rd(0x09), 0x00);
	CHECK_EQ(rd(0x32), 0x21);
	CHECK_EQ(rd(0x08), 0x01);
	CHECK_EQ(rd(0x07), 0x01);
	CHECK_EQ(rd(0x04), 0x00);
}

static void set_time_with_set_bit(void)
{
	setup_at(LEAP_DAY * NS + 300 * MS);
	wr(0x0b, 0x12);                         /* UIE on */
	wr(0x0b, 0x92);                         /* SET (clears UIE) */
	CHECK_EQ(rd(0x0b), 0x82);
	CHECK_EQ(rd(0x00), 0x56);               /* held at the current time */
	wr(0x00, 0x10);
	wr(0x02, 0x09);
	wr(0x04, 0x08);
	wr(0x07, 0x15);
	wr(0x08, 0x06);
	wr(0x09, 0x30);
	wr(0x32, 0x20);
	fake_now += 5 * NS;                     /* frozen while SET */
	CHECK_EQ(rd(0x00), 0x10);
	CHECK_EQ(rd(0x04), 0x08);
	wr(0x0b, 0x02);                         /* run from 2030-06-15 08:09:10.0 */
	CHECK_EQ(rd(0x00), 0x10);
	CHECK_EQ(rd(0x06), 0x07);               /* Saturday, from the date */
	CHECK_EQ(rd(0x09), 0x30);
	fake_now += 999 * MS;
	CHECK_EQ(rd(0x00), 0x10);
	fake_now += 1 * MS;
	CHECK_EQ(rd(0x00), 0x11);
	CHECK_EQ(rd(0x02), 0x09);
	CHECK_EQ(rd(0x08), 0x06);
	/* In binary mode, with SET = 0: one field changes at once, and the
	 * clock keeps its phase within the second. */
	wr(0x0b, 0x06);
	fake_now += 700 * MS;                   /* 08:09:11.7 */
	wr(0x02, 59);
	CHECK_EQ(rd(0x02), 59);
	CHECK_EQ(rd(0x04), 8);
	CHECK_EQ(rd(0x00), 11);
	fake_now += 300 * MS;
	CHECK_EQ(rd(0x00), 12);
	/* Garbage is clamped, not trusted. */
	wr(0x0b, 0x86);
	wr(0x08, 0xff);
	wr(0x00, 0xee);
	wr(0x0b, 0x06);
	CHECK_EQ(rd(0x08), 12);
	CHECK_EQ(rd(0x00), 59);
}

static void set_time_12_hour(void)
{
	setup_at(LEAP_DAY * NS);
	wr(0x0b, 0x80);                         /* SET, BCD, 12-hour */
	CHECK_EQ(rd(0x04), 0x81);               /* held in the new format */
	wr(0x04, 0x92);                         /* 12 PM */
	wr(0x0b, 0x00);
	wr(0x0b, 0x02);                         /* read back in 24-hour */
	CHECK_EQ(rd(0x04), 0x12);
	wr(0x0b, 0x80);
	wr(0x04, 0x12);                         /* 12 AM */
	wr(0x0b, 0x00);
	wr(0x0b, 0x02);
	CHECK_EQ(rd(0x04), 0x00);
	wr(0x0b, 0x86);                         /* SET and binary in one write */
	CHECK_EQ(rd(0x04), 0);
}

static void register_c_clears_flags(void)
{
	uint64_t second = LEAP_DAY * NS;

	setup_at(second + 100 * MS);
	wr(0x0a, 0x20);                         /* no periodic rate */
	fake_now = second + 1100 * MS;          /* a boundary passed: UF */
	cmos_rtc_tick(rtc);
	CHECK_EQ(rises, 0u);                    /* flag, but UIE is off */
	CHECK_EQ(rd(0x0c), 0x10);
	CHECK_EQ(rd(0x0c), 0x00);               /* read clears */
	fake_now += NS;
	wr(0x0b, 0x12);                         /* UIE */
	CHECK_EQ(rises, 1u);                    /* UF was already set: IRQF at once */
	CHECK_EQ(last_irq, 8u);
	CHECK_EQ(level, 0);
	fake_now += NS;
	cmos_rtc_tick(rtc);
	CHECK_EQ(rises, 1u);                    /* IRQF still up: no new edge */
	CHECK_EQ(rd(0x0c), 0x90);
	CHECK_EQ(rd(0x0c), 0x00);
	fake_now += NS;
	cmos_rtc_tick(rtc);
	CHECK_EQ(rises, 2u);
	wr(0x0c, 0xff);                         /* read-only */
	wr(0x0d, 0x00);
	CHECK_EQ(rd(0x0d), 0x80);
	CHECK_EQ(rd(0x0c), 0x90);
}

static void update_interrupts(void)
{
	uint64_t second = LEAP_DAY * NS;
	unsigned uf = 0;

	setup_at(second + 250 * MS);
	wr(0x0a, 0x20);
	wr(0x0b, 0x12);
	CHECK_EQ(cmos_rtc_next_event_ns(rtc), second + NS);
	for (unsigned i = 1; i <= 40; i++) {   /* ten seconds in 250 ms steps */
		fake_now = second + 250 * MS + i * 250 * MS;
		cmos_rtc_tick(rtc);
		if (rd(0x0c) & 0x10)
			uf++;
	}
	CHECK_EQ(uf, 10u);
	CHECK_EQ(rises, 10u);
	CHECK_EQ(cmos_rtc_next_event_ns(rtc), second + 11 * NS);
	wr(0x0b, 0x02);
	CHECK_EQ(cmos_rtc_next_event_ns(rtc), 0u);  /* nothing enabled: no timer */
}

static void periodic_interrupts(void)
{
	uint64_t start = LEAP_DAY * NS;
	unsigned pf = 0;
	struct cmos_rtc_stats st;

	setup_at(start);
	wr(0x0a, 0x26);                         /* 1024 Hz */
	wr(0x0b, 0x42);                         /* PIE */
	CHECK_EQ(cmos_rtc_next_event_ns(rtc), start + 976563);  /* ceil(1e9/1024) */
	for (unsigned i = 1; i <= 2048; i++) {  /* one second, twice the rate */
		fake_now = start + i * NS / 2048;
		cmos_rtc_tick(rtc);
		if (rd(0x0c) & 0x40)
			pf++;
	}
	CHECK_EQ(pf, 1024u);
	CHECK_EQ(rises, 1024u);
	cmos_rtc_get_stats(rtc, &st);
	CHECK_EQ(st.irqs, 1024u);
	/* Unacknowledged: one pulse however many periods pass. */
	fake_now += 100 * MS;
	cmos_rtc_tick(rtc);
	fake_now += 100 * MS;
	cmos_rtc_tick(rtc);
	CHECK_EQ(rises, 1025u);
	CHECK_EQ(cmos_rtc_next_event_ns(rtc), 0u);  /* IRQF up: no timer needed */
	CHECK_EQ(rd(0x0c), 0xc0);               /* IRQF, PF */
	/* 2 Hz (rate 15); 8192 Hz (rate 3) runs at 1024 Hz. */
	wr(0x0a, 0x2f);
	fake_now = start + 2 * NS;
	rd(0x0c);
	CHECK_EQ(cmos_rtc_next_event_ns(rtc), start + 2 * NS + 500 * MS);
	wr(0x0a, 0x23);
	CHECK_EQ(cmos_rtc_next_event_ns(rtc), start + 2 * NS + 976563);
	wr(0x0a, 0x21);                         /* rate 1: 256 Hz, as rate 8 */
	CHECK_EQ(cmos_rtc_next_event_ns(rtc), start + 2 * NS + 3906250);
	wr(0x0a, 0x22);                         /* rate 2: 128 Hz, as rate 9 */
	CHECK_EQ(cmos_rtc_next_event_ns(rtc), start + 2 * NS + 7812500);
	wr(0x0a, 0x20);                         /* rate 0: off */
	CHECK_EQ(cmos_rtc_next_event_ns(rtc), 0u);
}

static void alarm_interrupts(void)
{
	uint64_t second = LEAP_DAY * NS;        /* 13:45:56 */
	unsigned af_at = 0, af_count = 0;

	setup_at(second + 500 * MS);
	wr(0x0a, 0x20);
	wr(0x01, 0x59);
	wr(0x03, 0x45);
	wr(0x05, 0x13);                         /* 13:45:59 */
	wr(0x0b, 0x22);                         /* AIE */
	for (unsigned i = 1; i <= 6; i++) {
		fake_now = second + i * NS;
		cmos_rtc_tick(rtc);
		if (rd(0x0c) & 0x20) {
			af_at = i;
			af_count++;
		}
	}
	CHECK_EQ(af_count, 1u);
	CHECK_EQ(af_at, 3u);                    /* at 13:45:59 */
	CHECK_EQ(rises, 1u);
	/* "Don't care" in every field: every second. */
	wr(0x01, 0xc0);
	wr(0x03, 0xff);
	wr(0x05, 0xc0);
	for (unsigned i = 7; i <= 9; i++) {
		fake_now = second + i * NS;
		cmos_rtc_tick(rtc);
		CHECK_EQ(rd(0x0c), 0xb0);        /* IRQF, AF, UF */
	}
	CHECK_EQ(rises, 4u);
}

static void cmos_ram(void)
{
	setup_at(LEAP_DAY * NS);
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			wr((uint8_t)i, (uint8_t)(i ^ 0x5a));
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			CHECK_EQ(rd((uint8_t)i), (uint8_t)(i ^ 0x5a));
	/* The index is 7 bits; bit 7 is the NMI mask and is ignored. */
	wr(0xc0, 0x77);
	CHECK_EQ(rd(0x40), 0x77);
	CHECK_EQ(rd(0xc0), 0x77);
	CHECK_EQ(rd(0x8d), 0x80);               /* register D */
	CHECK_EQ(rd(0x80), 0x56);               /* seconds */
	/* The alarm bytes are plain storage too. */
	wr(0x01, 0x12);
	wr(0x03, 0x34);
	wr(0x05, 0x56);
	CHECK_EQ(rd(0x01), 0x12);
	CHECK_EQ(rd(0x03), 0x34);
	CHECK_EQ(rd(0x05), 0x56);
	/* A 16-bit access is two byte accesses: index then data. */
	reg.write(reg.dev, 0, 2, 0x9940);
	CHECK_EQ(rd(0x40), 0x99);
}

static void ram_size(void)
{
	unsigned sum = 0;

	setup_at(LEAP_DAY * NS);
	cmos_rtc_set_ram_size(rtc, 512ull << 20);
	CHECK_EQ(rd(0x15) | rd(0x16) << 8, 640);
	CHECK_EQ(rd(0x17) | rd(0x18) << 8, 0xffff);  /* 523264 KiB: clamped */
	CHECK_EQ(rd(0x30) | rd(0x31) << 8, 0xffff);
	CHECK_EQ(rd(0x34) | rd(0x35) << 8, (512 - 16) * 16);
	CHECK_EQ(rd(0x5b) | rd(0x5c) | rd(0x5d), 0);
	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += rd((uint8_t)i);
	CHECK_EQ((unsigned)(rd(0x2e) << 8 | rd(0x2f)), sum);
	cmos_rtc_set_ram_size(rtc, 32ull << 20);
	CHECK_EQ(rd(0x17) | rd(0x18) << 8, 31 * 1024);
	cmos_rtc_set_ram_size(rtc, 6ull << 30);
	CHECK_EQ(rd(0x5b) | rd(0x5c) << 8 | rd(0x5d) << 16, 2 * 16384);
}

static void hostile_values(void)
{
	setup_at(LEAP_DAY * NS);
	check_rng_state = 0x146818;
	for (unsigned i = 0; i < 50000; i++) {
		uint64_t r = check_rng();

		fake_now += (r >> 40) % (50 * MS);
		if (r & 1)
			wr((uint8_t)(r >> 8), (uint8_t)(r >> 16));
		else
			(void)rd((uint8_t)(r >> 8));
		if (i % 11 == 0)
			cmos_rtc_tick(rtc);
	}
	/* Extremes: year 0000 and 9999, then the host clock stepping back. */
	wr(0x0b, 0x86);
	wr(0x32, 0);
	wr(0x09, 0);
	wr(0x0b, 0x06);
	fake_now -= 10 * NS;
	cmos_rtc_tick(rtc);
	(void)rd(0x00);
	wr(0x0b, 0x86);
	wr(0x32, 99);
	wr(0x09, 99);
	wr(0x08, 12);
	wr(0x07, 31);
	wr(0x04, 23);
	wr(0x02, 59);
	wr(0x00, 59);
	wr(0x0b, 0x06);
	fake_now += 2 * NS;
	CHECK_EQ(rd(0x09), 0);                  /* 10000: year 00 */
	CHECK_EQ(rd(0x0d), 0x80);
}

static void with_real_loop(void)
{
	struct emul_loop *loop = emul_loop_create();
	struct cmos_rtc *r;
	struct emul_pio_region region;

	fake_now = LEAP_DAY * NS;               /* the loop never runs: no firing */
	r = cmos_rtc_create(&irq_line, 8, fake_clock, loop);
	CHECK(r != NULL);
	cmos_rtc_region(r, &region);
	region.write(region.dev, 0, 1, 0x0b);
	region.write(region.dev, 1, 1, 0x52);  /* PIE + UIE: arms the timerfd */
	CHECK_EQ(cmos_rtc_next_event_ns(r), LEAP_DAY * NS + 976563);
	emul_loop_destroy(loop);
	cmos_rtc_destroy(r);
}

/* ---- A real loop (struct irq_waiter: irq_probe.h) -------------------------- */


/* The real thing: CLOCK_REALTIME, a running loop, the timerfd. Periodic
 * interrupts at 1024 Hz, acknowledged through register C. */
static void loop_delivers_irq8(void)
{
	struct irq_waiter w = { .lock = PTHREAD_MUTEX_INITIALIZER,
				.cond = PTHREAD_COND_INITIALIZER };
	struct emul_irq line = { .set = waiter_irq, .ctx = &w };
	struct emul_loop *loop = emul_loop_create();
	struct cmos_rtc *r = cmos_rtc_create(&line, 8, emul_realtime_ns, loop);
	struct emul_pio_region region;

	CHECK(r != NULL);
	CHECK_EQ(emul_loop_start(loop), 0);
	cmos_rtc_region(r, &region);
	region.write(region.dev, 0, 1, 0x0b);
	region.write(region.dev, 1, 1, 0x42);  /* PIE */
	CHECK(wait_rises(&w, 1) >= 1);
	region.write(region.dev, 0, 1, 0x0c);
	CHECK(region.read(region.dev, 1, 1) & 0xc0);  /* IRQF, PF; cleared */
	CHECK(wait_rises(&w, 2) >= 2);
	emul_loop_destroy(loop);
	cmos_rtc_destroy(r);
}

int main(void)
{
	RUN(region_and_defaults);
	RUN(bcd_read);
	RUN(binary_read);
	RUN(twelve_hour_mode);
	RUN(uip_window);
	RUN(across_second_boundary);
	RUN(century_rollover);
	RUN(set_time_with_set_bit);
	RUN(set_time_12_hour);
	RUN(register_c_clears_flags);
	RUN(update_interrupts);
	RUN(periodic_interrupts);
	RUN(alarm_interrupts);
	RUN(cmos_ram);
	RUN(ram_size);
	RUN(hostile_values);
	RUN(with_real_loop);
	RUN(loop_delivers_irq8);
	cmos_rtc_destroy(rtc);
	CHECK_EXIT();
}

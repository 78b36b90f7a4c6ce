/* test_pit8254.c: the 8254 PIT model (hv/hw/pit8254.c) on a fake
 * clock: counting, output pins, IRQ0 pulses at terminal count and per
 * period, the byte-access modes, latch and read-back, channel 2's gate and
 * output on port 0x61. Time only moves when a test moves it. */
#include <pthread.h>
#include <time.h>

#include "check.h"
#include "hw/pit8254.h"
#define IRQ_RECORD_RISES
#include "irq_probe.h"

#define NS 1000000000ull

static uint64_t fake_now;
static struct pit8254 *pit;
static struct emul_pio_region ports, port_b;

static uint64_t fake_clock(void)
{
	return fake_now;
}

/* The first clock time at which `ticks` PIT ticks have passed since t0. */
static uint64_t after_ticks(uint64_t t0, uint64_t ticks)
{
	return t0 + (ticks * NS + PIT8254_HZ - 1) / PIT8254_HZ;
}

static void setup(void)
{
	if (pit)
		pit8254_destroy(pit);
	fake_now = 1000 * NS;  /* an arbitrary boot-time clock */
	rises = last_irq = 0;
	level = 0;
	pit = pit8254_create(&irq_line, 0, fake_clock, NULL);
	pit8254_regions(pit, &ports, &port_b);
}

static uint8_t inb(uint16_t port)
{
	if (port == 0x61)
		return (uint8_t)port_b.read(port_b.dev, 0, 1);
	return (uint8_t)ports.read(ports.dev, (uint16_t)(port - 0x40), 1);
}

static void outb(uint16_t port, uint8_t v)
{
	if (port == 0x61)
		port_b.write(port_b.dev, 0, 1, v);
	else
		ports.write(ports.dev, (uint16_t)(port - 0x40), 1, v);
}

/* Control word, then a lobyte-then-hibyte count. */
static void program(unsigned ch, unsigned mode, unsigned count)
{
	outb(0x43, (uint8_t)((ch << 6) | 0x30 | (mode << 1)));
	outb((uint16_t)(0x40 + ch), (uint8_t)count);
	outb((uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

/* Two reads of a lobyte-then-hibyte counter, in that order. */
static unsigned read16(unsigned ch)
{
	unsigned lo = inb((uint16_t)(0x40 + ch));

	return lo | (unsigned)inb((uint16_t)(0x40 + ch)) << 8;
}

static unsigned read_latched(unsigned ch)
{
	unsigned lo, hi;

	outb(0x43, (uint8_t)(ch << 6));      /* counter latch */
	lo = inb((uint16_t)(0x40 + ch));
	hi = inb((uint16_t)(0x40 + ch));
	return lo | hi << 8;
}

static uint8_t read_status(unsigned ch)
{
	outb(0x43, (uint8_t)(0xe0 | (2u << ch)));  /* read-back: status only */
	return inb((uint16_t)(0x40 + ch));
}

static void regions(void)
{
	setup();
	CHECK(pit != NULL);
	CHECK_EQ(ports.base, 0x40);
	CHECK_EQ(ports.len, 4);
	CHECK_EQ(port_b.base, 0x61);
	CHECK_EQ(port_b.len, 1);
	CHECK_EQ(inb(0x43), 0xff);           /* the control register is write-only */
	CHECK(pit8254_create(&irq_line, 0, NULL, NULL) == NULL);
}

static void mode0_terminal_count(void)
{
	uint64_t t0, fire;
	struct pit8254_stats st;

	setup();
	t0 = fake_now;
	program(0, 0, 4096);
	CHECK_EQ(read_latched(0), 4096u);
	CHECK_EQ(read_status(0) & 0x80, 0x00);     /* OUT low while counting */
	fake_now = after_ticks(t0, 1000);
	CHECK_EQ(read_latched(0), 3096u);
	fire = after_ticks(t0, 4096);
	CHECK_EQ(pit8254_next_irq_ns(pit), fire);
	fake_now = fire - 1;
	pit8254_tick(pit);
	CHECK_EQ(rises, 0u);
	CHECK_EQ(read_status(0) & 0x80, 0x00);
	fake_now = fire;
	pit8254_tick(pit);
	CHECK_EQ(rises, 1u);
	CHECK_EQ(last_irq, 0u);
	CHECK_EQ(level, 0);                        /* a pulse */
	CHECK_EQ(read_status(0) & 0x80, 0x80);     /* OUT high at terminal count */
	CHECK_EQ(read_latched(0), 0u);
	fake_now += NS;                            /* one shot: never again */
	pit8254_tick(pit);
	CHECK_EQ(rises, 1u);
	CHECK_EQ(pit8254_next_irq_ns(pit), 0u);
	/* The counter keeps counting down through 0 (wrapping). */
	fake_now = after_ticks(t0, 4096 + 10);
	CHECK_EQ(read_latched(0), 65526u);
	pit8254_get_stats(pit, &st);
	CHECK_EQ(st.irqs, 1u);
	CHECK_EQ(st.missed_periods, 0u);
}

static void mode0_irq_found_by_register_access(void)
{
	uint64_t t0;

	setup();
	t0 = fake_now;
	program(0, 0, 100);
	fake_now = after_ticks(t0, 150);
	(void)inb(0x40);                           /* overdue: pulsed now */
	CHECK_EQ(rises, 1u);
	pit8254_tick(pit);
	CHECK_EQ(rises, 1u);                       /* and only once */
}

static void mode0_rewrite_restarts(void)
{
	uint64_t t0, t1;

	setup();
	t0 = fake_now;
	program(0, 0, 1000);
	fake_now = after_ticks(t0, 500);
	outb(0x40, 0xe8);                          /* first byte: counting stops */
	t1 = fake_now;
	fake_now = after_ticks(t0, 2000);
	pit8254_tick(pit);
	CHECK_EQ(rises, 0u);                       /* stopped: no terminal count */
	CHECK_EQ(read_status(0) & 0x80, 0x00);
	t1 = fake_now;
	outb(0x40, 0x03);                          /* 1000 again, from now */
	fake_now = after_ticks(t1, 999);
	pit8254_tick(pit);
	CHECK_EQ(rises, 0u);
	fake_now = after_ticks(t1, 1000);
	pit8254_tick(pit);
	CHECK_EQ(rises, 1u);
}

static void lobyte_hibyte_access(void)
{
	setup();
	outb(0x43, 0x50);                          /* ch1, lobyte only, mode 0 */
	outb(0x41, 0x34);
	CHECK_EQ(read_status(1), 0x10);            /* OUT low, loaded, rw=1 */
	CHECK_EQ(inb(0x41), 0x34);                 /* lobyte reads: only low */
	CHECK_EQ(inb(0x41), 0x34);
	outb(0x43, 0x60);                          /* ch1, hibyte only, mode 0 */
	outb(0x41, 0x12);
	CHECK_EQ(inb(0x41), 0x12);
	CHECK_EQ(inb(0x41), 0x12);
	outb(0x43, 0x40);
	CHECK_EQ(inb(0x41), 0x12);                 /* the latched count... */
	outb(0x43, 0x70);                          /* ch1, lobyte then hibyte */
	outb(0x41, 0x78);
	CHECK_EQ(read_status(1) & 0x40, 0x40);     /* half a count: null count */
	outb(0x41, 0x56);
	CHECK_EQ(inb(0x41), 0x78);                 /* low, high, low, ... */
	CHECK_EQ(inb(0x41), 0x56);
	CHECK_EQ(inb(0x41), 0x78);
	CHECK_EQ(inb(0x41), 0x56);
}

static void latch_holds_value(void)
{
	uint64_t t0;

	setup();
	t0 = fake_now;
	program(0, 2, 1000);
	fake_now = after_ticks(t0, 100);
	outb(0x43, 0x00);                          /* latch: 900 */
	fake_now = after_ticks(t0, 400);
	outb(0x43, 0x00);                          /* ignored while latched */
	CHECK_EQ(inb(0x40), 900 & 0xff);
	fake_now = after_ticks(t0, 450);
	CHECK_EQ(inb(0x40), 900 >> 8);
	/* Released after both bytes: live count again. */
	CHECK_EQ(read16(0), 550);
	/* A control word drops a latch nobody read. */
	outb(0x43, 0x00);
	outb(0x43, 0x34);
	outb(0x40, 0x10);
	outb(0x40, 0x00);
	CHECK_EQ(read16(0), 16);
}

static void read_back_status(void)
{
	uint64_t t0;

	setup();
	outb(0x43, 0x34);                          /* ch0, lohi, mode 2 */
	CHECK_EQ(read_status(0), 0xf4);            /* OUT high, null count, rw 3, mode 2 */
	t0 = fake_now;
	outb(0x40, 0x00);
	outb(0x40, 0x01);                          /* 256 */
	CHECK_EQ(read_status(0), 0xb4);            /* loaded */
	outb(0x43, 0x3f);                          /* mode 7 = 3, BCD bit */
	CHECK_EQ(read_status(0), 0xff);            /* reported as written */
	program(0, 2, 256);
	fake_now = after_ticks(t0, 10);
	/* Count and status of channels 0 and 2: status first, then count. */
	program(2, 0, 5000);
	outb(0x43, 0xca);                          /* 11 0 0 1 0 1 0: ch0, ch2 */
	CHECK_EQ(inb(0x40), 0xb4);
	CHECK_EQ(read16(0), 246u);
	CHECK_EQ(inb(0x42), 0x30);                 /* mode 0, gate low: not counting */
	CHECK_EQ(read16(2), 5000);
	/* Latch-count-only read-back, repeated: the first latch wins. */
	fake_now = after_ticks(fake_now, 0);
	outb(0x43, 0xd2);
	fake_now = after_ticks(fake_now, 50);
	outb(0x43, 0xd2);
	CHECK_EQ(read16(0), 246u);
}

/* A rate generator at about 1 kHz over one fake second, ticked every
 * 100 us: exactly one pulse per period; then a long gap coalesces. */
static void mode2_periodic_irqs(void)
{
	uint64_t t0;
	struct pit8254_stats st;

	setup();
	t0 = fake_now;
	program(0, 2, 1193);
	for (unsigned i = 1; i <= 10000; i++) {
		fake_now = t0 + i * 100000ull;
		pit8254_tick(pit);
	}
	/* 1193182 ticks in a second; an edge every 1193: 1000 edges. */
	CHECK_EQ(rises, 1000u);
	pit8254_get_stats(pit, &st);
	CHECK_EQ(st.missed_periods, 0u);
	CHECK_EQ(pit8254_next_irq_ns(pit), after_ticks(t0, 1001 * 1193));
	fake_now = after_ticks(t0, 1011 * 1193);   /* 11 periods at once */
	pit8254_tick(pit);
	CHECK_EQ(rises, 1001u);
	pit8254_get_stats(pit, &st);
	CHECK_EQ(st.irqs, 1001u);
	CHECK_EQ(st.missed_periods, 10u);
}

static void mode2_count_and_output(void)
{
	uint64_t t0;

	setup();
	t0 = fake_now;
	program(2, 2, 10);
	outb(0x61, 0x01);                          /* gate high: starts */
	t0 = fake_now;
	for (unsigned t = 0; t < 25; t++) {
		fake_now = after_ticks(t0, t);
		CHECK_EQ(read_latched(2), 10 - t % 10);
		CHECK_EQ(!!(inb(0x61) & 0x20), t % 10 != 9);  /* low for one tick */
	}
	/* A new count waits for the end of the period. */
	fake_now = after_ticks(t0, 32);
	program(2, 2, 10);                         /* (restart: a control word) */
	t0 = fake_now;
	fake_now = after_ticks(t0, 3);
	outb(0x42, 20);
	outb(0x42, 0);
	CHECK_EQ(read_status(2) & 0x40, 0x40);     /* null count until loaded */
	CHECK_EQ(read_latched(2), 7);
	fake_now = after_ticks(t0, 10);
	CHECK_EQ(read_latched(2), 20);
	CHECK_EQ(read_status(2) & 0x40, 0x00);
	fake_now = after_ticks(t0, 25);
	CHECK_EQ(read_latched(2), 5);
	CHECK_EQ(rises, 0u);                       /* channel 2 never raises IRQ0 */
}

static void mode3_square_wave(void)
{
	uint64_t t0;
	unsigned high = 0;

	setup();
	outb(0x61, 0x01);
	program(2, 3, 100);
	t0 = fake_now;
	for (unsigned t = 0; t < 100; t++) {
		fake_now = after_ticks(t0, t);
		high += !!(inb(0x61) & 0x20);
	}
	CHECK_EQ(high, 50u);
	fake_now = after_ticks(t0, 10);
	CHECK_EQ(read_latched(2), 80u);           /* counts down by two */
	fake_now = after_ticks(t0, 70);
	CHECK_EQ(read_latched(2), 60u);
	CHECK_EQ(inb(0x61) & 0x20, 0x00);          /* the low half */
	outb(0x61, 0x00);                          /* gate low: OUT high, stopped */
	CHECK(inb(0x61) & 0x20);
	fake_now = after_ticks(t0, 95);
	CHECK(inb(0x61) & 0x20);
	CHECK_EQ(read_latched(2), 60u);
	outb(0x61, 0x01);                          /* rising edge: restarts at 100 */
	t0 = fake_now;
	fake_now = after_ticks(t0, 10);
	CHECK_EQ(read_latched(2), 80u);
}

/* The TSC calibration dance: mode 0 on channel 2, gate on, poll bit 5. */
static void channel2_gate_and_port_b(void)
{
	uint64_t t1;

	setup();
	CHECK_EQ(inb(0x61) & 0x0f, 0x00);
	outb(0x43, 0xb0);                          /* ch2, lohi, mode 0 */
	outb(0x42, 0x9c);
	outb(0x42, 0x2e);                          /* 11932: 10 ms */
	fake_now += 20000000;                      /* gate low: no counting */
	CHECK_EQ(inb(0x61) & 0x20, 0x00);
	CHECK_EQ(read_latched(2), 11932u);
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	t1 = fake_now;
	CHECK_EQ(inb(0x61) & 0x01, 0x01);
	fake_now = after_ticks(t1, 11931);
	CHECK_EQ(inb(0x61) & 0x20, 0x00);
	fake_now = after_ticks(t1, 11932);
	CHECK_EQ(inb(0x61) & 0x20, 0x20);
	CHECK_EQ(rises, 0u);

	/* Gate low pauses a mode 0 count; high resumes it. */
	program(2, 0, 1000);
	t1 = fake_now;
	fake_now = after_ticks(t1, 400);
	outb(0x61, 0x00);
	CHECK_EQ(read_latched(2), 600u);
	fake_now += NS;
	CHECK_EQ(read_latched(2), 600u);
	outb(0x61, 0x01);
	t1 = fake_now;
	fake_now = after_ticks(t1, 599);
	CHECK_EQ(inb(0x61) & 0x20, 0x00);
	fake_now = after_ticks(t1, 600);
	CHECK_EQ(inb(0x61) & 0x20, 0x20);
}

static void mode1_gate_trigger(void)
{
	uint64_t t1;

	setup();
	outb(0x61, 0x01);
	program(2, 1, 100);                        /* gate already high: waits */
	CHECK(inb(0x61) & 0x20);
	CHECK_EQ(read_status(2) & 0x40, 0x40);     /* not loaded yet */
	fake_now += NS;
	CHECK(inb(0x61) & 0x20);
	outb(0x61, 0x00);
	outb(0x61, 0x01);                          /* rising edge: one shot */
	t1 = fake_now;
	CHECK_EQ(inb(0x61) & 0x20, 0x00);
	CHECK_EQ(read_status(2) & 0x40, 0x00);
	fake_now = after_ticks(t1, 60);
	CHECK_EQ(read_latched(2), 40u);
	outb(0x61, 0x00);                          /* gate low does not stop mode 1 */
	fake_now = after_ticks(t1, 70);
	CHECK_EQ(read_latched(2), 30u);
	outb(0x61, 0x01);                          /* retrigger: 100 again */
	t1 = fake_now;
	fake_now = after_ticks(t1, 99);
	CHECK_EQ(inb(0x61) & 0x20, 0x00);
	fake_now = after_ticks(t1, 100);
	CHECK_EQ(inb(0x61) & 0x20, 0x20);

	/* Mode 5: OUT strobes low for one tick at the end. */
	program(2, 5, 50);
	outb(0x61, 0x00);
	outb(0x61, 0x01);
	t1 = fake_now;
	fake_now = after_ticks(t1, 49);
	CHECK(inb(0x61) & 0x20);
	fake_now = after_ticks(t1, 50);
	CHECK_EQ(inb(0x61) & 0x20, 0x00);
	fake_now = after_ticks(t1, 51);
	CHECK(inb(0x61) & 0x20);
}

static void mode4_strobe_irq(void)
{
	uint64_t t0;

	setup();
	t0 = fake_now;
	program(0, 4, 300);                        /* Linux's one-shot PIT mode */
	fake_now = after_ticks(t0, 300);
	pit8254_tick(pit);
	CHECK_EQ(rises, 0u);                       /* OUT goes low at 0... */
	CHECK_EQ(read_status(0) & 0x80, 0x00);
	fake_now = after_ticks(t0, 301);
	pit8254_tick(pit);
	CHECK_EQ(rises, 1u);                       /* ...and the rising edge is IRQ0 */
	fake_now += NS;
	pit8254_tick(pit);
	CHECK_EQ(rises, 1u);
}

static void count_zero_is_65536(void)
{
	uint64_t t0;

	setup();
	t0 = fake_now;
	program(0, 0, 0);
	fake_now = after_ticks(t0, 1000);
	CHECK_EQ(read_latched(0), 64536u);
	fake_now = after_ticks(t0, 65535);
	pit8254_tick(pit);
	CHECK_EQ(rises, 0u);
	fake_now = after_ticks(t0, 65536);
	pit8254_tick(pit);
	CHECK_EQ(rises, 1u);
	/* Periodic with 0: 65536-tick periods (18.2 Hz). */
	program(0, 2, 0);
	t0 = fake_now;
	fake_now = after_ticks(t0, 3 * 65536);
	pit8254_tick(pit);
	CHECK_EQ(rises, 2u);
	CHECK_EQ(pit8254_next_irq_ns(pit), after_ticks(t0, 4 * 65536));
}

static void refresh_bit_toggles(void)
{
	uint8_t a, b, c;

	setup();
	outb(0x61, 0xff);
	a = inb(0x61);
	b = inb(0x61);
	c = inb(0x61);
	CHECK_EQ((a ^ b) & 0x10, 0x10);
	CHECK_EQ((b ^ c) & 0x10, 0x10);
	CHECK_EQ(a & 0xcf, 0x0f);                  /* bits 0-3 as written, 6-7 zero */
}

static void hostile_values(void)
{
	setup();
	check_rng_state = 0x8254;
	for (unsigned i = 0; i < 50000; i++) {
		uint64_t r = check_rng();
		uint16_t port = (r & 7) == 7 ? 0x61 : (uint16_t)(0x40 + (r >> 3) % 4);

		fake_now += (r >> 8) % 100000;
		if (r & 0x100000)
			outb(port, (uint8_t)(r >> 24));
		else
			(void)inb(port);
		if (i % 13 == 0)
			pit8254_tick(pit);
	}
	fake_now += 1000 * NS;                     /* a long pause, then more */
	pit8254_tick(pit);
	program(0, 2, 1);                          /* illegal in mode 2 */
	fake_now += NS;
	pit8254_tick(pit);
	CHECK(rises > 0);
}

static void with_real_loop(void)
{
	struct emul_loop *loop = emul_loop_create();
	struct pit8254 *p = pit8254_create(&irq_line, 0, emul_monotonic_ns, loop);
	struct emul_pio_region r, b;

	CHECK(p != NULL);
	pit8254_regions(p, &r, &b);
	r.write(r.dev, 3, 1, 0x34);               /* arms the timerfd */
	r.write(r.dev, 0, 1, 0xff);
	r.write(r.dev, 0, 1, 0xff);
	CHECK(pit8254_next_irq_ns(p) > 0);
	emul_loop_destroy(loop);                   /* loop first, then the model */
	pit8254_destroy(p);
}

/* ---- A real loop (struct irq_waiter: irq_probe.h) -------------------------- */


/* The real thing: CLOCK_MONOTONIC, a running loop, the timerfd. The
 * rate generator at 1 kHz must deliver pulses without any tick call. */
static void loop_delivers_irq0(void)
{
	struct irq_waiter w = { .lock = PTHREAD_MUTEX_INITIALIZER,
				.cond = PTHREAD_COND_INITIALIZER };
	struct emul_irq line = { .set = waiter_irq, .ctx = &w };
	struct emul_loop *loop = emul_loop_create();
	struct pit8254 *p = pit8254_create(&line, 0, emul_monotonic_ns, loop);
	struct emul_pio_region r, b;

	CHECK(p != NULL);
	CHECK_EQ(emul_loop_start(loop), 0);
	pit8254_regions(p, &r, &b);
	r.write(r.dev, 3, 1, 0x34);
	r.write(r.dev, 0, 1, 1193 & 0xff);
	r.write(r.dev, 0, 1, 1193 >> 8);
	CHECK(wait_rises(&w, 3) >= 3);
	emul_loop_destroy(loop);
	pit8254_destroy(p);
}

int main(void)
{
	RUN(regions);
	RUN(mode0_terminal_count);
	RUN(mode0_irq_found_by_register_access);
	RUN(mode0_rewrite_restarts);
	RUN(lobyte_hibyte_access);
	RUN(latch_holds_value);
	RUN(read_back_status);
	RUN(mode2_periodic_irqs);
	RUN(mode2_count_and_output);
	RUN(mode3_square_wave);
	RUN(channel2_gate_and_port_b);
	RUN(mode1_gate_trigger);
	RUN(mode4_strobe_irq);
	RUN(count_zero_is_65536);
	RUN(refresh_bit_toggles);
	RUN(hostile_values);
	RUN(with_real_loop);
	RUN(loop_delivers_irq0);
	pit8254_destroy(pit);
	CHECK_EXIT();
}

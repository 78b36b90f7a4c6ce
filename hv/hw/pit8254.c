/* pit8254.c: the 8254 PIT model (see pit8254.h). Each channel's counting
 * element is a function of time: elapsed ticks = acc + ticks since
 * start_ns while running. Rising edges of OUT are accounted lazily by
 * advance() (up to `seen`), which is how IRQ0 fires exactly once per edge
 * whether the timerfd, a register access or a test finds it. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "hw/pit8254.h"

#define NS_PER_S 1000000000ull

#define RW_LSB   1
#define RW_MSB   2
#define RW_BOTH  3

#define PORTB_WRITABLE 0x0f   /* gate 2, speaker data, parity/IOCHK enables */
#define PORTB_GATE2    0x01
#define PORTB_REFRESH  0x10
#define PORTB_OUT2     0x20

struct pit_channel {
	uint8_t mode;          /* 0-5 */
	uint8_t mode_bits;     /* 0-7 as written, for the status byte */
	uint8_t rw;            /* RW_LSB, RW_MSB, RW_BOTH */
	bool bcd;              /* reported only: counting is binary */

	uint32_t count_reg;    /* last whole count written, 1..65536 */
	bool count_valid;      /* a count was written since the control word */
	bool null_count;

	bool armed;            /* the counting element holds `active` */
	uint32_t active;
	bool pending;          /* modes 2/3: count_reg loads at elapsed == pending_at */
	int64_t pending_at;

	bool gate;
	bool running;          /* armed and counting (gate permitting) */
	uint64_t start_ns;
	int64_t acc;           /* ticks counted before start_ns */
	int64_t seen;          /* OUT edges accounted up to this elapsed tick */
	uint16_t idle_value;   /* what an unloaded counting element reads */

	bool write_msb_next;
	uint8_t write_lsb;
	bool read_msb_next;
	bool count_latched;
	bool latch_msb_next;
	uint16_t latched;
	bool status_latched;
	uint8_t status;
};

struct pit8254 {
	pthread_mutex_t lock;
	struct emul_irq irq;
	bool has_irq;
	unsigned irq_nr;
	emul_clock_fn clock;
	struct pit_channel ch[3];
	uint8_t port_b;        /* PORTB_WRITABLE bits */
	bool refresh;
	int timer_fd;
	struct emul_watch *watch;
	uint64_t armed_ns;     /* what the timerfd is set to, 0 disarmed */
	uint64_t next_irq_ns;
	struct pit8254_stats stats;
};

/* ---- Time ------------------------------------------------------------------ */

static uint64_t ns_to_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * PIT8254_HZ / NS_PER_S);
}

/* The first ns at which ns_to_ticks() reaches t. */
static uint64_t ticks_to_ns_ceil(uint64_t t)
{
	return (uint64_t)(((unsigned __int128)t * NS_PER_S + PIT8254_HZ - 1) / PIT8254_HZ);
}

static int64_t elapsed(const struct pit_channel *c, uint64_t now)
{
	int64_t e = c->acc;

	if (c->running && now > c->start_ns)
		e += (int64_t)ns_to_ticks(now - c->start_ns);
	return e;
}

static bool is_periodic(const struct pit_channel *c)
{
	return c->mode == 2 || c->mode == 3;
}

static bool gate_triggered(const struct pit_channel *c)
{
	return c->mode == 1 || c->mode == 5;
}

/* ---- One channel: counting element, OUT, edges ----------------------------- */

static void arm(struct pit_channel *c, uint64_t now, uint32_t n)
{
	c->active = n;
	c->armed = true;
	c->pending = false;
	c->null_count = false;
	c->acc = 0;
	c->seen = 0;
	c->start_ns = now;
	c->running = gate_triggered(c) || c->gate;
}

/* Rising edges of OUT with elapsed ticks in (a, b], for count `active`. */
static uint64_t edges_in(const struct pit_channel *c, int64_t a, int64_t b)
{
	int64_t n = c->active;

	if (b <= a)
		return 0;
	switch (c->mode) {
	case 0:
	case 1:
		return a < n && n <= b;
	case 4:
	case 5:
		return a < n + 1 && n + 1 <= b;
	default:
		return (uint64_t)(b / n - a / n);
	}
}

/* Brings the channel to now: loads a pending count whose period ended,
 * and returns the OUT rising edges not accounted before. */
static uint64_t advance(struct pit_channel *c, uint64_t now)
{
	uint64_t edges = 0;
	int64_t e;

	if (!c->armed)
		return 0;
	e = elapsed(c, now);
	if (c->pending && e >= c->pending_at) {
		edges += edges_in(c, c->seen, c->pending_at);
		c->acc -= c->pending_at;
		e -= c->pending_at;
		c->seen = 0;
		c->active = c->count_reg;
		c->pending = false;
		c->null_count = false;
	}
	edges += edges_in(c, c->seen, e);
	if (e > c->seen)
		c->seen = e;
	return edges;
}

static uint16_t count_value(const struct pit_channel *c, uint64_t now)
{
	int64_t e;
	uint32_t n = c->active;

	if (!c->armed)
		return c->idle_value;
	e = elapsed(c, now);
	switch (c->mode) {
	case 2:
		return (uint16_t)(n - (uint32_t)(e % n));
	case 3:
		return (uint16_t)((n - (uint32_t)((2 * e) % n)) & 0xfffe);
	default:  /* counts down through 0 and wraps, modulo 65536 */
		return (uint16_t)(n - (uint32_t)(e & 0xffff));
	}
}

static bool out_level(const struct pit_channel *c, uint64_t now)
{
	int64_t e, n = c->active;

	if (!c->armed)
		return c->mode != 0;
	e = elapsed(c, now);
	switch (c->mode) {
	case 0:
	case 1:
		return e >= n;
	case 2:
		return !c->gate || n < 2 || e % n != n - 1;
	case 3:
		return !c->gate || e % n < (n + 1) / 2;
	default:
		return e != n;
	}
}

static uint8_t status_byte(const struct pit_channel *c, uint64_t now)
{
	return (uint8_t)((out_level(c, now) ? 0x80 : 0) | (c->null_count ? 0x40 : 0) |
			 (c->rw << 4) | (c->mode_bits << 1) | (c->bcd ? 1 : 0));
}

/* The clock time of OUT's next rising edge, 0 if none is coming. */
static uint64_t next_edge_ns(const struct pit_channel *c)
{
	int64_t n = c->active, target;

	if (!c->armed || !c->running)
		return 0;
	switch (c->mode) {
	case 0:
	case 1:
		target = n;
		break;
	case 4:
	case 5:
		target = n + 1;
		break;
	default:
		target = (c->seen / n + 1) * n;
		break;
	}
	if (target <= c->seen)
		return 0;
	if (target <= c->acc)
		return c->start_ns;
	return c->start_ns + ticks_to_ns_ceil((uint64_t)(target - c->acc));
}

/* ---- Programming ----------------------------------------------------------- */

static void set_mode(struct pit_channel *c, uint8_t rw, uint8_t mode_bits, bool bcd, uint64_t now)
{
	c->idle_value = count_value(c, now);
	c->rw = rw;
	c->mode_bits = mode_bits;
	c->mode = mode_bits > 5 ? (uint8_t)(mode_bits - 4) : mode_bits;
	c->bcd = bcd;
	c->armed = c->running = c->pending = false;
	c->count_valid = false;
	c->null_count = true;
	c->write_msb_next = c->read_msb_next = false;
	c->count_latched = c->status_latched = c->latch_msb_next = false;
}

static void load_count(struct pit_channel *c, uint64_t now)
{
	switch (c->mode) {
	case 0:
	case 4:
		arm(c, now, c->count_reg);
		break;
	case 2:
	case 3:
		if (!c->armed) {
			arm(c, now, c->count_reg);
		} else {  /* the current period ends first */
			c->pending = true;
			c->pending_at = (elapsed(c, now) / c->active + 1) * c->active;
		}
		break;
	default:  /* modes 1 and 5 wait for a gate trigger */
		break;
	}
}

static void write_count_byte(struct pit_channel *c, uint8_t v, uint64_t now)
{
	uint32_t n;

	switch (c->rw) {
	case RW_LSB:
		n = v;
		break;
	case RW_MSB:
		n = (uint32_t)v << 8;
		break;
	default:
		if (!c->write_msb_next) {
			c->write_lsb = v;
			c->write_msb_next = true;
			if (c->mode == 0) {  /* the first byte stops the count */
				c->idle_value = count_value(c, now);
				c->armed = c->running = false;
			}
			return;
		}
		c->write_msb_next = false;
		n = c->write_lsb | (uint32_t)v << 8;
		break;
	}
	c->count_reg = n ? n : 65536;
	c->count_valid = true;
	c->null_count = true;
	load_count(c, now);
}

static void set_gate(struct pit_channel *c, bool level, uint64_t now)
{
	if (level == c->gate)
		return;
	if (!level) {
		if (c->running && !gate_triggered(c)) {
			c->acc = elapsed(c, now);
			c->running = false;
		}
		c->gate = false;
		return;
	}
	c->gate = true;
	if (gate_triggered(c) || is_periodic(c)) {
		if (c->count_valid)
			arm(c, now, c->count_reg);
	} else if (c->armed) {
		c->start_ns = now;
		c->running = true;
	}
}

/* ---- Reading --------------------------------------------------------------- */

static uint8_t select_byte(const struct pit_channel *c, uint16_t v, bool *msb_next)
{
	bool msb;

	switch (c->rw) {
	case RW_LSB:
		return (uint8_t)v;
	case RW_MSB:
		return (uint8_t)(v >> 8);
	default:
		msb = *msb_next;
		*msb_next = !msb;
		return msb ? (uint8_t)(v >> 8) : (uint8_t)v;
	}
}

static uint8_t read_counter(struct pit_channel *c, uint64_t now)
{
	uint8_t b;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		b = select_byte(c, c->latched, &c->latch_msb_next);
		if (c->rw != RW_BOTH || !c->latch_msb_next)
			c->count_latched = false;
		return b;
	}
	return select_byte(c, count_value(c, now), &c->read_msb_next);
}

static void latch_count(struct pit_channel *c, uint64_t now)
{
	if (c->count_latched)
		return;
	c->latched = count_value(c, now);
	c->count_latched = true;
	c->latch_msb_next = false;
}

static void latch_status(struct pit_channel *c, uint64_t now)
{
	if (c->status_latched)
		return;
	c->status = status_byte(c, now);
	c->status_latched = true;
}

static void read_back(struct pit8254 *p, uint8_t v, uint64_t now)
{
	for (unsigned i = 0; i < 3; i++) {
		if (!(v & (2u << i)))
			continue;
		if (!(v & 0x20))
			latch_count(&p->ch[i], now);
		if (!(v & 0x10))
			latch_status(&p->ch[i], now);
	}
}

static void write_control(struct pit8254 *p, uint8_t v, uint64_t now)
{
	unsigned sc = v >> 6;
	uint8_t rw = (v >> 4) & 3;
	struct pit_channel *c;

	if (sc == 3) {
		read_back(p, v, now);
		return;
	}
	c = &p->ch[sc];
	if (rw == 0)
		latch_count(c, now);
	else
		set_mode(c, rw, (v >> 1) & 7, v & 1, now);
}

/* ---- IRQ0 and the timer ---------------------------------------------------- */

static void sync_channels(struct pit8254 *p, uint64_t now)
{
	uint64_t edges = advance(&p->ch[0], now);

	advance(&p->ch[1], now);
	advance(&p->ch[2], now);
	if (!edges)
		return;
	if (p->has_irq)
		emul_irq_pulse(&p->irq, p->irq_nr);
	p->stats.irqs++;
	p->stats.missed_periods += edges - 1;
}

static void set_timer(struct pit8254 *p, uint64_t at)
{
	struct itimerspec its = { 0 };

	if (p->timer_fd < 0 || at == p->armed_ns)
		return;
	its.it_value.tv_sec = (time_t)(at / NS_PER_S);
	its.it_value.tv_nsec = (long)(at % NS_PER_S);
	if (timerfd_settime(p->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		p->armed_ns = at;
}

static void rearm(struct pit8254 *p, uint64_t now)
{
	const struct pit_channel *c = &p->ch[0];
	uint64_t at = next_edge_ns(c);

	p->next_irq_ns = at;
	if (at && is_periodic(c) && at < now + PIT8254_MIN_PERIOD_NS)
		at = now + PIT8254_MIN_PERIOD_NS;
	set_timer(p, at);
}

static void tick_locked(struct pit8254 *p)
{
	uint64_t now = p->clock();

	sync_channels(p, now);
	rearm(p, now);
}

void pit8254_tick(struct pit8254 *p)
{
	pthread_mutex_lock(&p->lock);
	tick_locked(p);
	pthread_mutex_unlock(&p->lock);
}

static void pit_timer_ready(void *dev)
{
	struct pit8254 *p = dev;
	uint64_t expirations;

	if (read(p->timer_fd, &expirations, sizeof(expirations)) < 0) {
		/* EAGAIN: re-armed meanwhile; the tick below is harmless. */
	}
	pthread_mutex_lock(&p->lock);
	p->armed_ns = 0;  /* a one-shot timer that fired is disarmed */
	tick_locked(p);
	pthread_mutex_unlock(&p->lock);
}

/* ---- Bus glue -------------------------------------------------------------- */

static uint8_t pit_read8(void *dev, uint16_t offset)
{
	struct pit8254 *p = dev;
	uint64_t now;
	uint8_t v = 0xff;  /* the control register reads as nothing */

	pthread_mutex_lock(&p->lock);
	now = p->clock();
	sync_channels(p, now);
	if (offset < 3)
		v = read_counter(&p->ch[offset], now);
	rearm(p, now);
	pthread_mutex_unlock(&p->lock);
	return v;
}

static void pit_write8(void *dev, uint16_t offset, uint8_t value)
{
	struct pit8254 *p = dev;
	uint64_t now;

	pthread_mutex_lock(&p->lock);
	now = p->clock();
	sync_channels(p, now);
	if (offset < 3)
		write_count_byte(&p->ch[offset], value, now);
	else
		write_control(p, value, now);
	rearm(p, now);
	pthread_mutex_unlock(&p->lock);
}

static uint32_t pit_read(void *dev, uint16_t offset, unsigned size)
{
	return emul_read_bytes(pit_read8, dev, offset, size, PIT8254_NR_PORTS);
}

static void pit_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	emul_write_bytes(pit_write8, dev, offset, size, value, PIT8254_NR_PORTS);
}

static uint8_t port_b_read8(void *dev, uint16_t offset)
{
	struct pit8254 *p = dev;
	uint64_t now;
	uint8_t v;

	(void)offset;
	pthread_mutex_lock(&p->lock);
	now = p->clock();
	sync_channels(p, now);
	v = (uint8_t)(p->port_b | (p->refresh ? PORTB_REFRESH : 0) |
		      (out_level(&p->ch[2], now) ? PORTB_OUT2 : 0));
	p->refresh = !p->refresh;
	rearm(p, now);
	pthread_mutex_unlock(&p->lock);
	return v;
}

static void port_b_write8(void *dev, uint16_t offset, uint8_t value)
{
	struct pit8254 *p = dev;
	uint64_t now;

	(void)offset;
	pthread_mutex_lock(&p->lock);
	now = p->clock();
	sync_channels(p, now);
	p->port_b = value & PORTB_WRITABLE;
	set_gate(&p->ch[2], value & PORTB_GATE2, now);
	rearm(p, now);
	pthread_mutex_unlock(&p->lock);
}

static uint32_t port_b_read(void *dev, uint16_t offset, unsigned size)
{
	return emul_read_bytes(port_b_read8, dev, offset, size, 1);
}

static void port_b_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	emul_write_bytes(port_b_write8, dev, offset, size, value, 1);
}

/* ---- Lifetime -------------------------------------------------------------- */

static void channel_reset(struct pit_channel *c, bool gate)
{
	*c = (struct pit_channel){ .rw = RW_BOTH, .null_count = true, .gate = gate };
}

static int start_timer(struct pit8254 *p, struct emul_loop *loop)
{
	if (!loop)
		return 0;
	p->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (p->timer_fd < 0)
		return -1;
	p->watch = emul_loop_watch(loop, p->timer_fd, pit_timer_ready, p);
	return p->watch ? 0 : -1;
}

struct pit8254 *pit8254_create(const struct emul_irq *irq, unsigned irq_nr,
			       emul_clock_fn clock, struct emul_loop *loop)
{
	struct pit8254 *p;

	if (!clock)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	if (irq) {
		p->irq = *irq;
		p->has_irq = true;
	}
	p->irq_nr = irq_nr;
	p->clock = clock;
	p->timer_fd = -1;
	for (unsigned i = 0; i < 3; i++)
		channel_reset(&p->ch[i], i != 2);
	if (start_timer(p, loop) < 0) {
		pit8254_destroy(p);
		return NULL;
	}
	return p;
}

void pit8254_destroy(struct pit8254 *p)
{
	if (!p)
		return;
	if (p->timer_fd >= 0)
		close(p->timer_fd);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void pit8254_regions(struct pit8254 *p, struct emul_pio_region *pit,
		     struct emul_pio_region *port_b)
{
	*pit = (struct emul_pio_region){
		.name = "pit8254", .base = 0x40, .len = PIT8254_NR_PORTS,
		.read = pit_read, .write = pit_write, .dev = p,
	};
	*port_b = (struct emul_pio_region){
		.name = "port-b", .base = 0x61, .len = 1,
		.read = port_b_read, .write = port_b_write, .dev = p,
	};
}

uint64_t pit8254_next_irq_ns(struct pit8254 *p)
{
	uint64_t t;

	pthread_mutex_lock(&p->lock);
	t = p->next_irq_ns;
	pthread_mutex_unlock(&p->lock);
	return t;
}

void pit8254_get_stats(struct pit8254 *p, struct pit8254_stats *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->stats;
	pthread_mutex_unlock(&p->lock);
}

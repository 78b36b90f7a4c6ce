/* test_emul_bus.c: the emulated I/O-port bus (hv/hw/emul_bus.c):
 * dispatch by port and size, refused overlaps, unowned ports reading all
 * ones and counted, accesses straddling a region's end; the byte-splitting
 * helpers; and the device event loop (hv/hw/emul_loop.c): a watch's
 * callback runs on its fd, a paused watch does not, destroy joins. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "hw/emul.h"

/* A fake device that records its last access and answers a pattern. */
struct fake_dev {
	unsigned reads, writes;
	uint16_t last_offset;
	unsigned last_size;
	uint32_t last_value;
	uint32_t answer;
};

static uint32_t fake_read(void *dev, uint16_t offset, unsigned size)
{
	struct fake_dev *d = dev;

	d->reads++;
	d->last_offset = offset;
	d->last_size = size;
	return d->answer + offset;
}

static void fake_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct fake_dev *d = dev;

	d->writes++;
	d->last_offset = offset;
	d->last_size = size;
	d->last_value = value;
}

static struct emul_pio_region region(struct fake_dev *d, uint16_t base, uint16_t len)
{
	return (struct emul_pio_region){
		.name = "fake", .base = base, .len = len,
		.read = fake_read, .write = fake_write, .dev = d,
	};
}

static void dispatch_by_port(void)
{
	struct emul_bus bus = { 0 };
	struct fake_dev a = { .answer = 0x1000 }, b = { .answer = 0x2000 };
	struct emul_pio_region ra = region(&a, 0x40, 4), rb = region(&b, 0x3f8, 8);
	uint32_t v = 0;

	CHECK_EQ(emul_bus_add(&bus, &ra), 0);
	CHECK_EQ(emul_bus_add(&bus, &rb), 0);
	CHECK(emul_bus_read(&bus, 0x42, 1, &v));
	CHECK_EQ(v, 0x02u);               /* 0x1002, masked to one byte */
	CHECK_EQ(a.last_offset, 2);
	CHECK_EQ(a.last_size, 1u);
	CHECK(emul_bus_read(&bus, 0x3f8, 4, &v));
	CHECK_EQ(v, 0x2000u);
	CHECK_EQ(b.last_size, 4u);
	CHECK(emul_bus_write(&bus, 0x3fd, 2, 0xabcd1234));
	CHECK_EQ(b.last_offset, 5);
	CHECK_EQ(b.last_value, 0x1234u); /* masked to the access size */
	CHECK_EQ(a.writes, 0u);
	CHECK_EQ(bus.unhandled_reads, 0u);
	CHECK_EQ(bus.unhandled_writes, 0u);
}

static void overlap_refused(void)
{
	struct emul_bus bus = { 0 };
	struct fake_dev d = { 0 };
	struct emul_pio_region r1 = region(&d, 0x70, 2), r2 = region(&d, 0x71, 1),
			       r3 = region(&d, 0x6f, 2), r4 = region(&d, 0x72, 1),
			       r5 = region(&d, 0x60, 0x20), r6 = region(&d, 0x6f, 1);

	CHECK_EQ(emul_bus_add(&bus, &r1), 0);
	CHECK_EQ(emul_bus_add(&bus, &r2), -1);   /* inside */
	CHECK_EQ(emul_bus_add(&bus, &r3), -1);   /* overlaps the start */
	CHECK_EQ(emul_bus_add(&bus, &r5), -1);   /* contains it */
	CHECK_EQ(emul_bus_add(&bus, &r4), 0);    /* adjacent after */
	CHECK_EQ(emul_bus_add(&bus, &r6), 0);    /* adjacent before */
	CHECK_EQ(bus.nr_regions, 3u);
}

static void bad_regions_refused(void)
{
	struct emul_bus bus = { 0 };
	struct fake_dev d = { 0 };
	struct emul_pio_region empty = region(&d, 0x80, 0), wrap = region(&d, 0xfff0, 0x20),
			       top = region(&d, 0xfff0, 0x10), noread = region(&d, 0x90, 1);

	noread.read = NULL;
	CHECK_EQ(emul_bus_add(&bus, &empty), -1);
	CHECK_EQ(emul_bus_add(&bus, &wrap), -1);
	CHECK_EQ(emul_bus_add(&bus, &noread), -1);
	CHECK_EQ(emul_bus_add(&bus, &top), 0);   /* ends exactly at 0x10000 */
}

static void bus_full(void)
{
	struct emul_bus bus = { 0 };
	struct fake_dev d = { 0 };

	for (unsigned i = 0; i < EMUL_MAX_REGIONS; i++) {
		struct emul_pio_region r = region(&d, (uint16_t)(0x100 + i * 2), 2);

		CHECK_EQ(emul_bus_add(&bus, &r), 0);
	}
	struct emul_pio_region extra = region(&d, 0x800, 1);

	CHECK_EQ(emul_bus_add(&bus, &extra), -1);
}

static void unowned_all_ones_and_counted(void)
{
	struct emul_bus bus = { 0 };
	struct fake_dev d = { 0 };
	struct emul_pio_region r = region(&d, 0x70, 2);
	uint32_t v = 0;

	emul_bus_add(&bus, &r);
	CHECK(!emul_bus_read(&bus, 0x80, 1, &v));
	CHECK_EQ(v, 0xffu);
	CHECK(!emul_bus_read(&bus, 0x80, 2, &v));
	CHECK_EQ(v, 0xffffu);
	CHECK(!emul_bus_read(&bus, 0xe0, 4, &v));
	CHECK_EQ(v, 0xffffffffu);
	CHECK(!emul_bus_write(&bus, 0x501, 4, 0));
	CHECK(!emul_bus_write(&bus, 0xe6, 1, 0));
	CHECK_EQ(bus.unhandled_reads, 3u);
	CHECK_EQ(bus.unhandled_writes, 2u);
	CHECK_EQ(d.reads + d.writes, 0u);
	/* An access of a size the bus does not know is unowned too. */
	CHECK(!emul_bus_read(&bus, 0x70, 3, &v));
	CHECK_EQ(bus.unhandled_reads, 4u);
	CHECK_EQ(d.reads, 0u);
}

static void straddling_access_split(void)
{
	struct emul_bus bus = { 0 };
	struct fake_dev d = { .answer = 0x10 };
	struct emul_pio_region r = region(&d, 0x70, 2);
	uint32_t v = 0;

	emul_bus_add(&bus, &r);
	/* 0x71 (offset 1, answers 0x11) then 0x72-0x74 unowned. */
	CHECK(emul_bus_read(&bus, 0x71, 4, &v));
	CHECK_EQ(v, 0xffffff11u);
	CHECK_EQ(d.last_size, 1u);
	CHECK_EQ(bus.unhandled_reads, 0u);
	/* 0x6f unowned, 0x70 owned: one byte write reaches offset 0. */
	CHECK(emul_bus_write(&bus, 0x6f, 2, 0xaabb));
	CHECK_EQ(d.writes, 1u);
	CHECK_EQ(d.last_offset, 0);
	CHECK_EQ(d.last_value, 0xaau);
	/* Past the top of the port space. */
	CHECK(!emul_bus_read(&bus, 0xffff, 2, &v));
	CHECK_EQ(v, 0xffffu);
}

static uint8_t regs8[4];

static uint8_t read8(void *dev, uint16_t off)
{
	(void)dev;
	return regs8[off];
}

static void write8(void *dev, uint16_t off, uint8_t value)
{
	(void)dev;
	regs8[off] = value;
}

static void byte_helpers(void)
{
	memcpy(regs8, "\x11\x22\x33\x44", 4);
	CHECK_EQ(emul_read_bytes(read8, NULL, 0, 4, 4), 0x44332211u);
	CHECK_EQ(emul_read_bytes(read8, NULL, 2, 4, 4), 0xffff4433u);
	CHECK_EQ(emul_read_bytes(read8, NULL, 1, 1, 4), 0x22u);
	emul_write_bytes(write8, NULL, 2, 4, 0xddccbbaa, 4);
	CHECK_EQ(regs8[2], 0xaa);
	CHECK_EQ(regs8[3], 0xbb);
	CHECK_EQ(regs8[1], 0x22);
}

/* ---- The event loop -------------------------------------------------------- */

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int fd;
	unsigned calls;
};

static void waiter_ready(void *dev)
{
	struct waiter *w = dev;
	uint64_t n;

	if (read(w->fd, &n, sizeof(n)) < 0)
		return;
	pthread_mutex_lock(&w->lock);
	w->calls++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void waiter_init(struct waiter *w)
{
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->calls = 0;
}

static void waiter_fini(struct waiter *w)
{
	close(w->fd);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

static void kick(struct waiter *w)
{
	uint64_t one = 1;

	if (write(w->fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

/* Waits (a generous bound: only a broken loop ever reaches it) until the
 * callback ran at least `calls` times; returns the count. */
static unsigned wait_calls(struct waiter *w, unsigned calls)
{
	struct timespec until;
	unsigned n;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&w->lock);
	while (w->calls < calls)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &until))
			break;
	n = w->calls;
	pthread_mutex_unlock(&w->lock);
	return n;
}

static void loop_runs_callbacks(void)
{
	struct emul_loop *loop = emul_loop_create();
	struct waiter w;

	waiter_init(&w);
	CHECK(loop != NULL);
	CHECK(emul_loop_watch(loop, w.fd, waiter_ready, &w) != NULL);
	CHECK(emul_loop_watch(loop, -1, waiter_ready, &w) == NULL);
	kick(&w);                       /* before start: seen once started */
	CHECK_EQ(emul_loop_start(loop), 0);
	CHECK_EQ(wait_calls(&w, 1), 1u);
	kick(&w);
	CHECK_EQ(wait_calls(&w, 2), 2u);
	emul_loop_destroy(loop);
	/* The loop never closes a watched fd. */
	CHECK(fcntl(w.fd, F_GETFD) >= 0);
	waiter_fini(&w);
}

/* A paused watch's fd stays readable but its callback does not run: the
 * loop takes events in readiness order, so when a later-kicked watch has
 * run, the paused one would have run before it. */
static void loop_pause_resume(void)
{
	struct emul_loop *loop = emul_loop_create();
	struct waiter a, b;
	struct emul_watch *wa;

	waiter_init(&a);
	waiter_init(&b);
	wa = emul_loop_watch(loop, a.fd, waiter_ready, &a);
	emul_loop_watch(loop, b.fd, waiter_ready, &b);
	emul_loop_pause(wa, true);
	emul_loop_pause(wa, true);      /* idempotent */
	emul_loop_start(loop);
	kick(&a);
	kick(&b);
	CHECK_EQ(wait_calls(&b, 1), 1u);
	kick(&b);
	CHECK_EQ(wait_calls(&b, 2), 2u);
	CHECK_EQ(wait_calls(&a, 0), 0u);
	emul_loop_pause(wa, false);
	CHECK_EQ(wait_calls(&a, 1), 1u);
	emul_loop_destroy(loop);
	waiter_fini(&a);
	waiter_fini(&b);
}

static void loop_destroy_unstarted(void)
{
	struct emul_loop *loop = emul_loop_create();
	struct waiter w;

	waiter_init(&w);
	CHECK(emul_loop_watch(loop, w.fd, waiter_ready, &w) != NULL);
	emul_loop_destroy(loop);        /* nothing to join; watch freed (ASan) */
	emul_loop_destroy(NULL);
	waiter_fini(&w);
}

static void clocks_advance(void)
{
	uint64_t a = emul_monotonic_ns(), b = emul_monotonic_ns();

	CHECK(b >= a);
	CHECK(emul_realtime_ns() > 1500000000ull * 1000000000ull);  /* after 2017 */
}

int main(void)
{
	RUN(dispatch_by_port);
	RUN(overlap_refused);
	RUN(bad_regions_refused);
	RUN(bus_full);
	RUN(unowned_all_ones_and_counted);
	RUN(straddling_access_split);
	RUN(byte_helpers);
	RUN(loop_runs_callbacks);
	RUN(loop_pause_resume);
	RUN(loop_destroy_unstarted);
	RUN(clocks_advance);
	CHECK_EXIT();
}

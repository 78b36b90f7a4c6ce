/* irq_probe.h: interrupt-line recorders shared by the device-model unit
 * tests (tests/unit/test_{uart16550,pit8254,cmos_rtc,ata,rtl8139}.c).
 *
 * struct irq_waiter counts rising edges raised from any thread (a model's
 * event loop) and lets the test wait for them. The edge counter
 * (IRQ_EDGES_LINE defined before including) checks that a model only
 * drives its own line and only ever changes its level. The rise recorder
 * (IRQ_RECORD_RISES) counts rising edges and the last line driven, for
 * single-threaded tests on a fake clock. */
#ifndef PVISOR_TESTS_IRQ_PROBE_H
#define PVISOR_TESTS_IRQ_PROBE_H

#include <pthread.h>
#include <time.h>

#include "hw/emul.h"

struct irq_waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned rises;
};

static void __attribute__((unused)) waiter_irq(void *ctx, unsigned irq, int lvl)
{
	struct irq_waiter *w = ctx;

	(void)irq;
	if (!lvl)
		return;
	pthread_mutex_lock(&w->lock);
	w->rises++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* Waits until `want` pulses arrived; the 10 s bound is only ever reached
 * when the model is broken. Returns the count seen. */
static unsigned __attribute__((unused)) wait_rises(struct irq_waiter *w, unsigned want)
{
	struct timespec until;
	unsigned n;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&w->lock);
	while (w->rises < want)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &until))
			break;
	n = w->rises;
	pthread_mutex_unlock(&w->lock);
	return n;
}

#ifdef IRQ_EDGES_LINE
static unsigned pulses, bad_edges;
static int line_level;

static void irq_set(void *ctx, unsigned irq, int level)
{
	(void)ctx;
	if (irq != IRQ_EDGES_LINE || level == line_level)
		bad_edges++;
	if (level && !line_level)
		pulses++;
	line_level = level;
}

static const struct emul_irq irq_line = { irq_set, NULL };
#endif

#ifdef IRQ_RECORD_RISES
static unsigned rises, last_irq;
static int level;

static void record_irq(void *ctx, unsigned irq, int lvl)
{
	(void)ctx;
	last_irq = irq;
	if (lvl && !level)
		rises++;
	level = lvl;
}

static const struct emul_irq irq_line = { .set = record_irq };
#endif

#endif

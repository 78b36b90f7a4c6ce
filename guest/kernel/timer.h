/* timer.h: the kernel timer queue (one-shot timers in PV-clock ns). */
#ifndef PV_KERNEL_TIMER_H
#define PV_KERNEL_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct ktimer {
	uint64_t deadline;
	struct ktimer *next, *prev;
	void (*fn)(struct ktimer *t);	/* runs with events masked */
	bool armed;
};

/* The earlier of two deadlines, where 0 means "none". */
static inline uint64_t deadline_earliest(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

/* All of these need events masked. */
void timer_add(struct ktimer *t, uint64_t deadline, void (*fn)(struct ktimer *));
void timer_cancel(struct ktimer *t);
void timer_run_expired(void);		/* runs every timer whose deadline passed */
uint64_t timer_next_deadline(void);	/* earliest armed deadline, 0 if none   */
void timer_program(void);		/* arms the hypervisor timer if needed  */
void timer_init(void);			/* binds VIRQ_TIMER                      */

#endif

/* pvclock.h: the PV clock: system time (ns since the domain started) that
 * the guest computes from rdtsc and the shared-info scale, without an exit.
 * The host's CLOCK_MONOTONIC is the reference; the guest TSC's offset from
 * the host TSC is measured once per vCPU. */
#ifndef PVISOR_PVCLOCK_H
#define PVISOR_PVCLOCK_H

#include <stdint.h>

#include <pvisor/shared_info.h>

struct pvclock {
	uint64_t boot_mono_ns;   /* host CLOCK_MONOTONIC at system time 0 */
	uint64_t tsc_khz;
	int64_t tsc_offset;      /* guest TSC - host TSC                   */
	uint32_t mul;
	int8_t shift;
};

/* Reads the host clocks and derives the scale. Returns 0 or -1. */
int pvclock_init(struct pvclock *c, int vcpu_fd);
/* Fills the wall clock and vCPU time fields of the shared info page. */
void pvclock_publish(const struct pvclock *c, struct pvisor_shared_info *s, unsigned vcpu);
/* Current system time, host side. */
uint64_t pvclock_now(const struct pvclock *c);
/* Scale a TSC delta to ns with mul/shift (the guest's formula). */
uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift);
/* Derive mul/shift so that pvclock_scale(ticks_per_sec) ~= 1e9. */
void pvclock_set_scale(uint64_t ticks_per_sec, uint32_t *mul, int8_t *shift);

#endif

/* pit8254.h: the 8254 programmable interval timer of the emulated PC:
 * three 16-bit down counters clocked at 1193182 Hz (ports 0x40-0x42, the
 * mode/command register at 0x43) and port B (0x61), which gates channel 2
 * and shows its output.
 *
 * Counts are not stepped: every value is computed from the clock hook
 * (elapsed ticks since the count was loaded), so reading a counter costs
 * no host work. Channel 0's output drives IRQ0: the model arms a timerfd
 * (CLOCK_MONOTONIC, absolute) on the loop for the next rising edge of
 * OUT0 and pulses the line there; a register access that finds an edge
 * overdue pulses it too. Missed periods coalesce into one pulse per
 * pit8254_tick() call and are counted (stats.missed_periods).
 *
 * Implemented: control words (channel select, latch, lobyte / hibyte /
 * lobyte-then-hibyte, modes 0-5, 6 and 7 as aliases of 2 and 3), counter
 * latch, read-back (count and/or status of any channels), the status byte
 * (OUT, null count, access, mode, BCD), count 0 = 65536, gates (channels 0
 * and 1 always high; channel 2 = port 0x61 bit 0) with their per-mode
 * effects: modes 0/4 pause while the gate is low, modes 2/3 stop with OUT
 * high and restart on the rising edge, modes 1/5 start (and retrigger) on
 * the rising edge; in mode 0 the first byte of a two-byte count stops the
 * counter. Port 0x61: bits 0-3 read back as written, bit 4 toggles on
 * every read (refresh), bit 5 is OUT2; bits 6-7 read 0.
 *
 * Simplified: the BCD bit is stored and reported in the status byte, but
 * counting is always binary; a written count is loaded at once rather than
 * on the next CLK pulse (so null count only shows while a count waits for
 * a gate trigger in modes 1/5, or for the period end in modes 2/3); in
 * mode 3 a new count takes effect at the end of the whole period, not of
 * the half-period; mode 3 counts read as (N - 2t mod N) & ~1 for odd N
 * too; the mode 2 count 1 and mode 3 count 1 (illegal) are not special;
 * channel 1 has no effect (no DRAM refresh); port 0x61 bit 1 (speaker
 * data) is stored only; a control word that switches OUT0 from low to
 * high raises no IRQ0. In periodic modes the timer wakes the host at most
 * every PIT8254_MIN_PERIOD_NS (10 kHz): the edges in between coalesce and
 * count as missed. */
#ifndef PVISOR_EMUL_PIT8254_H
#define PVISOR_EMUL_PIT8254_H

#include <stdint.h>

#include "hw/emul.h"

#define PIT8254_HZ            1193182u
#define PIT8254_NR_PORTS      4          /* 0x40-0x43 */
#define PIT8254_MIN_PERIOD_NS 100000u

struct pit8254_stats {
	uint64_t irqs;             /* IRQ0 pulses */
	uint64_t missed_periods;   /* rising edges of OUT0 folded into an earlier pulse */
};

/* clock: CLOCK_MONOTONIC ns (emul_monotonic_ns) when loop is set, since
 * the timerfd is armed at the clock's absolute times; any clock in unit
 * tests (loop NULL: no timer, call pit8254_tick()). irq is copied. NULL on
 * failure. */
struct pit8254 *pit8254_create(const struct emul_irq *irq, unsigned irq_nr,
			       emul_clock_fn clock, struct emul_loop *loop);
/* Destroy the machine's emul_loop first when a loop was given. */
void pit8254_destroy(struct pit8254 *p);
/* The two regions: ports 0x40-0x43 and port 0x61 (port B). */
void pit8254_regions(struct pit8254 *p, struct emul_pio_region *pit,
		     struct emul_pio_region *port_b);
/* Brings the counters up to the clock's now and pulses IRQ0 once if OUT0
 * had one or more rising edges since the last look; re-arms the timer.
 * The timerfd callback calls it; tests call it after moving the clock. */
void pit8254_tick(struct pit8254 *p);
/* The clock time of OUT0's next rising edge (IRQ0) as of the last
 * register access or tick, 0 if none is coming. */
uint64_t pit8254_next_irq_ns(struct pit8254 *p);
void pit8254_get_stats(struct pit8254 *p, struct pit8254_stats *out);

#endif

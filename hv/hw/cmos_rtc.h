/* cmos_rtc.h: the MC146818 real-time clock and CMOS RAM of the emulated
 * PC: index port 0x70 (bit 7, the NMI mask, is ignored; the index is
 * masked to 0x7f), data port 0x71.
 *
 * Registers: 0x00-0x09 seconds, seconds alarm, minutes, minutes alarm,
 * hours, hours alarm, day of week (1 = Sunday), day of month, month, year;
 * 0x32 century; 0x0A (UIP, divider, rate select), 0x0B (SET, PIE, AIE,
 * UIE, SQWE, DM, 24/12, DSE), 0x0C (IRQF, PF, AF, UF: reading clears them
 * and lowers IRQF), 0x0D (VRT = 1). Every other index is plain RAM.
 *
 * Time is the clock hook's wall clock plus an offset the guest sets by
 * writing the time registers: with SET = 1 the registers hold what the
 * guest writes and clearing SET starts the clock from it (at .000 s);
 * with SET = 0 a write changes that one field at once. Values are BCD or
 * binary (DM) and 24- or 12-hour (bit 7 = PM) as register B says at the
 * access. UIP reads 1 during the last 244 us before each second boundary;
 * the registers change exactly at the boundary.
 *
 * Interrupts (IRQ 8, pulsed when IRQF rises): periodic at register A's
 * rate, update-ended at each second boundary, alarm when hours, minutes and
 * seconds match (an alarm byte with bits 7-6 = 11 matches anything). Flags
 * are set whether or not their interrupt is enabled; IRQF = any flag whose
 * enable bit is set, and stays up until register C is read, as on the chip.
 * A timerfd on the loop (CLOCK_REALTIME, absolute) wakes the model for the
 * next event only while an enabled interrupt can still raise IRQF.
 *
 * Simplified: the divider bits (A bits 6-4) are stored but the clock always
 * runs; rates 3-5 (8192-2048 Hz) run at 1024 Hz; rates 1 and 2 are 256 and
 * 128 Hz as on the chip; DSE (daylight saving) and SQWE are stored only;
 * setting SET clears UIE as on the chip; the day of week always follows
 * the date (a written weekday is kept only while SET = 1); out-of-range
 * time values are clamped (seconds 59, day 1-31, month 1-12...) and a day
 * past the month's end rolls into the next month; when several seconds
 * pass unobserved the alarm is checked against the last one only; the
 * index port reads as 0xff. */
#ifndef PVISOR_EMUL_CMOS_RTC_H
#define PVISOR_EMUL_CMOS_RTC_H

#include <stdint.h>

#include "hw/emul.h"

#define CMOS_RTC_BASE     0x70
#define CMOS_RTC_NR_PORTS 2
#define CMOS_RTC_UIP_NS   244000u

struct cmos_rtc_stats {
	uint64_t irqs;   /* IRQ 8 pulses */
};

/* realtime: ns since the Unix epoch (emul_realtime_ns); when loop is set
 * the timerfd is armed at its absolute CLOCK_REALTIME times. irq is
 * copied. NULL on failure. */
struct cmos_rtc *cmos_rtc_create(const struct emul_irq *irq, unsigned irq_nr,
				 emul_clock_fn realtime, struct emul_loop *loop);
/* Destroy the machine's emul_loop first when a loop was given. */
void cmos_rtc_destroy(struct cmos_rtc *rtc);
/* Fills *out with the two-port region at 0x70 (CMOS_RTC_BASE). */
void cmos_rtc_region(struct cmos_rtc *rtc, struct emul_pio_region *out);
/* Accounts the events up to the clock's now (sets PF/UF/AF), pulses the
 * line if IRQF rose, re-arms the timer. The timer calls it; tests too. */
void cmos_rtc_tick(struct cmos_rtc *rtc);
/* The clock time the model next needs a tick at, as of the last access or
 * tick; 0 when no enabled interrupt can come. */
uint64_t cmos_rtc_next_event_ns(struct cmos_rtc *rtc);
/* Stores the RAM size the PC way: 0x15/0x16 base memory in KiB (640),
 * 0x17/0x18 and 0x30/0x31 KiB above 1 MiB (at most 0xffff), 0x34/0x35
 * 64 KiB units above 16 MiB below 4 GiB, 0x5b-0x5d 64 KiB units above
 * 4 GiB, and the checksum of 0x10-0x2d at 0x2e (high), 0x2f (low). */
void cmos_rtc_set_ram_size(struct cmos_rtc *rtc, uint64_t bytes);
void cmos_rtc_get_stats(struct cmos_rtc *rtc, struct cmos_rtc_stats *out);

#endif

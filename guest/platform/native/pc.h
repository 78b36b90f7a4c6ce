/* pc.h: drivers for the emulated PC's base hardware that the native
 * platform runs on (docs/full-virt.md): interrupt controllers, timers,
 * clocks and the serial console. One file each in this directory. Every
 * port access is an exit (about 50 us on nested hosts), so these drivers
 * touch the hardware as little as they can. */
#ifndef PV_PLATFORM_NATIVE_PC_H
#define PV_PLATFORM_NATIVE_PC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* lapic.c: the local APIC (xAPIC, MMIO). */
void lapic_init(uint8_t spurious_vector);	/* software-enabled, TPR 0 */
void lapic_eoi(void);

/* ioapic.c: ISA IRQ n is pin n (IRQ 0: pin 2), edge, active high. */
void ioapic_route(unsigned int irq, uint8_t vector);	/* to LAPIC 0, unmasked */
void ioapic_mask(unsigned int irq);

/* pic8259.c: the legacy pair, which the IOAPIC replaces. */
void pic_mask_all(void);

/* pit.c: the 8254. Channel 0 is the one-shot timer (IRQ 0), channel 2
 * (gated through port 0x61) the reference the TSC is calibrated on. */
#define PIT_HZ		1193182u
#define PIT_MAX_TICKS	65535u
void pit_oneshot(uint16_t ticks);	/* mode 0: IRQ 0 at terminal count */
void pit_stop(void);
uint64_t pit_ticks_for_ns(uint64_t ns);	/* rounded up, at least 1 */
uint64_t pit_ns_for_ticks(uint64_t ticks);
void pit_ch2_prepare(uint16_t ticks);	/* gate low, count loaded      */
void pit_ch2_gate(bool open);		/* counting while open         */
bool pit_ch2_done(void);		/* channel 2's output went high */

/* tsc.c: the clock: the TSC, calibrated on PIT channel 2 at boot. */
void tsc_calibrate(void);		/* panics if the PIT does not count */
uint64_t tsc_clock_ns(void);		/* ns since calibration           */

/* rtc.c: the CMOS real-time clock, read once. */
uint64_t rtc_unix_seconds(void);	/* UTC; 0 if it never settled */

/* uart16550.c: COM1, the console of full mode. */
void uart_init(void);			/* 115200 8N1, FIFOs on, no interrupts */
long uart_write(const void *buf, size_t len);
void uart_flush(void);			/* the transmitter is empty */
/* Never blocks: bytes, or -EAGAIN. The first call enables the receive
 * interrupt; input raises VIRQ_CONSOLE. A UART cannot tell end of input,
 * so this never returns 0. */
long uart_read(void *buf, size_t len);

#endif

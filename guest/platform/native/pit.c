/* pit.c: the 8254 programmable interval timer at 1.193182 MHz.
 *
 * Channel 0 in mode 0 (interrupt on terminal count) is a one-shot timer:
 * its output rises when the count reaches zero, which is IRQ 0. Channel 2
 * counts only while its gate (port 0x61 bit 0) is open, and its output can
 * be read back (port 0x61 bit 5): a reference interval for calibrating the
 * TSC without any interrupt. */
#include <pv/io.h>
#include <pvisor/platform.h>
#include "pc.h"

#define PIT_CH0		(PVISOR_PORT_PIT + 0)
#define PIT_CH2		(PVISOR_PORT_PIT + 2)
#define PIT_COMMAND	(PVISOR_PORT_PIT + 3)
/* Command: channel (bits 7-6), lobyte then hibyte (3 << 4), mode 0, binary. */
#define CMD_CH0_MODE0	0x30
#define CMD_CH2_MODE0	0xb0
#define PORTB_GATE2	0x01
#define PORTB_SPEAKER	0x02
#define PORTB_OUT2	0x20
#define NS_PER_SEC	1000000000ull

static void load_count(uint16_t port, uint16_t ticks)
{
	outb(port, (uint8_t)ticks);
	outb(port, (uint8_t)(ticks >> 8));
}

void pit_oneshot(uint16_t ticks)
{
	outb(PIT_COMMAND, CMD_CH0_MODE0);
	load_count(PIT_CH0, ticks ? ticks : 1);
}

/* A mode set without a count: the channel waits, output low. */
void pit_stop(void)
{
	outb(PIT_COMMAND, CMD_CH0_MODE0);
}

uint64_t pit_ticks_for_ns(uint64_t ns)
{
	uint64_t ticks;

	if (ns > NS_PER_SEC)
		ns = NS_PER_SEC;	/* far beyond what one count can reach */
	ticks = (ns * PIT_HZ + NS_PER_SEC - 1) / NS_PER_SEC;

	return ticks ? ticks : 1;
}

uint64_t pit_ns_for_ticks(uint64_t ticks)
{
	return ticks * NS_PER_SEC / PIT_HZ;
}

static uint8_t portb_closed;	/* port B with gate and speaker off */

void pit_ch2_prepare(uint16_t ticks)
{
	portb_closed = inb(PVISOR_PORT_PORTB) & (uint8_t)~(PORTB_GATE2 | PORTB_SPEAKER);
	outb(PVISOR_PORT_PORTB, portb_closed);
	outb(PIT_COMMAND, CMD_CH2_MODE0);
	load_count(PIT_CH2, ticks);
}

/* One port write, so that a caller can time it. */
void pit_ch2_gate(bool open)
{
	outb(PVISOR_PORT_PORTB, open ? portb_closed | PORTB_GATE2 : portb_closed);
}

bool pit_ch2_done(void)
{
	return inb(PVISOR_PORT_PORTB) & PORTB_OUT2;
}

/* pic8259.c: the legacy interrupt controller pair. The IOAPIC delivers
 * every interrupt the kernel wants, so both 8259s are masked and left
 * alone (the machine's contract asks for exactly that). */
#include <pv/io.h>
#include "pc.h"

#define PIC_MASTER_DATA	0x21
#define PIC_SLAVE_DATA	0xa1

void pic_mask_all(void)
{
	outb(PIC_MASTER_DATA, 0xff);
	outb(PIC_SLAVE_DATA, 0xff);
}

/* raw.h: the tiny runtime of the raw full-mode guests in tests/fullraw/.
 *
 * These guests do not use the pvisor guest kernel: they run at CPL0 on
 * the boot loader's identity map of [0, 4 GiB) (docs/full-virt.md) and
 * poke the emulated PC directly, the way a hostile or broken unmodified
 * kernel would. Each file includes this header once and defines
 * raw_main(), whose return value becomes pvisor's exit status. */
#ifndef PVISOR_TESTS_RAW_H
#define PVISOR_TESTS_RAW_H

#include <stddef.h>
#include <stdint.h>
#include <pvisor/platform.h>
#include <pvisor/start_info.h>
#include <pv/io.h>

static inline uint32_t mmio_read32(uint64_t addr) { return *(volatile uint32_t *)addr; }
static inline void mmio_write32(uint64_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }

/* COM1 put back into a sane state, then polled output. */
static void raw_serial_init(void)
{
	outb(PVISOR_PORT_COM1 + 1, 0);     /* IER: no interrupts */
	outb(PVISOR_PORT_COM1 + 3, 0x80);  /* DLAB */
	outb(PVISOR_PORT_COM1 + 0, 1);     /* 115200 */
	outb(PVISOR_PORT_COM1 + 1, 0);
	outb(PVISOR_PORT_COM1 + 3, 0x03);  /* 8N1 */
	outb(PVISOR_PORT_COM1 + 4, 0x03);  /* DTR RTS, no loopback */
}

static void raw_puts(const char *s)
{
	for (; *s; s++) {
		for (int i = 0; i < 100000 && !(inb(PVISOR_PORT_COM1 + 5) & 0x20); i++)
			;
		outb(PVISOR_PORT_COM1, (uint8_t)*s);
	}
}

static __attribute__((unused)) void raw_put_hex(uint64_t v)
{
	char buf[19] = "0x";

	for (int i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	buf[18] = '\0';
	raw_puts(buf);
}

static __attribute__((noreturn)) void raw_exit(unsigned status)
{
	outl(PVISOR_EXIT_PORT, status & 0xffu);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* volatile: the store stays even when a guest never reads it, which also
 * gives every raw image the data segment the loader requires. */
static const struct pvisor_start_info *volatile raw_boot_info;
static int raw_main(void);

__attribute__((used, noreturn)) static void raw_start(const struct pvisor_start_info *si)
{
	raw_boot_info = si;
	raw_serial_init();
	raw_exit((unsigned)raw_main());
}

__asm__(".section .text.boot, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	"	mov $0x100000, %rsp\n"
	"	call raw_start\n"
	"	ud2\n"
	".section .note.pvisor, \"a\", @note\n"
	".balign 4\n"
	".long 7, 4, 1\n"
	".asciz \"pvisor\"\n"
	".balign 4\n"
	".long 1\n"
	".text\n");

#endif

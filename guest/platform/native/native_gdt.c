/* native_gdt.c: the kernel's own GDT and TSS on the native platform: flat
 * 64-bit code and data at CPL0 (the selectors the boot loader used, so
 * nothing changes meaning) and a TSS whose interrupt stack table gives
 * #DF, NMI and #MC one stack and page faults another, so that neither
 * depends on the stack that was in use. Loaded with lgdt and ltr; the
 * loader's GDT at 0x8000 is never used again. */
#include "native.h"

#define STACK_BYTES (16 * 1024)

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

static struct tss64 tss;
static uint8_t fatal_stack[STACK_BYTES] __attribute__((aligned(16)));
static uint8_t page_fault_stack[STACK_BYTES] __attribute__((aligned(16)));

static uint64_t gdt[5] __attribute__((aligned(16))) = {
	0,
	0x00209a0000000000ull,	/* NATIVE_CS: present, DPL0, code, long mode */
	0x0000920000000000ull,	/* NATIVE_DS: present, DPL0, data, writable  */
	0, 0,			/* NATIVE_TSS: 16-byte system descriptor      */
};

struct descriptor_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* An available 64-bit TSS descriptor for tss. */
static void set_tss_descriptor(void)
{
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;

	gdt[NATIVE_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
			      (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[NATIVE_TSS / 8 + 1] = base >> 32;
}

/* lgdt, then reload every segment register from it (cs by a far return). */
static void load_gdt(void)
{
	struct descriptor_pointer p = { sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt };

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %2, %%eax\n\t"
			 "mov %%eax, %%ds\n\t"
			 "mov %%eax, %%es\n\t"
			 "mov %%eax, %%ss\n\t"
			 "mov %%eax, %%fs\n\t"
			 "mov %%eax, %%gs"
			 : : "m"(p), "i"(NATIVE_CS), "i"(NATIVE_DS) : "rax", "memory");
}

void native_gdt_init(void)
{
	tss.ist[NATIVE_IST_FATAL - 1] = (uint64_t)(uintptr_t)(fatal_stack + STACK_BYTES);
	tss.ist[NATIVE_IST_PAGE_FAULT - 1] = (uint64_t)(uintptr_t)(page_fault_stack + STACK_BYTES);
	tss.iomap_base = sizeof(tss);	/* no I/O bitmap: CPL0 needs none */
	set_tss_descriptor();
	load_gdt();
	__asm__ volatile("ltr %w0" : : "r"(NATIVE_TSS) : "memory");
}

bool native_on_page_fault_stack(uintptr_t addr)
{
	uintptr_t base = (uintptr_t)page_fault_stack;

	return addr >= base && addr < base + STACK_BYTES;
}

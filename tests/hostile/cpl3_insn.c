/* pvisor-test: exit=126 stderr=guest crashed stderr=general protection cmdline=out */
/* cpl3_insn.c (hostile; tests/suites/cpl3.sh runs every case): one
 * privileged or sensitive instruction at CPL3, named by argv[1]. The PV
 * guest kernel runs at CPL3 and none of these is part of the ABI: each
 * must fault and, since the guest routes only page faults to itself, end
 * the domain with a crash report naming the exception (docs/abi.md §7),
 * never reach the hypervisor's CPL0 code or the host. The header runs
 * `out` to a port that is neither the hypercall port nor a doorbell. */
#include <stdio.h>
#include <string.h>

struct insn {
	const char *name;
	void (*run)(void);
};

static void do_out(void)     { __asm__ volatile("outb %%al, $0x80" : : "a"(0)); }
static void do_in(void)      { unsigned char v; __asm__ volatile("inb $0x60, %0" : "=a"(v)); }
static void do_outdx(void)   { __asm__ volatile("outl %%eax, %%dx" : : "a"(0), "d"(0xcf8)); }
static void do_int80(void)   { __asm__ volatile("int $0x80"); }
static void do_int3(void)    { __asm__ volatile("int3"); }
static void do_syscall(void) { __asm__ volatile("syscall" : : : "rcx", "r11", "memory"); }
static void do_sysenter(void){ __asm__ volatile("sysenter" : : : "memory"); }
static void do_rdmsr(void)   { unsigned lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000082)); }
static void do_wrmsr(void)   { __asm__ volatile("wrmsr" : : "a"(0), "d"(0), "c"(0xc0000082)); }
static void do_hlt(void)     { __asm__ volatile("hlt"); }
static void do_lgdt(void)    { struct { unsigned short l; unsigned long b; } __attribute__((packed)) d = { 0, 0 }; __asm__ volatile("lgdt %0" : : "m"(d)); }
static void do_lidt(void)    { struct { unsigned short l; unsigned long b; } __attribute__((packed)) d = { 0, 0 }; __asm__ volatile("lidt %0" : : "m"(d)); }
static void do_ltr(void)     { __asm__ volatile("ltr %%ax" : : "a"(0x28)); }
static void do_movcr3(void)  { __asm__ volatile("mov %%rax, %%cr3" : : "a"(0)); }
static void do_readcr3(void) { unsigned long v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); }
static void do_invlpg(void)  { __asm__ volatile("invlpg (%0)" : : "r"(0x1000) : "memory"); }
static void do_wbinvd(void)  { __asm__ volatile("wbinvd"); }
static void do_sti(void)     { __asm__ volatile("sti"); }
static void do_swapgs(void)  { __asm__ volatile("swapgs"); }
static void do_kernel_ss(void) { __asm__ volatile("mov %%ax, %%ss" : : "a"(0x10)); }
static void do_iret_cpl0(void)
{
	/* An iretq frame that returns to CPL0 code: ring 3 may not raise itself. */
	__asm__ volatile("mov %%rsp, %%rax\n\t"
			 "pushq $0x10\n\t"	/* ss: a kernel selector */
			 "pushq %%rax\n\t"
			 "pushfq\n\t"
			 "pushq $0x08\n\t"	/* cs: a kernel selector */
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "iretq\n"
			 "1:" : : : "rax", "memory");
}

static const struct insn insns[] = {
	{ "out", do_out }, { "in", do_in }, { "out-dx", do_outdx }, { "int80", do_int80 },
	{ "int3", do_int3 }, { "syscall", do_syscall }, { "sysenter", do_sysenter },
	{ "rdmsr", do_rdmsr }, { "wrmsr", do_wrmsr }, { "hlt", do_hlt }, { "lgdt", do_lgdt },
	{ "lidt", do_lidt }, { "ltr", do_ltr }, { "mov-cr3", do_movcr3 },
	{ "read-cr3", do_readcr3 }, { "invlpg", do_invlpg }, { "wbinvd", do_wbinvd },
	{ "sti", do_sti }, { "swapgs", do_swapgs }, { "kernel-ss", do_kernel_ss },
	{ "iret-cpl0", do_iret_cpl0 },
};

int main(int argc, char **argv)
{
	for (unsigned i = 0; argc > 1 && i < sizeof(insns) / sizeof(insns[0]); i++) {
		if (strcmp(argv[1], insns[i].name))
			continue;
		printf("cpl3_insn: executing %s at CPL3\n", insns[i].name);
		insns[i].run();
		printf("FAIL cpl3_insn: %s did not fault\n", insns[i].name);
		return 1;
	}
	printf("FAIL cpl3_insn: no such case '%s'\n", argc > 1 ? argv[1] : "");
	return 2;
}

/* hybrid_hypercalls.c: which hypercalls a CPL0 guest reaches. Run with
 * --mode=hybrid and --mode=full; the guest tells them apart by its CPUID
 * bits. Hybrid offers only the device-serving
 * calls (VERSION answers the ABI version) and refuses the CPU ones
 * (MMU_UPDATE, SET_TIMER, CALLBACK_OP, MEMORY_OP, SCHED_OP) with -ENOSYS;
 * full mode offers none, so the port is an ordinary unowned port and rax
 * is left as it was. Exit 0 when the mode's rule holds. */
#include "raw.h"
#include <pvisor/hypercall.h>
#include <pvisor/errno.h>

/* `out %eax, $0xe0` with eax = nr and first argument 0 (VERSION: the ABI
 * version); returns rax afterwards. */
static long raw_hypercall(uint32_t nr)
{
	uint64_t rax = nr;

	__asm__ volatile("outl %%eax, $0xe0" : "+a"(rax) : "D"(0ul) : "memory");
	return (long)rax;
}

static uint32_t cpuid_pv_bits(void)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(PVISOR_CPUID_BASE), "c"(0));
	if (b != 0x73697670u)   /* "pvis" */
		return 0;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(PVISOR_CPUID_FEATURES), "c"(0));
	return b;
}

static int expect(long got, long want, const char *what)
{
	if (got == want)
		return 0;
	raw_puts("FAILED: ");
	raw_puts(what);
	raw_puts(" returned ");
	raw_put_hex((uint64_t)got);
	raw_puts("\n");
	return 1;
}

static int raw_main(void)
{
	static const uint32_t refused[] = { PVISOR_HC_SCHED_OP, PVISOR_HC_SET_TIMER,
		PVISOR_HC_MMU_UPDATE, PVISOR_HC_MEMORY_OP, PVISOR_HC_CALLBACK_OP };
	uint32_t bits = cpuid_pv_bits();
	int bad = 0;

	if (bits == PVISOR_CPUID_PV_DEVICES) {
		bad += expect(raw_hypercall(PVISOR_HC_VERSION), PVISOR_ABI_VERSION, "VERSION");
		for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
			bad += expect(raw_hypercall(refused[i]), -PVISOR_ENOSYS, "a CPU hypercall");
		raw_puts(bad ? "hypercalls: wrong\n" : "hypercalls: hybrid rules hold\n");
	} else if (bits == 0) {
		for (uint32_t nr = 0; nr < PVISOR_HC_COUNT; nr++)
			bad += expect(raw_hypercall(nr), nr, "a hypercall in full mode");
		raw_puts(bad ? "hypercalls: wrong\n" : "hypercalls: none in full mode\n");
	} else {
		raw_puts("hypercalls: unexpected CPUID bits\n");
		bad = 1;
	}
	return bad ? 1 : 0;
}

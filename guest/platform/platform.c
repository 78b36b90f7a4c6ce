/* platform.c: which machine is this? Decided once, at the first
 * instructions of kernel_start(), from CPUID and the privilege level, and
 * recorded by installing that machine's operations (platform.h):
 *
 *   CPUID 0x40000000 says "pvisorpvisor" and 0x40000001 ebx has
 *     PVISOR_CPUID_PV_CPU                -> pv
 *     only PVISOR_CPUID_PV_DEVICES       -> hybrid
 *   no signature                         -> full, or native when the
 *                                           kernel came in through the PVH
 *                                           entry (another PC: QEMU's)
 *
 * A kernel entered at CPL3 can only be a PV guest (a pvisor without the
 * CPUID leaves enters PV guests there too), so the privilege level
 * overrides CPUID. docs/full-virt.md is the contract. */
#include <pvisor/platform.h>
#include "kernel/kernel.h"
#include "platform.h"

const struct platform_ops *platform;
bool platform_pvh_entered;
void (*platform_kick_entry)(void);

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static bool running_at_cpl3(void)
{
	uint16_t cs;

	__asm__("mov %%cs, %0" : "=r"(cs));
	return (cs & 3) == 3;
}

static bool same_bytes(const void *a, const void *b, size_t n)
{
	const char *x = a, *y = b;

	while (n--)
		if (*x++ != *y++)
			return false;
	return true;
}

/* The PVISOR_CPUID_PV_* bits, or 0 without pvisor's signature. */
static uint32_t pvisor_interface_bits(void)
{
	uint32_t a, sig[3], bits, unused;

	cpuid(PVISOR_CPUID_BASE, &a, &sig[0], &sig[1], &sig[2]);
	if (!same_bytes(sig, PVISOR_CPUID_SIGNATURE, sizeof(sig)))
		return 0;
	cpuid(PVISOR_CPUID_FEATURES, &a, &bits, &unused, &unused);
	return bits;
}

static const struct platform_ops *detect(void)
{
	uint32_t bits;

	if (running_at_cpl3())
		return &platform_pv;
	bits = pvisor_interface_bits();
	if (bits & PVISOR_CPUID_PV_CPU)
		return &platform_pv;
	if (bits & PVISOR_CPUID_PV_DEVICES)
		return &platform_hybrid;
	return platform_pvh_entered ? &platform_native : &platform_full;
}

void platform_install(const struct pvisor_start_info *si)
{
	platform = detect();
	platform_kick_entry = platform->kick_entry;
	platform->init(si);
}

const char *pv_platform_name(void)
{
	return platform->name;
}

uint64_t pv_vcpu_exits(void)
{
	return platform->exits();
}

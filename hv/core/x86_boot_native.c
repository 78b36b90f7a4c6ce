/* x86_boot_native.c: the boot loader's part in hybrid and full mode
 * (docs/full-virt.md, "Boot state"): a flat GDT and identity page tables
 * for [0, 4 GiB) in guest RAM, and a vCPU that starts in long mode at
 * CPL0 with interrupts off. The guest replaces all of it with its own. */
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include <pvisor/abi.h>
#include <pvisor/platform.h>

#include "core/layout.h"
#include "lib/log.h"
#include "core/x86_setup.h"

#define BOOT_PDPT   0xa000u
#define BOOT_PD     0xb000u          /* four PDs: 0xb000 .. 0xefff */
#define BOOT_END    0xf000u
#define PDE_2M      0x83ull          /* present, writable, page size */
#define TABLE_FLAGS 0x3ull           /* present, writable */

static void build_boot_gdt(uint8_t *ram)
{
	uint64_t *gdt = (uint64_t *)(ram + PVISOR_BOOT_GDT);

	memset(gdt, 0, PAGE_SIZE);
	gdt[SEL_KCODE / 8] = GDT_KCODE;
	gdt[SEL_KDATA / 8] = GDT_KDATA;
}

static void build_boot_tables(uint8_t *ram)
{
	uint64_t *pml4 = (uint64_t *)(ram + PVISOR_BOOT_PML4);
	uint64_t *pdpt = (uint64_t *)(ram + BOOT_PDPT);

	memset(ram + PVISOR_BOOT_PML4, 0, BOOT_END - PVISOR_BOOT_PML4);
	pml4[0] = BOOT_PDPT | TABLE_FLAGS;
	for (uint64_t g = 0; g < 4; g++) {
		uint64_t *pd = (uint64_t *)(ram + BOOT_PD + g * PAGE_SIZE);

		pdpt[g] = (BOOT_PD + g * PAGE_SIZE) | TABLE_FLAGS;
		for (uint64_t i = 0; i < 512; i++)
			pd[i] = ((g << 30) | (i << 21)) | PDE_2M;
	}
}

static int set_boot_sregs(int vcpu_fd)
{
	struct kvm_sregs sregs;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0) {
		log_errno("KVM_GET_SREGS");
		return -1;
	}
	x86_long_mode_sregs(&sregs, PVISOR_BOOT_PML4);
	sregs.gdt.base = PVISOR_BOOT_GDT;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	x86_flat_segment(&sregs.cs, SEL_KCODE, 0, 1);
	x86_flat_segment(&sregs.ds, SEL_KDATA, 0, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	/* A 64-bit TSS must be loaded for long mode; the guest loads its own. */
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.limit = 0x67;
	sregs.tr.type = 0xb;
	sregs.tr.present = 1;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0) {
		log_errno("KVM_SET_SREGS");
		return -1;
	}
	return 0;
}

int x86_init_vcpu_native(int kvm_fd, int vcpu_fd, uint8_t *ram, uint64_t ram_size,
			 uint64_t entry, uint64_t arg, uint32_t pv_bits)
{
	if (ram_size < BOOT_END)
		return -1;
	build_boot_gdt(ram);
	build_boot_tables(ram);
	if (x86_set_cpuid(kvm_fd, vcpu_fd, pv_bits) < 0 || set_boot_sregs(vcpu_fd) < 0)
		return -1;
	return x86_set_entry_regs(vcpu_fd, entry, arg);
}

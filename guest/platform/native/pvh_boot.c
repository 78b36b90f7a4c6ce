/* pvh_boot.c: a kernel entered through the PVH boot protocol
 * (guest/arch/x86_64/pvh_entry.S), on a PC that is not pvisor's: QEMU's
 * -kernel, for one. Reads the loader's struct hvm_start_info (the layout
 * of Xen's public arch-x86/hvm/start_info.h, version 0 or 1), makes the
 * struct pvisor_start_info that pvisor would have given the kernel in
 * full mode, and starts the kernel on the "native" platform
 * (native_platform.c): same CPU and devices as full mode, ended through
 * isa-debug-exit.
 *
 *   RAM         the memory map's RAM entry that holds the image, up to
 *               the IOAPIC at the latest (the kernel's RAM is [0, end));
 *               with no memory map (version 0), CMOS registers 0x34-0x35
 *   command     cmdline_paddr, copied (a loader may reuse its page)
 *   first free  after the image and the entry's boot stack (pvh_entry.S;
 *               the entry's page tables after it are free once the
 *               kernel runs on its own): the loader put nothing there
 *
 * Everything is copied out before the kernel starts, so no page the
 * loader used needs to survive. */
#include <string.h>
#include <pv/io.h>
#include <pv/mm.h>
#include <pvisor/platform.h>
#include "arch/x86_64/asm_defs.h"
#include "kernel/kernel.h"
#include "platform/platform.h"

#define HVM_START_MAGIC		0x336ec578u
#define HVM_MEMMAP_RAM		1u
#define PVH_RAM_LIMIT		PVISOR_IOAPIC_GPA
#define CMOS_INDEX		PVISOR_PORT_CMOS
#define CMOS_EXT_MEM_LOW	0x34	/* RAM above 16 MiB, in 64 KiB units */
#define CMOS_EXT_MEM_HIGH	0x35
#define MIB			(1024ull * 1024)

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;		/* version >= 1 */
	uint32_t memmap_entries;	/* version >= 1 */
	uint32_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

extern char __image_start[], __image_end[];

static struct pvisor_start_info pvh_info;

/* The end of the RAM entry that holds addr, or 0. */
static uint64_t memmap_ram_end(const struct hvm_start_info *hsi, uint64_t addr)
{
	const struct hvm_memmap_entry *e;
	uint32_t i;

	if (hsi->version < 1 || !hsi->memmap_paddr)
		return 0;
	e = (const struct hvm_memmap_entry *)(uintptr_t)hsi->memmap_paddr;
	for (i = 0; i < hsi->memmap_entries; i++)
		if (e[i].type == HVM_MEMMAP_RAM && e[i].addr <= addr &&
		    addr - e[i].addr < e[i].size)
			return e[i].addr + e[i].size;
	return 0;
}

static uint64_t cmos_ram_end(void)
{
	uint64_t units;

	outb(CMOS_INDEX, CMOS_EXT_MEM_LOW);
	units = inb(CMOS_INDEX + 1);
	outb(CMOS_INDEX, CMOS_EXT_MEM_HIGH);
	units |= (uint64_t)inb(CMOS_INDEX + 1) << 8;
	return 16 * MIB + units * 64 * 1024;
}

static uint64_t ram_pages(const struct hvm_start_info *hsi)
{
	uint64_t end = memmap_ram_end(hsi, (uintptr_t)__image_start);

	if (!end)
		end = cmos_ram_end();
	if (end > PVH_RAM_LIMIT)
		end = PVH_RAM_LIMIT;
	return end / PV_PAGE_SIZE;
}

static void copy_cmdline(char *dst, uint64_t paddr)
{
	const char *src = (const char *)(uintptr_t)paddr;
	size_t i;

	for (i = 0; paddr && i < PVISOR_CMDLINE_MAX - 1 && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

/* A start info without the PVH magic leaves pvh_info's magic 0: the
 * kernel then stops with "bad start info magic" on the console. */
__attribute__((__noreturn__)) void pvh_boot(const struct hvm_start_info *hsi);

void pvh_boot(const struct hvm_start_info *hsi)
{
	struct pvisor_start_info *si = &pvh_info;

	platform_pvh_entered = true;
	si->abi_version = PVISOR_ABI_VERSION;
	si->nr_vcpus = 1;
	si->image_start = (uintptr_t)__image_start;
	si->image_end = (uintptr_t)__image_end;
	si->first_free_pfn = (PV_PAGE_ALIGN(si->image_end) + ASM_PVH_TABLES) / PV_PAGE_SIZE;
	if (hsi->magic == HVM_START_MAGIC) {
		si->magic = PVISOR_START_MAGIC;
		si->nr_pages = ram_pages(hsi);
		copy_cmdline(si->cmdline, hsi->cmdline_paddr);
	}
	kernel_start(si);
}

/* layout.h: where the hypervisor puts things in a domain's guest-physical
 * and guest-virtual address spaces (host-private; the guest-visible part is
 * in include/pvisor/abi.h).
 *
 *   gpa [0, ram)                guest RAM (memslot 0), identity-mapped
 *   gpa HV_AREA_GPA  (64 KiB)   GDT, IDT, TSS, trap stubs, CPL0 stacks
 *                               (memslot 1), mapped supervisor-only at
 *                               HV_AREA_VA in the upper half
 *   gpa PT_AREA_GPA             the page-table pool (memslot 2). Page tables
 *                               live alone in their slot so that deleting
 *                               and re-adding it flushes every shadow page
 *                               table KVM keeps (docs/design.md, "TLB flush").
 */
#ifndef PVISOR_LAYOUT_H
#define PVISOR_LAYOUT_H

#include <pvisor/abi.h>

#define PAGE_SIZE          4096ull
#define PAGE_SHIFT         12
#define PAGE_MASK          (~(PAGE_SIZE - 1))

/* Above the largest RAM (MEM_MAX) and below 2^37: every x86-64 CPU with
 * hardware virtualization has at least 39 physical address bits, and a
 * memslot above the CPU's limit is refused (QEMU's default is 40). */
#define HV_AREA_GPA        0x1000000000ull    /* 64 GiB */
#define HV_AREA_SIZE       0x10000ull
#define HV_AREA_VA         0xffffff8000000000ull
#define PT_AREA_GPA        0x1040000000ull    /* 65 GiB: pool <= 1 GiB */

/* Offsets inside the hypervisor area. */
#define HV_GDT             0x0000
#define HV_IDT             0x1000
#define HV_TSS             0x2000             /* 0x68 + 8 KiB I/O bitmap + 1 */
#define HV_STUBS           0x5000
#define HV_STACK0_TOP      0xa000             /* RSP0: 0x6000 .. 0xa000 */
#define HV_IST1_TOP        0xe000             /* #DF, NMI, #MC: 0xc000 .. 0xe000 */

#define TSS_IOMAP_OFFSET   0x68
#define TSS_LIMIT          (TSS_IOMAP_OFFSET + 8192)

/* GDT selectors. */
#define SEL_KCODE          0x08
#define SEL_KDATA          0x10
#define SEL_UDATA          0x18
#define SEL_UCODE          0x20
#define SEL_TSS            0x28

/* Stub layout: vector v's stub at HV_STUBS + 16 * v, the common tail after. */
#define STUB_SLOT          16
#define STUB_COMMON        (32 * STUB_SLOT)

#define MEM_MIN            (4ull << 20)
#define MEM_MAX            (8ull << 30)
#define MEM_DEFAULT        (64ull << 20)

_Static_assert(MEM_MAX <= HV_AREA_GPA && HV_AREA_GPA + HV_AREA_SIZE <= PT_AREA_GPA,
	       "RAM, hypervisor area and page-table pool must not overlap");

#endif

/* x86_setup.h: the CPU environment pvisor gives a PV guest: long mode, a
 * GDT with CPL3 code and data segments, a TSS whose I/O bitmap opens only
 * pvisor's ports, an IDT of CPL0 trap stubs (the only code that ever runs
 * at CPL0), the hypercall page, CPUID, and the initial registers. */
#ifndef PVISOR_X86_SETUP_H
#define PVISOR_X86_SETUP_H

#include <stdint.h>

/* Flat 64-bit descriptors with the accessed bit preset, so the CPU never
 * writes them. */
#define GDT_KCODE 0x00209b0000000000ull /* 64-bit code, DPL0 */
#define GDT_KDATA 0x0000930000000000ull

struct pv_mmu;
struct kvm_segment;
struct kvm_sregs;

/* Fills the hypervisor area (GDT, TSS, IDT, stubs) and maps it, supervisor
 * only, at HV_AREA_VA. Returns 0 or -1 (page-table pool exhausted). */
int x86_build_hv_area(uint8_t *hv, struct pv_mmu *mmu);

/* Writes the hypercall stubs into a page. */
void x86_build_hypercall_page(uint8_t *page);

/* Sets CPUID, special and general registers of a vCPU so that it starts at
 * CPL3 at entry with rdi = arg. Returns 0 or -1 after logging. */
int x86_init_vcpu(int kvm_fd, int vcpu_fd, uint64_t cr3, uint64_t entry, uint64_t arg);

/* Sets the vCPU's CPUID: KVM's, plus pvisor's leaves when pv_bits != 0
 * (PVISOR_CPUID_PV_*). Returns 0 or -1 after logging. */
int x86_set_cpuid(int kvm_fd, int vcpu_fd, uint32_t pv_bits);

/* Hybrid and full mode (docs/full-virt.md): writes the boot loader's GDT
 * and identity page tables into guest RAM and starts the vCPU at CPL0 in
 * long mode at entry with rdi = arg, interrupts off. */
int x86_init_vcpu_native(int kvm_fd, int vcpu_fd, uint8_t *ram, uint64_t ram_size,
			 uint64_t entry, uint64_t arg, uint32_t pv_bits);

/* Shared by the PV and the native boot state. */
/* A flat 4 GiB code or data segment at privilege dpl, selector sel|dpl. */
void x86_flat_segment(struct kvm_segment *s, uint16_t sel, unsigned dpl, int code);
/* Long mode with paging at cr3, SSE enabled, no LDT. */
void x86_long_mode_sregs(struct kvm_sregs *sregs, uint64_t cr3);
/* rip = entry, rdi = arg, rsp = PVISOR_BOOT_STACK_TOP, rflags = 0x2, the
 * rest 0. Returns 0 or -1 after logging. */
int x86_set_entry_regs(int vcpu_fd, uint64_t entry, uint64_t arg);

/* Human name of exception vector v ("page fault"). */
const char *x86_vector_name(unsigned v);

#endif

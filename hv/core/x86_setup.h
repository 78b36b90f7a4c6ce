/* x86_setup.h: the CPU environment pvisor gives a PV guest: long mode, a
 * GDT with CPL3 code and data segments, a TSS whose I/O bitmap opens only
 * pvisor's ports, an IDT of CPL0 trap stubs (the only code that ever runs
 * at CPL0), the hypercall page, CPUID, and the initial registers. */
#ifndef PVISOR_X86_SETUP_H
#define PVISOR_X86_SETUP_H

#include <stdint.h>

struct pv_mmu;

/* Fills the hypervisor area (GDT, TSS, IDT, stubs) and maps it, supervisor
 * only, at HV_AREA_VA. Returns 0 or -1 (page-table pool exhausted). */
int x86_build_hv_area(uint8_t *hv, struct pv_mmu *mmu);

/* Writes the hypercall stubs into a page. */
void x86_build_hypercall_page(uint8_t *page);

/* Sets CPUID, special and general registers of a vCPU so that it starts at
 * CPL3 at entry with rdi = arg. Returns 0 or -1 after logging. */
int x86_init_vcpu(int kvm_fd, int vcpu_fd, uint64_t cr3, uint64_t entry, uint64_t arg);

/* Human name of exception vector v ("page fault"). */
const char *x86_vector_name(unsigned v);

#endif

/* abi.h: pvisor guest/hypervisor ABI: version, feature bits, fixed guest
 * addresses and the hypercall calling convention.
 *
 * This header and its siblings in include/pvisor/ are the contract between a
 * pvisor guest kernel and the hypervisor. They are freestanding (they need
 * only <stdint.h>) and are included by both sides. docs/abi.md explains them
 * in prose; where the two disagree, these headers are right.
 *
 * Conventions: all integers are little-endian; "gva" is a guest virtual
 * address, "pfn" a guest page frame number (guest physical address >> 12);
 * hypercalls return a non-negative value on success and a negated PVISOR_E*
 * error code (errno.h) on failure. */
#ifndef PVISOR_ABI_H
#define PVISOR_ABI_H

#include <stdint.h>

/* The ABI version a guest declares in its ELF note and reads back from the
 * start info page. Incompatible changes bump it. */
#define PVISOR_ABI_VERSION 1u

/* Feature bits, reported in start_info.features and by PVISOR_VERSION_FEATURES. */
#define PVISOR_FEAT_PV_CLOCK      (1u << 0) /* shared-info PV clock       */
#define PVISOR_FEAT_UPCALL        (1u << 1) /* asynchronous event upcalls */
#define PVISOR_FEAT_TRAPS         (1u << 2) /* guest trap handlers        */
#define PVISOR_FEAT_PV_MMU        (1u << 3) /* batched page-table updates */
#define PVISOR_FEAT_BALLOON       (1u << 4) /* memory reservation ops     */
#define PVISOR_FEATURES_ALL       0x1fu

/* ---- Guest ELF image --------------------------------------------------
 * A guest image is an x86-64 ET_EXEC ELF whose loadable segments are
 * identity-mapped (p_vaddr == p_paddr) at or above PVISOR_IMAGE_BASE. It
 * carries a note (in a PT_NOTE segment) named "pvisor" of type
 * PVISOR_NOTE_ABI_VERSION whose 4-byte descriptor is the ABI version. */
#define PVISOR_NOTE_NAME          "pvisor"
#define PVISOR_NOTE_ABI_VERSION   1u

/* ---- Fixed guest addresses (identity-mapped at boot) ------------------ */
#define PVISOR_PAGE_SIZE          4096ull
#define PVISOR_START_INFO_GVA     0x1000ull   /* struct pvisor_start_info, RW */
#define PVISOR_SHARED_INFO_GVA    0x2000ull   /* struct pvisor_shared_info, RW */
#define PVISOR_HYPERCALL_PAGE_GVA 0x3000ull   /* hypercall stubs, read+exec  */
#define PVISOR_BOOT_STACK_TOP     0x100000ull /* initial rsp; 64 KiB below   */
#define PVISOR_BOOT_STACK_SIZE    0x10000ull
#define PVISOR_IMAGE_BASE         0x100000ull /* lowest loadable address     */

/* The guest owns virtual addresses [PVISOR_GUEST_VA_MIN, PVISOR_GUEST_VA_END);
 * the upper half of the address space belongs to the hypervisor. */
#define PVISOR_GUEST_VA_MIN       0x1000ull
#define PVISOR_GUEST_VA_END       0x0000800000000000ull

/* ---- Hypercall calling convention ---------------------------------------
 * Hypercall N is made by calling PVISOR_HYPERCALL_PAGE_GVA + 32 * N with
 * arguments in rdi, rsi, rdx, r10, r8; the result comes back in rax. Only
 * rax is changed. The stubs are written by the hypervisor, so the trapping
 * instruction is not part of the ABI (today: "out %eax, $0xe0" with eax = N,
 * which the TSS I/O bitmap lets a CPL3 guest execute). */
#define PVISOR_HYPERCALL_STUB_SIZE 32u
#define PVISOR_HYPERCALL_MAX       16u    /* stubs in the page */

/* Port numbers the hypervisor's TSS opens to the guest. Not ABI: guests use
 * the hypercall page; listed here so both sides agree on one number. */
#define PVISOR_PORT_HYPERCALL     0xe0u   /* 4 ports: 0xe0..0xe3 (32-bit out) */
#define PVISOR_PORT_KICK          0xe4u   /* "deliver pending events now"     */
#define PVISOR_PORT_NULL          0xe5u   /* bare exit, no dispatch (bench)   */
#define PVISOR_PORT_TRAP          0xe6u   /* used by the CPL0 trap stubs only */

#endif

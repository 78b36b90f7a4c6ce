/* start_info.h: the start info page, the guest's first view of its world.
 *
 * The hypervisor fills it in before the guest's first instruction and puts
 * its address in rdi at the ELF entry point (rsp = PVISOR_BOOT_STACK_TOP,
 * rflags = 0x2, all other registers 0, upcall_mask set). The guest may
 * reuse the page once it has read it. */
#ifndef PVISOR_START_INFO_H
#define PVISOR_START_INFO_H

#include "abi.h"

#define PVISOR_START_MAGIC      0x6f73697672765070ull /* "pPvrviso" */
#define PVISOR_CMDLINE_MAX      1024u

struct pvisor_start_info {
	uint64_t magic;             /* PVISOR_START_MAGIC                       */
	uint32_t abi_version;       /* PVISOR_ABI_VERSION                       */
	uint32_t features;          /* PVISOR_FEAT_* offered                    */
	uint64_t nr_pages;          /* guest RAM is pfns [0, nr_pages)          */
	uint64_t first_free_pfn;    /* pfns >= this and < nr_pages are free RAM */
	uint64_t image_start;       /* [image_start, image_end): the ELF image  */
	uint64_t image_end;
	uint64_t shared_info;       /* gva of struct pvisor_shared_info         */
	uint64_t hypercall_page;    /* gva of the hypercall stubs               */
	uint64_t pt_pool_pages;     /* page-table pages the hypervisor lends    */
	uint32_t nr_vcpus;
	uint32_t domid;
	uint64_t boot_count;        /* 0 at first boot, +1 after each reboot */
	uint64_t device_page;       /* gva of struct pvisor_device_page (device.h) */
	uint64_t reserved[4];
	char cmdline[PVISOR_CMDLINE_MAX]; /* NUL-terminated                     */
};

/* At boot every RAM page in [PVISOR_GUEST_VA_MIN, nr_pages * 4096) is
 * mapped at gva == gpa, user and writable except: the hypercall page and
 * executable image segments (read-only), pfn 0 (not mapped). */

#endif

/* guest_access.h: the one way the hypervisor touches memory named by a
 * guest pointer. Every guest virtual address and length is checked here:
 * the range must not wrap, must lie in the guest's half of the address
 * space, and every page must be mapped user-accessible (and writable, to
 * write) onto guest RAM. The whole range is checked before any byte moves,
 * so a failed copy changes nothing. Callers copy a request once and then
 * validate the copy (no double fetch). */
#ifndef PVISOR_GUEST_ACCESS_H
#define PVISOR_GUEST_ACCESS_H

#include <stdint.h>

#include "core/guest_memory.h"
#include "core/pv_mmu.h"

struct guest_view {
	const struct pv_mmu *mmu;
	const struct guest_memory *gm;
};

/* Both return 0 or -PVISOR_EFAULT. */
int guest_copy_from(const struct guest_view *g, void *dst, uint64_t gva, uint64_t len);
int guest_copy_to(const struct guest_view *g, uint64_t gva, const void *src, uint64_t len);

/* Checks that the whole range is accessible (write: writable); 0 or -EFAULT. */
int guest_check(const struct guest_view *g, uint64_t gva, uint64_t len, int write);

#endif

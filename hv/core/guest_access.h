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

/* A range resolved to host memory once, before a hypercall changes any
 * state: the requests it then reads and the result it writes stay where
 * they were even if the hypercall itself unmaps their pages (they are
 * guest RAM, which only MEMORY_OP can take away, and only when unmapped).
 * So a bad pointer fails the call before it has any effect, and a batch
 * cannot pull its own arguments out from under itself. Up to 1 MiB. */
#define GUEST_SPAN_MAX_PAGES 257
struct guest_span {
	uint64_t gva, len;
	uint8_t *host[GUEST_SPAN_MAX_PAGES];	/* one per page the range touches */
};

/* 0, or -EFAULT (nothing resolved) when any page is inaccessible or the
 * range is longer than the span holds. */
int guest_span_resolve(const struct guest_view *g, struct guest_span *s, uint64_t gva,
		       uint64_t len, int write);
/* Copies [off, off + len) of a resolved span; the caller keeps within it. */
void guest_span_read(const struct guest_span *s, uint64_t off, void *dst, uint64_t len);
void guest_span_write(const struct guest_span *s, uint64_t off, const void *src, uint64_t len);

#endif

/* guest_phys.h: host pointers for guest-physical ranges. Virtio rings and
 * buffers are named by guest-physical address, not through the guest's
 * page tables; this is the one check every such address goes through. */
#ifndef PVISOR_GUEST_PHYS_H
#define PVISOR_GUEST_PHYS_H

#include <stdint.h>

#include "core/guest_access.h"

/* Host pointer for [gpa, gpa + len) when the whole range lies in guest RAM
 * (no wrap-around) and contains no ballooned-out page, else NULL. Touching
 * a ballooned-out page would silently repopulate the memfd. len 0 is valid
 * for gpa <= RAM size (the pointer must then not be dereferenced). `write`
 * is for future read-only regions: today all of RAM is writable. The answer
 * is a snapshot: the guest may balloon a page out later. */
void *guest_phys_ptr(const struct guest_view *g, uint64_t gpa, uint64_t len, int write);

#endif

/* guest_phys.h: host pointers for guest-physical ranges. Virtio rings and
 * buffers are named by guest-physical address, not through the guest's
 * page tables; this is the one check every such address goes through. */
#ifndef PVISOR_GUEST_PHYS_H
#define PVISOR_GUEST_PHYS_H

#include <stdint.h>

#include <pvisor/device.h>

#include "core/guest_access.h"

/* The guest-physical pages below this belong to the hypervisor (start
 * info, shared info, hypercall page, device page): devices never write
 * them. */
#define GUEST_PHYS_FIXED_END (PVISOR_DEVICE_PAGE_GVA + 0x1000)

/* Host pointer for [gpa, gpa + len) when the whole range lies in guest RAM
 * (no wrap-around), contains no ballooned-out page and, for a device
 * write (`write` != 0), does not touch the fixed pages below
 * GUEST_PHYS_FIXED_END; else NULL. Touching a ballooned-out page would
 * silently repopulate the memfd. len 0 is valid for gpa <= RAM size (the
 * pointer must then not be dereferenced). The answer is a snapshot: the
 * guest may balloon a page out later. */
void *guest_phys_ptr(const struct guest_view *g, uint64_t gpa, uint64_t len, int write);

#endif

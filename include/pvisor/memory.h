/* memory.h: memory reservation, the basis of ballooning.
 *
 * PVISOR_HC_MEMORY_OP(cmd, gva pfns, count), pfns an array of uint64_t,
 * count at most PVISOR_MEMORY_OP_MAX:
 *   PVISOR_MEM_DECREASE_RESERVATION: gives each RAM page back to the host.
 *     The page must be populated, not mapped anywhere and not held by a
 *     device (a ring, or a buffer of a chain in flight) (-EBUSY): unmap it
 *     with MMU_UPDATE first. Its contents are lost.
 *   PVISOR_MEM_INCREASE_RESERVATION: takes each page back; it reads as zero.
 *     The page must be a ballooned-out RAM pfn (-EINVAL otherwise).
 * Processing stops at the first failing pfn. Returns the number of pages
 * done when at least one was, else the error. A pfn array that is not all
 * readable fails the call with -EFAULT before any page changes. */
#ifndef PVISOR_MEMORY_H
#define PVISOR_MEMORY_H

#define PVISOR_MEM_INCREASE_RESERVATION 0
#define PVISOR_MEM_DECREASE_RESERVATION 1
#define PVISOR_MEMORY_OP_MAX            65536u

#endif

/* virtio_ring.h: the virtio 1.x split virtqueue, as pvisor's split drivers
 * lay it out in guest memory (virtio 1.x, "Split Virtqueues").
 *
 * A queue of N entries (N a power of two, at most PVISOR_VIRTQ_MAX_SIZE)
 * has three areas, each physically contiguous in guest RAM:
 *
 *   area               owner    alignment  bytes
 *   descriptor table   driver   16         16 * N
 *   available ring     driver    2         6 + 2 * N   (used_event last)
 *   used ring          device    4         6 + 8 * N   (avail_event last)
 *
 * Addresses in descriptors are guest-physical. All fields are
 * little-endian (native on x86-64). The driver (the guest frontend) makes
 * chains of descriptors available by writing their head indices into the
 * available ring and then incrementing avail.idx; the device (a backend in
 * pvisor) returns each chain by writing a used element and then
 * incrementing used.idx. Both indices run freely and wrap at 65536; the
 * ring slot of index i is i % N.
 *
 * Ordering, on both sides: write the ring entry (and, for the driver, the
 * descriptors) before the index that publishes it (release); read the index
 * before the entries it covers (acquire); and put a full barrier between
 * publishing an index and reading the other side's suppression field
 * (flags or the event index), so that no notification is lost.
 *
 * Freestanding: needs only <stdint.h>, shared with guest frontends. */
#ifndef PVISOR_VIRTIO_RING_H
#define PVISOR_VIRTIO_RING_H

#include <stdint.h>

/* Feature bits (bit numbers in the 64-bit virtio feature word) that concern
 * the ring itself. */
#define PVISOR_VIRTIO_F_INDIRECT_DESC  28 /* descriptors may name indirect tables */
#define PVISOR_VIRTIO_F_EVENT_IDX      29 /* used_event / avail_event suppression */
#define PVISOR_VIRTIO_F_VERSION_1      32 /* virtio 1.x (non-legacy) device       */

#define PVISOR_VIRTQ_MAX_SIZE          32768u

/* ---- Descriptor table ----------------------------------------------------
 * One descriptor names one buffer. A chain follows `next` while
 * PVISOR_VIRTQ_DESC_F_NEXT is set. Rules for drivers (the device checks
 * every one of them):
 *   - `next` is an index into the same table (< N, or < the number of
 *     entries of an indirect table);
 *   - a chain has at most N descriptors and at most 2^32 bytes in total,
 *     so it cannot loop;
 *   - all device-writable descriptors (F_WRITE) come after all
 *     device-readable ones;
 *   - F_INDIRECT only when PVISOR_VIRTIO_F_INDIRECT_DESC was negotiated,
 *     never together with F_NEXT (so an indirect descriptor ends its chain),
 *     never inside an indirect table. addr/len name a table of len / 16
 *     descriptors whose chain starts at entry 0; the device ignores F_WRITE
 *     on the descriptor that names the table. */
#define PVISOR_VIRTQ_DESC_F_NEXT       1u /* chain continues at `next`          */
#define PVISOR_VIRTQ_DESC_F_WRITE      2u /* device writes (else device reads)  */
#define PVISOR_VIRTQ_DESC_F_INDIRECT   4u /* buffer is a table of descriptors   */

struct pvisor_virtq_desc {
	uint64_t addr;    /* guest-physical address of the buffer */
	uint32_t len;     /* bytes                                */
	uint16_t flags;   /* PVISOR_VIRTQ_DESC_F_*                */
	uint16_t next;    /* next descriptor when F_NEXT          */
};

/* ---- Available ring (written by the driver only) --------------------------
 * ring[idx % N] is the head of the chain made available as number idx;
 * idx is the number of chains made available so far (mod 65536) and never
 * moves back. Without EVENT_IDX, flags = PVISOR_VIRTQ_AVAIL_F_NO_INTERRUPT
 * asks the device not to notify; with EVENT_IDX flags is 0 and the device
 * notifies when used.idx moves past used_event (the uint16_t after
 * ring[N-1], see pvisor_virtq_used_event()). */
#define PVISOR_VIRTQ_AVAIL_F_NO_INTERRUPT 1u

struct pvisor_virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];  /* N entries, then uint16_t used_event */
};

/* ---- Used ring (written by the device only) -------------------------------
 * ring[idx % N] returns chain `id` (its head) with `len` bytes written into
 * its device-writable buffers. Without EVENT_IDX, flags =
 * PVISOR_VIRTQ_USED_F_NO_NOTIFY asks the driver not to notify; with
 * EVENT_IDX flags is 0 and the driver notifies when avail.idx moves past
 * avail_event (the uint16_t after ring[N-1], pvisor_virtq_avail_event()). */
#define PVISOR_VIRTQ_USED_F_NO_NOTIFY  1u

struct pvisor_virtq_used_elem {
	uint32_t id;      /* head of the returned chain (uint32_t for padding) */
	uint32_t len;     /* bytes the device wrote                            */
};

struct pvisor_virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct pvisor_virtq_used_elem ring[]; /* N entries, then uint16_t avail_event */
};

/* ---- Sizes and helpers ----------------------------------------------------- */

/* Is n a valid queue size: a power of two in [1, PVISOR_VIRTQ_MAX_SIZE]? */
static inline int pvisor_virtq_size_valid(uint32_t n)
{
	return n != 0 && n <= PVISOR_VIRTQ_MAX_SIZE && (n & (n - 1)) == 0;
}

/* Bytes of each area for a queue of n entries, event fields included. */
static inline uint64_t pvisor_virtq_desc_bytes(uint32_t n)
{
	return 16ull * n;
}

static inline uint64_t pvisor_virtq_avail_bytes(uint32_t n)
{
	return 6ull + 2ull * n;
}

static inline uint64_t pvisor_virtq_used_bytes(uint32_t n)
{
	return 6ull + 8ull * n;
}

/* The event fields that trail the rings of a queue of n entries. */
static inline uint16_t *pvisor_virtq_used_event(struct pvisor_virtq_avail *avail, uint32_t n)
{
	return &avail->ring[n];
}

static inline uint16_t *pvisor_virtq_avail_event(struct pvisor_virtq_used *used, uint32_t n)
{
	return (uint16_t *)&used->ring[n];
}

/* The event-index test (EVENT_IDX): a side that has just moved its index
 * from old_idx to new_idx must notify the other side when the other side's
 * event_idx lies in [old_idx, new_idx), i.e. when the entry the other side
 * asked to hear about was among those just published. All arithmetic is
 * mod 65536. */
static inline int pvisor_vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

#endif

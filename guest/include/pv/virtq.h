/* pv/virtq.h: the driver (guest frontend) side of a virtio 1.x split
 * virtqueue (include/pvisor/io/virtio_ring.h).
 *
 * Pure ring logic, freestanding: no allocation, no locking, no
 * notification. The caller provides the queue's memory (page-aligned, and
 * its guest-physical address), kicks the device when pv_virtq_publish()
 * says so, and serializes all calls on one queue (one thread, or its own
 * lock; an event handler that calls pv_virtq_get_used() counts as a
 * caller). The same code is compiled into the guest kernel and into a host
 * unit test, so it needs only <stdint.h>, <stddef.h> and <stdbool.h>.
 *
 * The usual cycle:
 *
 *	err = pv_virtq_add(q, bufs, n_out, n_in, req);   (-ENOSPC: wait)
 *	if (pv_virtq_publish(q))
 *		kick the device;
 *	... later, on the queue's event, or polling:
 *	do {
 *		pv_virtq_disable_cb(q);
 *		while ((req = pv_virtq_get_used(q, &len)))
 *			complete(req, len);
 *	} while (!pv_virtq_enable_cb(q));
 *
 * The driver never trusts what the device writes: a used entry that names
 * no chain in flight, more used entries than chains published, or a length
 * larger than the chain's device-writable bytes marks the queue broken
 * (q->broken): pv_virtq_get_used() then returns NULL and pv_virtq_add()
 * -EIO until the device is reset and the queue re-initialised.
 *
 * Functions returning int return 0 or a negative errno value (the
 * PV_VIRTQ_E* numbers below are the Linux errno values the guest's and the
 * host's <errno.h> use). */
#ifndef PV_VIRTQ_H
#define PV_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pvisor/io/virtio_ring.h>

#define PV_VIRTQ_EIO		5	/* EIO: the queue is broken           */
#define PV_VIRTQ_EINVAL		22	/* EINVAL                             */
#define PV_VIRTQ_ENOSPC		28	/* ENOSPC: no free descriptors        */

/* The used ring starts on a page of its own. */
#define PV_VIRTQ_ALIGN		4096u

/* Longest chain pv_virtq_add() accepts (also never more than the queue
 * size): pvisor's devices refuse longer ones (docs/virtqueue.md,
 * VQ_MAX_CHAIN). Also the largest max_indirect. */
#define PV_VIRTQ_MAX_CHAIN	256u

/* One buffer of a request: guest-physical address and length. */
struct pv_vq_buf {
	uint64_t gpa;
	uint32_t len;
};

/* Driver-private state of one descriptor (lives in the queue memory, after
 * the rings; the device never reads it). */
struct pv_virtq_slot {
	void *token;		/* at a chain's head while in flight, else NULL */
	uint32_t writable;	/* device-writable bytes of the chain at head   */
	uint16_t next;		/* free list / chain link (our own copy)        */
	uint16_t ndesc;		/* ring descriptors of the chain at head        */
	uint16_t added_at;	/* the avail index of the chain at head         */
};

/* A queue. The fields are read-only for callers; desc_gpa, avail_gpa and
 * used_gpa are what the device page wants, and broken says the device
 * broke a rule. */
struct pv_virtq {
	uint16_t size;				/* entries, a power of two   */
	bool event_idx;				/* VIRTIO_F_EVENT_IDX        */
	bool use_indirect;			/* INDIRECT_DESC and a pool  */
	bool cb_enabled;			/* pv_virtq_enable_cb()      */
	bool broken;
	unsigned max_indirect;			/* descriptors per table     */
	unsigned indirect_min;			/* fewest buffers that use one */
	uint64_t desc_gpa, avail_gpa, used_gpa, indirect_gpa;
	struct pvisor_virtq_desc *desc;
	struct pvisor_virtq_avail *avail;
	struct pvisor_virtq_used *used;
	uint16_t *used_event;			/* trails avail->ring        */
	uint16_t *avail_event;			/* trails used->ring         */
	struct pvisor_virtq_desc *indirect;	/* size * max_indirect       */
	struct pv_virtq_slot *slots;		/* size entries              */
	uint16_t free_head;			/* first free descriptor     */
	uint16_t num_free;			/* free descriptors          */
	uint16_t avail_idx;			/* next avail entry we write */
	uint16_t published_idx;			/* avail->idx as published   */
	uint16_t last_used_idx;			/* next used entry we read   */
	uint16_t detach_cursor;			/* pv_virtq_detach_unused()  */
};

/* Bytes of queue memory for a queue of `size` entries whose indirect
 * tables hold up to max_indirect descriptors (0: no indirect tables),
 * a multiple of the page size: descriptor table, available ring (with
 * used_event), the used ring (with avail_event) on the next page boundary,
 * the indirect-table pool (size * max_indirect descriptors) and the
 * driver's per-descriptor state. 0 when size is not a power of two in
 * 1..32768 or max_indirect > PV_VIRTQ_MAX_CHAIN. */
size_t pv_virtq_mem_bytes(uint16_t size, unsigned max_indirect);

/* Lays a queue out in mem (pv_virtq_mem_bytes(size, max_indirect) bytes,
 * page-aligned, guest-physically contiguous at mem_gpa, also page-aligned)
 * and zeroes it. features is the negotiated feature word: EVENT_IDX and
 * INDIRECT_DESC matter (indirect tables are used when INDIRECT_DESC was
 * negotiated and max_indirect >= 2). Interrupts start enabled. Call it
 * again, after a device reset, to reuse the memory. Returns 0 or -EINVAL
 * (bad size, max_indirect, or alignment). */
int pv_virtq_init(struct pv_virtq *q, uint16_t size, void *mem, uint64_t mem_gpa,
		  uint64_t features, unsigned max_indirect);

/* Adds one request: bufs[0 .. n_out) are device-readable, bufs[n_out ..
 * n_out + n_in) device-writable. token (not NULL) comes back from
 * pv_virtq_get_used() when the device returns the request. A request of
 * more than one buffer takes one descriptor and an indirect table when
 * those are in use and n_out + n_in <= max_indirect, else one descriptor
 * per buffer. Writes the descriptors and the available ring entry but does
 * not make them visible: call pv_virtq_publish(). Returns 0; -ENOSPC when
 * there are not enough free descriptors (wait for used buffers); -EINVAL
 * for no buffers, more than min(size, PV_VIRTQ_MAX_CHAIN), more than 4 GiB
 * in total or a NULL token; -EIO when the queue is broken. */
int pv_virtq_add(struct pv_virtq *q, const struct pv_vq_buf *bufs, unsigned n_out,
		 unsigned n_in, void *token);

/* Makes the requests added since the last call visible to the device
 * (release store of avail->idx), then, after a full barrier, reads the
 * device's wish: returns true if the device must be kicked (no
 * USED_F_NO_NOTIFY, or with EVENT_IDX avail_event among the entries just
 * published). false when nothing was added or the queue is broken. */
bool pv_virtq_publish(struct pv_virtq *q);

/* Takes the next request the device returned: its token, with *len (if len
 * is not NULL) = bytes the device wrote into its device-writable buffers.
 * NULL when there is none, or when the device broke a rule (q->broken is
 * then set). While interrupts are enabled with EVENT_IDX, moves used_event
 * on (with a full barrier) so the device interrupts for the next entry. */
void *pv_virtq_get_used(struct pv_virtq *q, uint32_t *len);

/* Asks the device not to interrupt when it returns requests
 * (AVAIL_F_NO_INTERRUPT; with EVENT_IDX, used_event = last_used - 1, so at
 * most one interrupt already under way still comes). Only a hint. */
void pv_virtq_disable_cb(struct pv_virtq *q);

/* Asks the device to interrupt again for the next request it returns
 * (clears the flag; with EVENT_IDX, used_event = the next used entry),
 * then, after a full barrier, re-reads used->idx: returns false if
 * requests were returned meanwhile, which will raise no interrupt, so the
 * caller must take them (pv_virtq_get_used()) and try again. true when
 * nothing is pending, or the queue is broken. */
bool pv_virtq_enable_cb(struct pv_virtq *q);

/* Requests of fewer than n buffers use direct descriptors even when
 * indirect tables are in use (default 2: every multi-buffer request uses
 * a table). A short chain of direct descriptors saves the device one
 * cache miss on the table; measured on the block queue at QD32: +7 %. */
void pv_virtq_set_indirect_min(struct pv_virtq *q, unsigned n);

/* Descriptors free now (a request needs one, or one per buffer). */
unsigned pv_virtq_num_free(const struct pv_virtq *q);

/* After the device was reset (it no longer touches the rings): takes back
 * one request that was added but not returned and gives its token, NULL
 * when none is left. Re-initialise the queue before using it again. */
void *pv_virtq_detach_unused(struct pv_virtq *q);

#endif

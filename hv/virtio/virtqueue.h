/* virtqueue.h: the device (backend) side of a virtio 1.x split virtqueue
 * (include/pvisor/io/virtio_ring.h), with strict validation of everything the
 * guest controls. Pure logic over guest memory: no threads, no
 * notifications; the caller owns one queue from one thread at a time.
 *
 * A backend pops a chain, does the work, pushes the chain back with the
 * number of bytes written, and asks vq_should_notify() whether to raise the
 * driver's event. Any rule the guest breaks marks the queue broken: every
 * later call fails without touching guest memory, and vq_broken_reason()
 * says why in one line. docs/virtqueue.md lists the rules. */
#ifndef PVISOR_VIRTQUEUE_H
#define PVISOR_VIRTQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <pvisor/io/virtio_ring.h>

#include "core/guest_access.h"

/* Most descriptors (direct and indirect together) one chain may have; the
 * queue size lowers it for queues smaller than this. */
#define VQ_MAX_CHAIN 256

/* One buffer of a chain, validated: [gpa, gpa + len) lies in guest RAM and
 * host points at it. len is never 0 (zero-length descriptors are checked,
 * then dropped). */
struct vq_buf {
	uint64_t gpa;
	uint32_t len;
	bool device_writes;   /* device-writable, else device-readable */
	void *host;
};

/* A popped chain: the device-readable buffers first, then the writable. */
struct vq_chain {
	uint16_t head;        /* pass to vq_push */
	unsigned nbufs;
	struct vq_buf bufs[VQ_MAX_CHAIN];
	uint64_t readable_bytes, writable_bytes;
};

/* The guest pages a popped chain's buffers lie in, as one span of pfns
 * [first_pfn, last_pfn]: a superset when the buffers are scattered (the
 * balloon may then be refused a page between them while the chain is in
 * flight), empty (first > last) when the chain carries no bytes. */
struct vq_span {
	uint64_t first_pfn, last_pfn;
};

struct virtqueue {
	struct guest_view g;
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct pvisor_virtq_desc *desc;       /* host pointers, checked at init */
	struct pvisor_virtq_avail *avail;
	struct pvisor_virtq_used *used;
	uint16_t *used_event;                 /* trails avail->ring (EVENT_IDX) */
	uint16_t *avail_event;                /* trails used->ring (EVENT_IDX)  */
	bool indirect;                        /* VIRTIO_F_INDIRECT_DESC         */
	bool event_idx;                       /* VIRTIO_F_EVENT_IDX             */
	bool notify_enabled;                  /* vq_set_notify()                */
	uint16_t last_avail_idx;              /* next available entry to pop    */
	uint16_t avail_idx;                   /* avail->idx as last read        */
	uint16_t used_idx;                    /* our used->idx (we write it)    */
	uint16_t signalled_used;              /* used_idx at the last should_notify */
	bool broken;
	char reason[96];
	uint64_t desc_fetches;                /* descriptors read from the guest */
	uint64_t inflight[PVISOR_VIRTQ_MAX_SIZE / 64]; /* popped, not pushed heads */
	/* What the device holds, for the balloon (vdev.c sets both after
	 * vq_init; NULL: not tracked): each in-flight head's span, indexed by
	 * head, and the lock under which pops check and record buffers and
	 * the balloon asks vq_holds_pfn() before it takes a page. */
	struct vq_span *held;
	pthread_mutex_t *hold_lock;
};

/* Sets up a queue over guest-physical rings. features is the negotiated
 * virtio feature word (only INDIRECT_DESC and EVENT_IDX matter here).
 * Checks that size is a power of two <= 32768, the alignments (desc 16,
 * avail 2, used 4) and that each area lies in RAM. Writes no guest memory.
 * Returns 0, or -EINVAL with the queue left broken (reason says why). */
int vq_init(struct virtqueue *vq, const struct guest_view *g, uint16_t size, uint64_t desc_gpa,
	    uint64_t avail_gpa, uint64_t used_gpa, uint64_t features);

/* Takes the next available chain. Returns 1 with *chain filled, 0 when the
 * ring is empty, -EIO when the queue is (or just became) broken. Entries
 * of chain->bufs at nbufs and beyond are not the chain's (bufs[0] of a
 * chain with no bytes is zeroed). Under hold_lock, so that a buffer in a
 * page the balloon has taken breaks the queue rather than being held. */
int vq_pop(struct virtqueue *vq, struct vq_chain *chain);

/* Is pfn in a buffer of a chain popped and not yet pushed? Call with
 * *hold_lock held; false when holds are not tracked. */
bool vq_holds_pfn(const struct virtqueue *vq, uint64_t pfn);

/* Returns popped chain `head` to the driver with `written` bytes written
 * (at most the chain's writable_bytes). Does not notify. Returns 0; -EINVAL
 * (nothing written) when head is not a popped, not yet pushed head: a
 * device bug; -EIO when the queue is broken. */
int vq_push(struct virtqueue *vq, uint16_t head, uint32_t written);

/* After one or more pushes: should the driver be notified? Honours
 * VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX. false when
 * nothing was pushed since the last call or the queue is broken. */
bool vq_should_notify(struct virtqueue *vq);

/* Asks the driver to notify (enable) or not to (disable) when it makes
 * buffers available: VIRTQ_USED_F_NO_NOTIFY, or avail_event with
 * EVENT_IDX. Enabled after vq_init. After enabling, call vq_more_avail():
 * the driver may have added buffers before it saw the change. */
void vq_set_notify(struct virtqueue *vq, bool enable);

/* Are chains available that vq_pop has not taken? (Full barrier first, so
 * it is the re-check that closes the race with vq_set_notify(true).) */
bool vq_more_avail(struct virtqueue *vq);

/* Why the queue broke (one line, no newline), or NULL while it works. */
const char *vq_broken_reason(const struct virtqueue *vq);

#endif

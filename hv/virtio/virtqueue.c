/* virtqueue.c: the device side of virtio split virtqueues (virtqueue.h).
 *
 * The guest may change its rings at any moment, from another CPU. So every
 * value that comes from guest memory is read exactly once into a local,
 * checked, and only the local is used: avail->idx once per batch, each ring
 * entry once, each descriptor once (fetch_desc() is the only reader of
 * descriptors; tests count its calls). Cross-CPU accesses use __atomic
 * builtins with the orderings docs/virtqueue.md explains. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/guest_phys.h"
#include "core/layout.h"
#include "virtio/virtqueue.h"

_Static_assert(sizeof(struct pvisor_virtq_desc) == 16, "descriptor layout");
_Static_assert(sizeof(struct pvisor_virtq_avail) == 4, "avail ring header layout");
_Static_assert(sizeof(struct pvisor_virtq_used) == 4, "used ring header layout");
_Static_assert(sizeof(struct pvisor_virtq_used_elem) == 8, "used element layout");

#define DESC_SIZE       sizeof(struct pvisor_virtq_desc)
#define CHAIN_MAX_BYTES (1ull << 32)     /* the spec's limit on a whole chain */

/* Marks the queue broken (the first reason sticks) and returns -EIO. */
static int vq_break(struct virtqueue *vq, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int vq_break(struct virtqueue *vq, const char *fmt, ...)
{
	va_list ap;

	if (!vq->broken) {
		va_start(ap, fmt);
		vsnprintf(vq->reason, sizeof(vq->reason), fmt, ap);
		va_end(ap);
		vq->broken = true;
	}
	return -EIO;
}

const char *vq_broken_reason(const struct virtqueue *vq)
{
	return vq->broken ? vq->reason : NULL;
}

/* ---- In-flight heads: popped and not yet pushed ------------------------ */

static bool inflight_test(const struct virtqueue *vq, uint16_t head)
{
	return (vq->inflight[head / 64] >> (head % 64)) & 1;
}

static void inflight_set(struct virtqueue *vq, uint16_t head)
{
	vq->inflight[head / 64] |= 1ull << (head % 64);
}

static void inflight_clear(struct virtqueue *vq, uint16_t head)
{
	vq->inflight[head / 64] &= ~(1ull << (head % 64));
}

/* ---- Setup ---------------------------------------------------------------- */

static int init_fail(struct virtqueue *vq, const char *what, uint64_t gpa, uint64_t len)
{
	vq_break(vq, "%s %#llx+%#llx is outside RAM or ballooned", what, (unsigned long long)gpa,
		 (unsigned long long)len);
	return -EINVAL;
}

int vq_init(struct virtqueue *vq, const struct guest_view *g, uint16_t size, uint64_t desc_gpa,
	    uint64_t avail_gpa, uint64_t used_gpa, uint64_t features)
{
	memset(vq, 0, sizeof(*vq));
	vq->g = *g;
	vq->size = size;
	vq->desc_gpa = desc_gpa;
	vq->avail_gpa = avail_gpa;
	vq->used_gpa = used_gpa;
	if (!pvisor_virtq_size_valid(size)) {
		vq_break(vq, "queue size %u is not a power of two in 1..%u", size,
			 PVISOR_VIRTQ_MAX_SIZE);
		return -EINVAL;
	}
	if (desc_gpa % 16 || avail_gpa % 2 || used_gpa % 4) {
		vq_break(vq, "misaligned rings: desc %#llx (needs 16), avail %#llx (2), used %#llx (4)",
			 (unsigned long long)desc_gpa, (unsigned long long)avail_gpa,
			 (unsigned long long)used_gpa);
		return -EINVAL;
	}
	vq->desc = guest_phys_ptr(g, desc_gpa, pvisor_virtq_desc_bytes(size), 0);
	if (!vq->desc)
		return init_fail(vq, "descriptor table", desc_gpa, pvisor_virtq_desc_bytes(size));
	vq->avail = guest_phys_ptr(g, avail_gpa, pvisor_virtq_avail_bytes(size), 0);
	if (!vq->avail)
		return init_fail(vq, "available ring", avail_gpa, pvisor_virtq_avail_bytes(size));
	vq->used = guest_phys_ptr(g, used_gpa, pvisor_virtq_used_bytes(size), 1);
	if (!vq->used)
		return init_fail(vq, "used ring", used_gpa, pvisor_virtq_used_bytes(size));
	vq->used_event = pvisor_virtq_used_event(vq->avail, size);
	vq->avail_event = pvisor_virtq_avail_event(vq->used, size);
	vq->indirect = (features >> PVISOR_VIRTIO_F_INDIRECT_DESC) & 1;
	vq->event_idx = (features >> PVISOR_VIRTIO_F_EVENT_IDX) & 1;
	vq->notify_enabled = true;
	return 0;
}

/* ---- Walking a chain -------------------------------------------------------- */

struct chain_walk {
	struct vq_chain *chain;
	unsigned limit;        /* most buffer descriptors the chain may have   */
	unsigned ndesc;        /* buffer descriptors seen (zero-length too)     */
	bool writable_seen;
};

/* The only read of a descriptor from guest memory: one copy into *d, then
 * a compiler barrier so that the compiler cannot replace a later use of *d
 * by a second load from the guest's table. Byte copy because indirect
 * tables need not be aligned. */
static void fetch_desc(struct virtqueue *vq, const uint8_t *src, struct pvisor_virtq_desc *d)
{
	memcpy(d, src, sizeof(*d));
	__asm__ __volatile__("" ::: "memory");
	vq->desc_fetches++;
}

/* Validates one (non-indirect) descriptor and appends it to the chain. */
static int add_buf(struct virtqueue *vq, struct chain_walk *w, const struct pvisor_virtq_desc *d)
{
	struct vq_chain *c = w->chain;
	bool writes = d->flags & PVISOR_VIRTQ_DESC_F_WRITE;
	void *host;

	if (!writes && w->writable_seen)
		return vq_break(vq, "device-readable descriptor after a device-writable one");
	host = guest_phys_ptr(&vq->g, d->addr, d->len, writes);
	if (!host)
		return vq_break(vq, "buffer %#llx+%#x is outside RAM or ballooned",
				(unsigned long long)d->addr, d->len);
	if (c->readable_bytes + c->writable_bytes + d->len > CHAIN_MAX_BYTES)
		return vq_break(vq, "descriptor chain longer than 4 GiB");
	w->writable_seen |= writes;
	if (d->len == 0)
		return 0;      /* legal, carries nothing: checked, then dropped */
	c->bufs[c->nbufs++] = (struct vq_buf){ d->addr, d->len, writes, host };
	if (writes)
		c->writable_bytes += d->len;
	else
		c->readable_bytes += d->len;
	return 0;
}

static int walk_indirect(struct virtqueue *vq, struct chain_walk *w,
			 const struct pvisor_virtq_desc *d, bool in_indirect);

/* Follows a chain from table[first] through a table of `entries`
 * descriptors (the queue's own table, or an indirect one). */
static int walk_table(struct virtqueue *vq, struct chain_walk *w, const uint8_t *table,
		      uint32_t entries, uint16_t first, bool in_indirect)
{
	uint16_t i = first;

	for (;;) {
		struct pvisor_virtq_desc d;
		int rc;

		if (w->ndesc >= w->limit)
			return vq_break(vq, "descriptor chain loops or is too long (limit %u)",
					w->limit);
		fetch_desc(vq, table + (uint64_t)i * DESC_SIZE, &d);
		if (d.flags & PVISOR_VIRTQ_DESC_F_INDIRECT)
			return walk_indirect(vq, w, &d, in_indirect);
		w->ndesc++;
		rc = add_buf(vq, w, &d);
		if (rc)
			return rc;
		if (!(d.flags & PVISOR_VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= entries)
			return vq_break(vq, "next %u out of range (%u descriptors)", d.next, entries);
		i = d.next;
	}
}

/* A descriptor naming an indirect table: it ends the chain (no NEXT), its
 * own WRITE flag is ignored (the spec says so), the table is walked from
 * entry 0 and may not name another table. */
static int walk_indirect(struct virtqueue *vq, struct chain_walk *w,
			 const struct pvisor_virtq_desc *d, bool in_indirect)
{
	uint64_t max = pvisor_virtq_desc_bytes(vq->size);
	const uint8_t *table;

	if (in_indirect)
		return vq_break(vq, "indirect descriptor inside an indirect table");
	if (!vq->indirect)
		return vq_break(vq, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
	if (d->flags & PVISOR_VIRTQ_DESC_F_NEXT)
		return vq_break(vq, "indirect descriptor with F_NEXT");
	if (d->len == 0 || d->len % DESC_SIZE || d->len > max)
		return vq_break(vq, "indirect table of %u bytes (needs a multiple of 16 in 16..%llu)",
				d->len, (unsigned long long)max);
	table = guest_phys_ptr(&vq->g, d->addr, d->len, 0);
	if (!table)
		return vq_break(vq, "indirect table %#llx+%#x is outside RAM or ballooned",
				(unsigned long long)d->addr, d->len);
	return walk_table(vq, w, table, d->len / DESC_SIZE, 0, true);
}

/* ---- Available ring ------------------------------------------------------------ */

/* Reads avail->idx once for a batch of pops. Acquire: the ring entries and
 * descriptors it publishes are read after it. Returns how many entries are
 * new, or -EIO. */
static int read_avail_idx(struct virtqueue *vq)
{
	uint16_t idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	uint16_t n = (uint16_t)(idx - vq->last_avail_idx);

	if (n > vq->size)
		return vq_break(vq, "avail index jumped by %u (queue size %u)", n, vq->size);
	vq->avail_idx = idx;
	return n;
}

static unsigned chain_limit(const struct virtqueue *vq)
{
	return vq->size < VQ_MAX_CHAIN ? vq->size : VQ_MAX_CHAIN;
}

static struct vq_span chain_span(const struct vq_chain *c)
{
	struct vq_span s = { UINT64_MAX, 0 };

	for (unsigned i = 0; i < c->nbufs; i++) {
		uint64_t first = c->bufs[i].gpa >> PAGE_SHIFT;
		uint64_t last = (c->bufs[i].gpa + c->bufs[i].len - 1) >> PAGE_SHIFT;

		if (first < s.first_pfn)
			s.first_pfn = first;
		if (last > s.last_pfn)
			s.last_pfn = last;
	}
	return s;
}

/* hold_lock, where holds are tracked. */
static void holds_lock(struct virtqueue *vq)
{
	if (vq->hold_lock)
		pthread_mutex_lock(vq->hold_lock);
}

static void holds_unlock(struct virtqueue *vq)
{
	if (vq->hold_lock)
		pthread_mutex_unlock(vq->hold_lock);
}

static int pop_locked(struct virtqueue *vq, struct vq_chain *chain)
{
	struct chain_walk w = { .chain = chain, .limit = chain_limit(vq) };
	uint16_t slot, head;
	int rc;

	chain->nbufs = 0;
	chain->bufs[0] = (struct vq_buf){ 0 };
	chain->readable_bytes = chain->writable_bytes = 0;
	if (vq->broken)
		return -EIO;
	if (vq->last_avail_idx == vq->avail_idx) {
		rc = read_avail_idx(vq);
		if (rc <= 0)
			return rc;
	}
	slot = vq->last_avail_idx & (vq->size - 1);
	head = __atomic_load_n(&vq->avail->ring[slot], __ATOMIC_RELAXED);
	if (head >= vq->size)
		return vq_break(vq, "head %u out of range (queue size %u)", head, vq->size);
	if (inflight_test(vq, head))
		return vq_break(vq, "head %u made available again while in flight", head);
	chain->head = head;
	rc = walk_table(vq, &w, (const uint8_t *)vq->desc, vq->size, head, false);
	if (rc)
		return rc;
	vq->last_avail_idx++;
	inflight_set(vq, head);
	if (vq->held)
		vq->held[head] = chain_span(chain);
	if (vq->notify_enabled && vq->event_idx)
		__atomic_store_n(vq->avail_event, vq->last_avail_idx, __ATOMIC_RELAXED);
	return 1;
}

int vq_pop(struct virtqueue *vq, struct vq_chain *chain)
{
	int rc;

	holds_lock(vq);
	rc = pop_locked(vq, chain);
	holds_unlock(vq);
	return rc;
}

bool vq_holds_pfn(const struct virtqueue *vq, uint64_t pfn)
{
	if (!vq->held)
		return false;
	for (unsigned w = 0; w < (vq->size + 63u) / 64; w++) {
		for (uint64_t bits = vq->inflight[w]; bits; bits &= bits - 1) {
			const struct vq_span *s = &vq->held[w * 64 + (unsigned)__builtin_ctzll(bits)];

			if (pfn >= s->first_pfn && pfn <= s->last_pfn)
				return true;
		}
	}
	return false;
}

/* ---- Used ring -------------------------------------------------------------------- */

int vq_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	struct pvisor_virtq_used_elem *e;

	if (vq->broken)
		return -EIO;
	if (head >= vq->size || !inflight_test(vq, head))
		return -EINVAL;
	e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, written, __ATOMIC_RELAXED);
	vq->used_idx++;
	/* Release: the element, and the bytes the device wrote into the
	 * buffers, are visible before the index that hands them over. */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
	holds_lock(vq);
	inflight_clear(vq, head);
	holds_unlock(vq);
	return 0;
}

/* ---- Notification suppression --------------------------------------------------- */

bool vq_should_notify(struct virtqueue *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx;

	if (vq->broken || old == now)
		return false;
	vq->signalled_used = now;
	/* Our used->idx store before the load of the driver's suppression
	 * field: a store-load order, so a full barrier. Without it a driver
	 * re-enabling interrupts could miss both the index and the interrupt. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx)
		return pvisor_vring_need_event(__atomic_load_n(vq->used_event, __ATOMIC_RELAXED),
					       now, old);
	return !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) &
		 PVISOR_VIRTQ_AVAIL_F_NO_INTERRUPT);
}

void vq_set_notify(struct virtqueue *vq, bool enable)
{
	if (vq->broken)
		return;
	vq->notify_enabled = enable;
	if (vq->event_idx) {
		/* Ask for the first entry we have not taken. Disabling leaves
		 * avail_event alone: the driver notifies at most once more. */
		if (enable)
			__atomic_store_n(vq->avail_event, vq->last_avail_idx, __ATOMIC_RELAXED);
		return;
	}
	__atomic_store_n(&vq->used->flags, enable ? 0 : PVISOR_VIRTQ_USED_F_NO_NOTIFY,
			 __ATOMIC_RELAXED);
}

bool vq_more_avail(struct virtqueue *vq)
{
	if (vq->broken)
		return false;
	/* Orders a preceding vq_set_notify(true) store before this load. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->last_avail_idx;
}

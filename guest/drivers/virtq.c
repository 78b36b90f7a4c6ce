/* virtq.c: the driver side of virtio split virtqueues (pv/virtq.h).
 *
 * Free descriptors form a list linked through the driver's own copy of the
 * links (slots[].next), so freeing a chain never reads memory the device
 * can write. A direct chain is a run of that list; a request in an
 * indirect table uses one ring descriptor and the table reserved for its
 * head in the pool. Cross-CPU accesses use __atomic builtins with the
 * orderings virtio_ring.h describes: descriptors and ring entry before
 * avail->idx (release), used->idx (acquire) before the used entries, and a
 * full barrier between publishing an index or event field and reading the
 * other side's. Compiled for the guest and for a host unit test alike. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pvisor/io/virtio_ring.h>
#include "pv/virtq.h"

#define DESC_BYTES		sizeof(struct pvisor_virtq_desc)
#define CHAIN_MAX_BYTES		(1ull << 32)	/* the spec's limit on a chain */

_Static_assert(sizeof(struct pvisor_virtq_desc) == 16, "descriptor layout");

/* ---- Memory layout ----------------------------------------------------- */

struct virtq_layout {
	size_t avail, used, indirect, slots, total;	/* byte offsets, size */
};

static size_t align_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static bool layout_valid(uint16_t size, unsigned max_indirect)
{
	return pvisor_virtq_size_valid(size) && max_indirect <= PV_VIRTQ_MAX_CHAIN;
}

static void layout_of(uint16_t size, unsigned max_indirect, struct virtq_layout *l)
{
	size_t indirect_bytes = (size_t)size * max_indirect * DESC_BYTES;

	l->avail = pvisor_virtq_desc_bytes(size);
	l->used = align_up(l->avail + pvisor_virtq_avail_bytes(size), PV_VIRTQ_ALIGN);
	l->indirect = align_up(l->used + pvisor_virtq_used_bytes(size), DESC_BYTES);
	l->slots = align_up(l->indirect + indirect_bytes, sizeof(void *));
	l->total = align_up(l->slots + (size_t)size * sizeof(struct pv_virtq_slot),
			    PV_VIRTQ_ALIGN);
}

size_t pv_virtq_mem_bytes(uint16_t size, unsigned max_indirect)
{
	struct virtq_layout l;

	if (!layout_valid(size, max_indirect))
		return 0;
	layout_of(size, max_indirect, &l);
	return l.total;
}

/* ---- Setup ------------------------------------------------------------- */

static void free_list_init(struct pv_virtq *q)
{
	for (unsigned i = 0; i < q->size; i++)
		q->slots[i].next = (uint16_t)(i + 1);	/* the last link is never followed */
	q->free_head = 0;
	q->num_free = q->size;
}

int pv_virtq_init(struct pv_virtq *q, uint16_t size, void *mem, uint64_t mem_gpa,
		  uint64_t features, unsigned max_indirect)
{
	uint8_t *base = mem;
	struct virtq_layout l;

	if (!layout_valid(size, max_indirect) || !mem ||
	    (uintptr_t)mem % PV_VIRTQ_ALIGN || mem_gpa % PV_VIRTQ_ALIGN)
		return -PV_VIRTQ_EINVAL;
	layout_of(size, max_indirect, &l);
	__builtin_memset(mem, 0, l.total);	/* rings start zeroed (spec) */
	__builtin_memset(q, 0, sizeof(*q));
	q->size = size;
	q->event_idx = (features >> PVISOR_VIRTIO_F_EVENT_IDX) & 1;
	q->use_indirect = ((features >> PVISOR_VIRTIO_F_INDIRECT_DESC) & 1) && max_indirect >= 2;
	q->indirect_min = 2;
	q->cb_enabled = true;
	q->max_indirect = max_indirect;
	q->desc_gpa = mem_gpa;
	q->avail_gpa = mem_gpa + l.avail;
	q->used_gpa = mem_gpa + l.used;
	q->indirect_gpa = mem_gpa + l.indirect;
	q->desc = (struct pvisor_virtq_desc *)base;
	q->avail = (struct pvisor_virtq_avail *)(base + l.avail);
	q->used = (struct pvisor_virtq_used *)(base + l.used);
	q->used_event = pvisor_virtq_used_event(q->avail, size);
	q->avail_event = pvisor_virtq_avail_event(q->used, size);
	q->indirect = (struct pvisor_virtq_desc *)(base + l.indirect);
	q->slots = (struct pv_virtq_slot *)(base + l.slots);
	free_list_init(q);
	return 0;
}

/* ---- Adding requests --------------------------------------------------- */

static unsigned chain_limit(const struct pv_virtq *q)
{
	return q->size < PV_VIRTQ_MAX_CHAIN ? q->size : PV_VIRTQ_MAX_CHAIN;
}

/* Checks the request's shape; sets *writable to its device-writable bytes
 * (capped at UINT32_MAX, the most a used length can say). */
static bool request_valid(const struct pv_virtq *q, const struct pv_vq_buf *bufs,
			  unsigned n_out, unsigned n_in, const void *token, uint32_t *writable)
{
	uint64_t total = 0, in = 0;

	if (!token || !bufs || n_out > chain_limit(q) || n_in > chain_limit(q) ||
	    n_out + n_in == 0 || n_out + n_in > chain_limit(q))
		return false;
	for (unsigned i = 0; i < n_out + n_in; i++) {
		total += bufs[i].len;
		if (i >= n_out)
			in += bufs[i].len;
	}
	*writable = in > UINT32_MAX ? UINT32_MAX : (uint32_t)in;
	return total <= CHAIN_MAX_BYTES;
}

static struct pvisor_virtq_desc buf_desc(const struct pv_vq_buf *b, bool device_writes)
{
	return (struct pvisor_virtq_desc){
		.addr = b->gpa,
		.len = b->len,
		.flags = device_writes ? PVISOR_VIRTQ_DESC_F_WRITE : 0,
	};
}

/* Takes one descriptor from the free list. */
static uint16_t desc_take(struct pv_virtq *q)
{
	uint16_t i = q->free_head;

	q->free_head = q->slots[i].next;
	q->num_free--;
	return i;
}

/* One descriptor per buffer, linked by F_NEXT; returns the head. The chain
 * keeps the free list's links, so slots[].next walks it when it is freed. */
static uint16_t add_direct(struct pv_virtq *q, const struct pv_vq_buf *bufs, unsigned n_out,
			   unsigned n)
{
	uint16_t head = q->free_head;

	for (unsigned k = 0; k < n; k++) {
		uint16_t i = desc_take(q);
		struct pvisor_virtq_desc d = buf_desc(&bufs[k], k >= n_out);

		if (k + 1 < n) {
			d.flags |= PVISOR_VIRTQ_DESC_F_NEXT;
			d.next = q->slots[i].next;
		}
		q->desc[i] = d;
	}
	q->slots[head].ndesc = (uint16_t)n;
	return head;
}

/* The buffers go into the indirect table reserved for the head; the head
 * descriptor names the table. Returns the head. */
static uint16_t add_indirect(struct pv_virtq *q, const struct pv_vq_buf *bufs, unsigned n_out,
			     unsigned n)
{
	uint16_t head = desc_take(q);
	size_t first = (size_t)head * q->max_indirect;
	struct pvisor_virtq_desc *table = q->indirect + first;

	for (unsigned k = 0; k < n; k++) {
		table[k] = buf_desc(&bufs[k], k >= n_out);
		if (k + 1 < n) {
			table[k].flags |= PVISOR_VIRTQ_DESC_F_NEXT;
			table[k].next = (uint16_t)(k + 1);
		}
	}
	q->desc[head] = (struct pvisor_virtq_desc){
		.addr = q->indirect_gpa + first * DESC_BYTES,
		.len = (uint32_t)(n * DESC_BYTES),
		.flags = PVISOR_VIRTQ_DESC_F_INDIRECT,
	};
	q->slots[head].ndesc = 1;
	return head;
}

int pv_virtq_add(struct pv_virtq *q, const struct pv_vq_buf *bufs, unsigned n_out,
		 unsigned n_in, void *token)
{
	bool indirect;
	uint32_t writable;
	uint16_t head;
	unsigned n;

	if (q->broken)
		return -PV_VIRTQ_EIO;
	if (!request_valid(q, bufs, n_out, n_in, token, &writable))
		return -PV_VIRTQ_EINVAL;
	n = n_out + n_in;
	indirect = q->use_indirect && n >= q->indirect_min && n > 1 && n <= q->max_indirect;
	if (q->num_free < (indirect ? 1 : n))
		return -PV_VIRTQ_ENOSPC;
	head = indirect ? add_indirect(q, bufs, n_out, n) : add_direct(q, bufs, n_out, n);
	q->slots[head].token = token;
	q->slots[head].writable = writable;
	q->slots[head].added_at = q->avail_idx;
	/* Safe before publishing: the device reads only entries below
	 * avail->idx, and this slot's previous entry was popped before its
	 * chain came back (we had a free descriptor). */
	__atomic_store_n(&q->avail->ring[q->avail_idx & (q->size - 1)], head, __ATOMIC_RELAXED);
	q->avail_idx++;
	return 0;
}

bool pv_virtq_publish(struct pv_virtq *q)
{
	uint16_t old = q->published_idx, now = q->avail_idx;

	if (q->broken || old == now)
		return false;
	/* Release: descriptors, tables and ring entries before the index. */
	__atomic_store_n(&q->avail->idx, now, __ATOMIC_RELEASE);
	q->published_idx = now;
	/* Store (avail->idx) then load (the device's wish): a full barrier,
	 * or a device going to sleep could miss both the index and the kick. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx)
		return pvisor_vring_need_event(__atomic_load_n(q->avail_event, __ATOMIC_RELAXED),
					       now, old);
	return !(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) &
		 PVISOR_VIRTQ_USED_F_NO_NOTIFY);
}

/* ---- Taking used requests ---------------------------------------------- */

static void *virtq_break(struct pv_virtq *q)
{
	q->broken = true;
	return NULL;
}

/* Is id the head of a chain the device may return: in flight (added, not
 * yet returned) and published (its avail entry is below avail->idx)? */
static bool head_returnable(const struct pv_virtq *q, uint32_t id)
{
	const struct pv_virtq_slot *s;

	if (id >= q->size)
		return false;
	s = &q->slots[id];
	return s->token &&
	       (uint16_t)(s->added_at - q->published_idx) >=
	       (uint16_t)(q->avail_idx - q->published_idx);
}

/* Puts the chain at head back on the free list and forgets its token. */
static void chain_free(struct pv_virtq *q, uint16_t head)
{
	struct pv_virtq_slot *s = &q->slots[head];
	uint16_t tail = head;

	for (unsigned k = 1; k < s->ndesc; k++)
		tail = q->slots[tail].next;
	q->slots[tail].next = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + s->ndesc);
	s->token = NULL;
	s->ndesc = 0;
}

/* With EVENT_IDX and interrupts on: ask for an interrupt at the next used
 * entry. The barrier orders this store before the next used->idx load
 * (store-load), so an entry pushed meanwhile is seen or interrupts. */
static void used_event_follow(struct pv_virtq *q)
{
	if (!q->event_idx || !q->cb_enabled)
		return;
	__atomic_store_n(q->used_event, q->last_used_idx, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void *pv_virtq_get_used(struct pv_virtq *q, uint32_t *len)
{
	uint16_t idx, id_slot;
	uint32_t id, written;
	void *token;

	if (q->broken)
		return NULL;
	/* Acquire: the entry and the bytes the device wrote come after it. */
	idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	if (idx == q->last_used_idx)
		return NULL;
	if ((uint16_t)(idx - q->last_used_idx) > (uint16_t)(q->published_idx - q->last_used_idx))
		return virtq_break(q);		/* more returned than published */
	id_slot = q->last_used_idx & (q->size - 1);
	id = __atomic_load_n(&q->used->ring[id_slot].id, __ATOMIC_RELAXED);
	written = __atomic_load_n(&q->used->ring[id_slot].len, __ATOMIC_RELAXED);
	if (!head_returnable(q, id))
		return virtq_break(q);		/* not a chain it was given */
	if (written > q->slots[id].writable)
		return virtq_break(q);		/* wrote more than it could */
	token = q->slots[id].token;
	chain_free(q, (uint16_t)id);
	q->last_used_idx++;
	used_event_follow(q);
	if (len)
		*len = written;
	return token;
}

/* ---- Interrupt suppression --------------------------------------------- */

void pv_virtq_disable_cb(struct pv_virtq *q)
{
	if (!q->cb_enabled)
		return;
	q->cb_enabled = false;
	if (q->event_idx)	/* the entry furthest away: 65535 entries on */
		__atomic_store_n(q->used_event, (uint16_t)(q->last_used_idx - 1),
				 __ATOMIC_RELAXED);
	else
		__atomic_store_n(&q->avail->flags, PVISOR_VIRTQ_AVAIL_F_NO_INTERRUPT,
				 __ATOMIC_RELAXED);
}

bool pv_virtq_enable_cb(struct pv_virtq *q)
{
	if (q->broken)
		return true;
	q->cb_enabled = true;
	if (q->event_idx)
		__atomic_store_n(q->used_event, q->last_used_idx, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&q->avail->flags, 0, __ATOMIC_RELAXED);
	/* Our store before the re-read of used->idx: a full barrier, pairing
	 * with the device's between its used->idx store and our field. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) == q->last_used_idx;
}

unsigned pv_virtq_num_free(const struct pv_virtq *q)
{
	return q->num_free;
}

void *pv_virtq_detach_unused(struct pv_virtq *q)
{
	while (q->detach_cursor < q->size) {
		uint16_t head = q->detach_cursor++;
		void *token = q->slots[head].token;

		if (token) {
			chain_free(q, head);
			return token;
		}
	}
	return NULL;
}

void pv_virtq_set_indirect_min(struct pv_virtq *q, unsigned n)
{
	q->indirect_min = n;
}

/* fuzz_virtq.c: fuzzes the device side of the split virtqueue
 * (hv/virtio/virtqueue.c, hv/core/guest_phys.c) against a guest that
 * writes anything into its rings.
 *
 * A fake guest has RAM_SIZE bytes of RAM (one heap block, so ASan sees any
 * buffer the device is handed outside it). The input:
 *   [0]      bits 0..3: log2 of the queue size; bit 4: take the size raw
 *            from [2..3] instead (any value, valid or not)
 *   [1]      bit 0 INDIRECT_DESC, bit 1 EVENT_IDX, bit 2 place the rings
 *            at [4..9] (three little-endian words, times 2: any gpa, any
 *            alignment) instead of back to back from RING_GPA, bit 3
 *            balloon out pfn [10] % RAM pages, bit 4 push chains back in
 *            reverse order, bit 5 report every writable byte as written,
 *            bits 6..7: more rounds in which the guest moves avail->idx
 *            on by [11]
 *   [16..]   guest RAM from RING_GPA on: the descriptor table, available
 *            ring, used ring and whatever the descriptors point at
 * Each round pops chains until none is left (or the queue breaks),
 * reads every readable buffer, fills every writable one, pushes them all
 * back and asks about notifications. A popped chain must lie in RAM,
 * readable buffers first, no write below GUEST_PHYS_FIXED_END or into a
 * ballooned page, its byte counts adding up, its pages held until pushed;
 * a round pops at most the queue size; a broken queue refuses everything
 * with a reason; a push of a head not in flight changes nothing. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/guest_phys.h"
#include "core/layout.h"
#include "virtio/virtqueue.h"

#define RAM_SIZE   (128u << 10)
#define RAM_PAGES  (RAM_SIZE / PAGE_SIZE)
#define RING_GPA   0x8000u
#define INPUT_RAM  16

#define F_INDIRECT  0x01
#define F_EVENT_IDX 0x02
#define F_PLACE     0x04
#define F_BALLOON   0x08
#define F_REVERSE   0x10
#define F_WRITTEN   0x20

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fake_guest {
	uint8_t *ram;
	uint8_t ballooned[RAM_PAGES];
	struct pv_mmu mmu;
	struct guest_memory gm;
	struct guest_view view;
};

static struct fake_guest guest;
static struct virtqueue vq;
static struct vq_chain chain;
static struct vq_span held[PVISOR_VIRTQ_MAX_SIZE];
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint16_t head;
	uint32_t written;
} popped[PVISOR_VIRTQ_MAX_SIZE];

/* A byte of the input, 0 past its end. */
static uint8_t in(const uint8_t *data, size_t size, size_t i)
{
	return i < size ? data[i] : 0;
}

/* A little-endian word of the input at i, 0 past its end. */
static uint16_t le16(const uint8_t *data, size_t size, size_t i)
{
	return (uint16_t)(in(data, size, i) | in(data, size, i + 1) << 8);
}

static void guest_setup(const uint8_t *data, size_t size)
{
	uint8_t flags = in(data, size, 1);

	if (!guest.ram && !(guest.ram = malloc(RAM_SIZE)))
		abort();
	memset(guest.ram, 0, RAM_SIZE);
	if (size > INPUT_RAM) {
		size_t n = size - INPUT_RAM < RAM_SIZE - RING_GPA ? size - INPUT_RAM : RAM_SIZE - RING_GPA;

		memcpy(guest.ram + RING_GPA, data + INPUT_RAM, n);
	}
	memset(&guest.mmu, 0, sizeof(guest.mmu));
	memset(guest.ballooned, 0, sizeof(guest.ballooned));
	guest.mmu.nr_pages = RAM_PAGES;
	guest.mmu.ballooned = guest.ballooned;
	if (flags & F_BALLOON) {
		guest.ballooned[in(data, size, 10) % RAM_PAGES] = 1;
		guest.mmu.ballooned_pages = 1;
	}
	memset(&guest.gm, 0, sizeof(guest.gm));
	guest.gm.base = guest.ram;
	guest.gm.ram_size = RAM_SIZE;
	guest.view = (struct guest_view){ &guest.mmu, &guest.gm };
}

static int queue_setup(const uint8_t *data, size_t size)
{
	uint8_t b0 = in(data, size, 0), flags = in(data, size, 1);
	uint32_t qsize = (b0 & 0x10) ? le16(data, size, 2) : 1u << (b0 & 0xf);
	uint64_t features = 0, desc, avail, used;
	int rc;

	if (flags & F_INDIRECT)
		features |= 1ull << PVISOR_VIRTIO_F_INDIRECT_DESC;
	if (flags & F_EVENT_IDX)
		features |= 1ull << PVISOR_VIRTIO_F_EVENT_IDX;
	if (flags & F_PLACE) {
		desc = 2ull * le16(data, size, 4);
		avail = 2ull * le16(data, size, 6);
		used = 2ull * le16(data, size, 8);
	} else {
		desc = RING_GPA;
		avail = desc + pvisor_virtq_desc_bytes(qsize);
		used = (avail + pvisor_virtq_avail_bytes(qsize) + 3) & ~3ull;
	}
	rc = vq_init(&vq, &guest.view, (uint16_t)qsize, desc, avail, used, features);
	if (rc == 0) {
		vq.held = held;
		vq.hold_lock = &hold_lock;
	} else if (rc != -EINVAL || !vq_broken_reason(&vq)) {
		abort();
	}
	return rc;
}

/* ---- Checks on a popped chain -------------------------------------------- */

static int page_ballooned(uint64_t gpa, uint32_t len)
{
	for (uint64_t pfn = gpa / PAGE_SIZE; pfn <= (gpa + len - 1) / PAGE_SIZE; pfn++)
		if (guest.ballooned[pfn])
			return 1;
	return 0;
}

static void check_buf(const struct vq_buf *b)
{
	if (b->len == 0 || b->gpa > RAM_SIZE || b->len > RAM_SIZE - b->gpa ||
	    b->host != guest.ram + b->gpa || page_ballooned(b->gpa, b->len))
		abort();
	if (b->device_writes && b->gpa < GUEST_PHYS_FIXED_END)
		abort();
	pthread_mutex_lock(&hold_lock);
	if (!vq_holds_pfn(&vq, b->gpa / PAGE_SIZE) ||
	    !vq_holds_pfn(&vq, (b->gpa + b->len - 1) / PAGE_SIZE))
		abort();
	pthread_mutex_unlock(&hold_lock);
}

static void check_chain(const struct vq_chain *c)
{
	uint64_t readable = 0, writable = 0;
	unsigned limit = vq.size < VQ_MAX_CHAIN ? vq.size : VQ_MAX_CHAIN;

	if (c->head >= vq.size || c->nbufs > limit)
		abort();
	for (unsigned i = 0; i < c->nbufs; i++) {
		const struct vq_buf *b = &c->bufs[i];

		check_buf(b);
		if (!b->device_writes && writable)
			abort();        /* readable after writable */
		*(b->device_writes ? &writable : &readable) += b->len;
	}
	if (readable != c->readable_bytes || writable != c->writable_bytes ||
	    readable + writable > (1ull << 32))
		abort();
}

/* What a device does with a chain: reads the request, writes the reply. */
static uint32_t process(const struct vq_chain *c)
{
	volatile uint8_t sink = 0;

	for (unsigned i = 0; i < c->nbufs; i++) {
		const struct vq_buf *b = &c->bufs[i];

		if (b->device_writes) {
			memset(b->host, 0x5a, b->len);
		} else {
			for (uint32_t j = 0; j < b->len; j += 64)
				sink ^= ((const uint8_t *)b->host)[j];
			sink ^= ((const uint8_t *)b->host)[b->len - 1];
		}
	}
	(void)sink;
	return (uint32_t)c->writable_bytes;
}

/* ---- Rounds ----------------------------------------------------------------- */

static unsigned pop_all(uint8_t flags)
{
	unsigned n = 0;
	uint32_t written;
	int rc;

	while ((rc = vq_pop(&vq, &chain)) == 1) {
		if (n == vq.size)
			abort();        /* more chains than the ring holds */
		check_chain(&chain);
		written = process(&chain);
		popped[n].head = chain.head;
		popped[n++].written = (flags & F_WRITTEN) ? written : 0;
	}
	if (rc == -EIO ? !vq_broken_reason(&vq) : (rc != 0 || vq_broken_reason(&vq)))
		abort();
	return n;
}

/* A head that is not in flight must be refused and leave the ring alone. */
static void push_stray(void)
{
	uint16_t idx = vq.used->idx;
	int rc = vq_push(&vq, 0, 0);

	if (rc == 0 || vq.used->idx != idx)
		abort();
}

static void push_all(unsigned n, uint8_t flags)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned k = (flags & F_REVERSE) ? n - 1 - i : i;
		int rc = vq_push(&vq, popped[k].head, popped[k].written);

		if (rc != 0 && !(rc == -EIO && vq_broken_reason(&vq)))
			abort();
	}
	if (n)
		push_stray();
}

static void round_trip(uint8_t flags, int round)
{
	unsigned n = pop_all(flags);

	push_all(n, flags);
	vq_should_notify(&vq);
	vq_set_notify(&vq, round % 2);
	vq_more_avail(&vq);
	if (vq_broken_reason(&vq) && (vq_pop(&vq, &chain) != -EIO || vq_more_avail(&vq)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t flags = in(data, size, 1), step = in(data, size, 11);
	int rounds = 1 + (flags >> 6);

	guest_setup(data, size);
	if (queue_setup(data, size) != 0) {
		if (vq_pop(&vq, &chain) != -EIO)
			abort();
		return 0;
	}
	for (int r = 0; r < rounds; r++) {
		if (r > 0)
			vq.avail->idx = (uint16_t)(vq.avail->idx + step);
		round_trip(flags, r);
	}
	return 0;
}

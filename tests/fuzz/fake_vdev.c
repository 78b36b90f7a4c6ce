/* fake_vdev.c: the fake guest, queue builder and device-framework
 * stand-ins of the virtio device harnesses (fake_vdev.h says what each
 * does; fuzz_blkreq.c and fuzz_netreq.c use them). */
#include <stdlib.h>
#include <string.h>

#include "core/layout.h"
#include "fake_vdev.h"
#include "virtio/bus.h"

struct fake_guest fake_guest;

/* ---- Input -------------------------------------------------------------------- */

uint8_t fake_u8(struct fake_input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

uint16_t fake_le16(struct fake_input *in)
{
	uint16_t lo = fake_u8(in);

	return (uint16_t)(lo | fake_u8(in) << 8);
}

uint64_t fake_le64(struct fake_input *in)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)fake_u8(in) << (8 * i);
	return v;
}

bool fake_input_left(const struct fake_input *in)
{
	return in->pos < in->size;
}

/* ---- Guest RAM ------------------------------------------------------------------ */

void fake_guest_reset(void)
{
	struct fake_guest *g = &fake_guest;

	if (!g->ram && (!(g->ram = malloc(FAKE_RAM_SIZE)) || !(g->before = malloc(FAKE_RAM_SIZE))))
		abort();
	memset(g->ram, 0, FAKE_RAM_SIZE);
	memset(&g->mmu, 0, sizeof(g->mmu));
	g->mmu.nr_pages = FAKE_RAM_SIZE / PAGE_SIZE;
	g->mmu.ballooned = g->ballooned;
	memset(&g->gm, 0, sizeof(g->gm));
	g->gm.base = g->ram;
	g->gm.ram_size = FAKE_RAM_SIZE;
	g->view = (struct guest_view){ &g->mmu, &g->gm };
	g->next_free = GUEST_PHYS_FIXED_END;
}

/* len bytes of RAM aligned to align, or 0 when RAM is full. */
static uint64_t ram_alloc(uint64_t len, uint64_t align)
{
	uint64_t at = (fake_guest.next_free + align - 1) & ~(align - 1);

	if (at + len > FAKE_RAM_SIZE)
		return 0;
	fake_guest.next_free = at + len;
	return at;
}

/* What the guest left in a buffer it did not fill: a pattern of its address. */
static uint8_t pattern(uint64_t gpa)
{
	return (uint8_t)((gpa * 131) >> 7 ^ 0x5c);
}

/* ---- Queues --------------------------------------------------------------------- */

/* A buffer's length from its flags byte (fake_vdev.h). */
static uint32_t seg_length(struct fake_input *in, uint8_t flags)
{
	switch ((flags >> 1) & 3) {
	case 0:  return fake_u8(in);
	case 1:  return 512u * (fake_u8(in) % 9);
	case 2:  return fake_le16(in);
	default: return 1;
	}
}

/* Reads one buffer's description and places it in RAM; false when RAM is full. */
static bool build_seg(struct fake_input *in, struct fake_seg *s)
{
	uint8_t flags = fake_u8(in);
	uint32_t n;

	s->writable = flags & 1;
	s->len = seg_length(in, flags);
	s->gpa = ram_alloc(s->len, 1);
	if (!s->gpa)
		return false;
	for (uint32_t i = 0; i < s->len; i++)
		fake_guest.ram[s->gpa + i] = pattern(s->gpa + i);
	if (!s->writable) {
		n = fake_u8(in);
		for (uint32_t i = 0; i < n; i++) {
			uint8_t b = fake_u8(in);

			if (i < s->len)
				fake_guest.ram[s->gpa + i] = b;
		}
	}
	return true;
}

/* Readable buffers first, each side in input order. */
static void readable_first(struct fake_chain *c)
{
	struct fake_seg sorted[FAKE_MAX_SEGS];
	unsigned n = 0;

	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < c->nsegs; i++)
			if (c->segs[i].writable == (pass == 1))
				sorted[n++] = c->segs[i];
	memcpy(c->segs, sorted, sizeof(sorted[0]) * n);
}

static void put_desc(uint64_t table, unsigned i, const struct fake_seg *s, uint16_t flags,
		     uint16_t next)
{
	struct pvisor_virtq_desc *d = (struct pvisor_virtq_desc *)(fake_guest.ram + table) + i;

	d->addr = s->gpa;
	d->len = s->len;
	d->flags = (uint16_t)(flags | (s->writable ? PVISOR_VIRTQ_DESC_F_WRITE : 0));
	d->next = next;
}

/* Writes the descriptors of c from table entry first on; the head. */
static void chain_descs(uint64_t table, unsigned first, const struct fake_chain *c)
{
	for (unsigned i = 0; i < c->nsegs; i++) {
		bool last = i + 1 == c->nsegs;

		put_desc(table, first + i, &c->segs[i], last ? 0 : PVISOR_VIRTQ_DESC_F_NEXT,
			 (uint16_t)(last ? 0 : first + i + 1));
	}
}

/* Builds one chain at descriptor *next; false when it does not fit. */
static bool build_chain(struct fake_queue *q, struct fake_input *in, unsigned *next, bool indirect)
{
	struct fake_chain *c = &q->chains[q->nchains];
	uint8_t b = fake_u8(in);
	bool through_table = indirect && (b & 8);
	struct fake_seg table_seg = { 0, 0, false };

	c->nsegs = 1 + (b & 7u);
	if (*next + (through_table ? 1 : c->nsegs) > FAKE_QUEUE_SIZE)
		return false;
	for (unsigned i = 0; i < c->nsegs; i++)
		if (!build_seg(in, &c->segs[i]))
			return false;
	readable_first(c);
	c->head = (uint16_t)*next;
	if (through_table) {
		table_seg.len = c->nsegs * 16u;
		if (!(table_seg.gpa = ram_alloc(table_seg.len, 16)))
			return false;
		chain_descs(table_seg.gpa, 0, c);
		put_desc(q->desc, *next, &table_seg, PVISOR_VIRTQ_DESC_F_INDIRECT, 0);
		*next += 1;
	} else {
		chain_descs(q->desc, *next, c);
		*next += c->nsegs;
	}
	return true;
}

void fake_queue_rings(struct fake_queue *q)
{
	memset(q, 0, sizeof(*q));
	q->desc = ram_alloc(pvisor_virtq_desc_bytes(FAKE_QUEUE_SIZE), 16);
	q->avail = ram_alloc(pvisor_virtq_avail_bytes(FAKE_QUEUE_SIZE), 2);
	q->used = ram_alloc(pvisor_virtq_used_bytes(FAKE_QUEUE_SIZE), 4);
	if (!q->desc || !q->avail || !q->used)
		abort();
}

void fake_queue_build(struct fake_queue *q, struct fake_input *in, unsigned max_chains,
		      bool indirect)
{
	struct pvisor_virtq_avail *avail;
	unsigned next = 0;

	avail = (struct pvisor_virtq_avail *)(fake_guest.ram + q->avail);
	while (fake_input_left(in) && q->nchains < max_chains && q->nchains < FAKE_QUEUE_SIZE &&
	       build_chain(q, in, &next, indirect)) {
		avail->ring[q->nchains] = q->chains[q->nchains].head;
		q->nchains++;
	}
	avail->idx = (uint16_t)q->nchains;
}

void fake_queue_attach(struct vdev *dev, unsigned qi, const struct fake_queue *q,
		       uint64_t features)
{
	if (vq_init(&dev->queues[qi].vq, &fake_guest.view, FAKE_QUEUE_SIZE, q->desc, q->avail,
		    q->used, features) != 0)
		abort();
}

bool fake_chain_read(const struct fake_chain *c, uint64_t off, void *dst, size_t len)
{
	uint8_t *out = dst;

	for (unsigned i = 0; i < c->nsegs && len; i++) {
		const struct fake_seg *s = &c->segs[i];

		if (s->writable)
			break;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		size_t n = s->len - off < len ? s->len - off : len;

		memcpy(out, fake_guest.before + s->gpa + off, n);
		out += n;
		len -= n;
		off = 0;
	}
	return len == 0;
}

uint64_t fake_chain_bytes(const struct fake_chain *c, bool writable)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < c->nsegs; i++)
		if (c->segs[i].writable == writable)
			n += c->segs[i].len;
	return n;
}

/* ---- Checks ---------------------------------------------------------------------- */

void fake_guest_snapshot(void)
{
	memcpy(fake_guest.before, fake_guest.ram, FAKE_RAM_SIZE);
}

static bool in_range(uint64_t gpa, uint64_t start, uint64_t len)
{
	return gpa >= start && gpa - start < len;
}

static bool write_allowed(uint64_t gpa, const struct fake_queue *const *qs, unsigned nq)
{
	for (unsigned k = 0; k < nq; k++) {
		const struct fake_queue *q = qs[k];

		if (in_range(gpa, q->used, pvisor_virtq_used_bytes(FAKE_QUEUE_SIZE)))
			return true;
		for (unsigned c = 0; c < q->nchains; c++)
			for (unsigned i = 0; i < q->chains[c].nsegs; i++) {
				const struct fake_seg *s = &q->chains[c].segs[i];

				if (s->writable && in_range(gpa, s->gpa, s->len))
					return true;
			}
	}
	return false;
}

void fake_check_writes(const struct fake_queue *const *qs, unsigned nq)
{
	const unsigned block = 256;

	for (uint64_t at = 0; at < FAKE_RAM_SIZE; at += block) {
		if (!memcmp(fake_guest.ram + at, fake_guest.before + at, block))
			continue;
		for (uint64_t gpa = at; gpa < at + block; gpa++)
			if (fake_guest.ram[gpa] != fake_guest.before[gpa] && !write_allowed(gpa, qs, nq))
				abort();   /* the device wrote outside the buffers it held */
	}
}

uint16_t fake_used_count(const struct fake_queue *q)
{
	return ((const struct pvisor_virtq_used *)(fake_guest.ram + q->used))->idx;
}

void fake_used_entry(const struct fake_queue *q, unsigned i, uint32_t *id, uint32_t *len)
{
	const struct pvisor_virtq_used *u = (const void *)(fake_guest.ram + q->used);

	*id = u->ring[i % FAKE_QUEUE_SIZE].id;
	*len = u->ring[i % FAKE_QUEUE_SIZE].len;
}

const struct fake_chain *fake_chain_of(const struct fake_queue *q, uint32_t id)
{
	for (unsigned c = 0; c < q->nchains; c++)
		if (q->chains[c].head == id)
			return &q->chains[c];
	return NULL;
}

/* ---- The device framework, as a device type sees it ------------------------------ */

static struct vdev *made;

int virtio_bus_add(struct domain *d, vdev_make_fn make, const void *arg)
{
	made = make(d, 0, arg);
	return made ? 0 : -1;
}

struct vdev *vdev_create(struct domain *dom, unsigned index, const struct vdev_ops *ops,
			 void *priv)
{
	struct vdev *dev = calloc(1, sizeof(*dev));
	struct pvisor_device entry;

	if (!dev)
		abort();
	dev->dom = dom;
	dev->index = index;
	dev->ops = ops;
	dev->priv = priv;
	memset(&entry, 0, sizeof(entry));
	ops->describe(dev, &entry);
	dev->type = entry.type;
	dev->offered = entry.device_features;
	dev->nr_queues = entry.nr_queues;
	return dev;
}

int vdev_watch_fd(struct vdev *dev, int fd)
{
	return 0;
}

void vdev_notify(struct vdev *dev, unsigned q)
{
	if (q >= dev->nr_queues)
		abort();
	vq_should_notify(&dev->queues[q].vq);
}

void vdev_mark_broken(struct vdev *dev, const char *why)
{
	if (!why || !*why)
		abort();   /* a broken device must say why */
	dev->broken = true;
}

int vdev_process_pair(struct vdev *dev, int (*first)(struct vdev *), int (*second)(struct vdev *))
{
	int a = first(dev), b;

	if (a < 0)
		return -1;
	b = second(dev);
	return b < 0 ? -1 : a + b;
}

struct vdev *fake_vdev_attach(const struct device_type *type, const void *arg)
{
	made = NULL;
	if (type->attach(NULL, arg) != 0 || !made)
		abort();
	return made;
}

void fake_vdev_destroy(struct vdev *dev)
{
	dev->ops->destroy(dev);
	free(dev);
}

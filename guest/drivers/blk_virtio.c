/* blk_virtio.c: the virtio-blk frontend, the pv/blk.h backend for disks
 * listed on the device page (include/pvisor/io/virtio_blk.h; blk.c
 * dispatches to it through blk_driver.h).
 *
 * One queue. Each request in flight owns a slot: its header, discard
 * range, id buffer and status byte live in identity-mapped "DMA" memory
 * the device reads and writes; the caller's struct pv_blk_req may live
 * anywhere. Data buffers go to the device page by page (one descriptor per
 * page, in an indirect table), or through a bounce buffer when they are
 * not identity-mapped or not 512-byte aligned.
 *
 * Locking: dev->lock guards the ring and the slots. The queue's event
 * handler (upcall context) only counts and broadcasts dev->wake: a thread
 * that waits collects the used entries itself. Completions are finished
 * (bounce copy, callback, done flag) with the lock released. The guest
 * has one vCPU, so a thread that masks events cannot be overtaken: a
 * sleeper checks its condition and queues on dev->wake with events
 * masked, and nothing can complete in between.
 *
 * Exits: device notifications stay off (pv_virtq_disable_cb) while no
 * thread sleeps; a waiter first polls the used ring for dev->poll_ns, and
 * only then turns notifications on and sleeps. Kicks happen only when
 * pv_virtq_publish() asks for one. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <pv/blk.h>
#include <pv/device.h>
#include <pv/mm.h>
#include <pv/sync.h>
#include <pv/time.h>
#include <pv/virtq.h>
#include "blk_driver.h"

#define BLK_INDIRECT_MIN 5u
#define FEATURE(bit)		(1ull << (bit))
#define BLK_QUEUE_SIZE		256u
#define BLK_DMA_ALIGN		512u	/* buffers the device may use directly */
#define BLK_SYNC_WINDOW		8u	/* chunks a synchronous call keeps in flight */
#define BLK_SEG_LIMIT		(PV_VIRTQ_MAX_CHAIN - 2)	/* + header + status */
#define BLK_POLL_GROWTH		4u	/* the polling window grows up to 4x its base */

#define BLK_WANTED (FEATURE(PVISOR_VIRTIO_F_INDIRECT_DESC) | FEATURE(PVISOR_VIRTIO_F_EVENT_IDX) | \
		    FEATURE(PVISOR_VIRTIO_BLK_F_SEG_MAX) | FEATURE(PVISOR_VIRTIO_BLK_F_BLK_SIZE) | \
		    FEATURE(PVISOR_VIRTIO_BLK_F_FLUSH) | FEATURE(PVISOR_VIRTIO_BLK_F_DISCARD) | \
		    FEATURE(PVISOR_VIRTIO_BLK_F_WRITE_ZEROES) | FEATURE(PVISOR_VIRTIO_BLK_F_RO))

/* What the device reads and writes for one request besides the data. */
struct blk_dma {
	struct pvisor_virtio_blk_req_hdr hdr;
	struct pvisor_virtio_blk_discard range;
	uint8_t id[PV_BLK_ID_BYTES];
	uint8_t status;
	uint8_t pad[11];
};

_Static_assert(sizeof(struct blk_dma) == 64, "one DMA area per cache line");

struct blk_slot {
	struct pv_blk_req *req;		/* NULL when free */
	struct blk_dma *dma;
	uint64_t dma_gpa;
	int next_free;
};

struct blk_virtio {
	struct pv_blk base;		/* blk.c's handle: first */
	struct pv_device dev;
	uint64_t sectors;
	bool readonly;
	uint32_t blk_size;
	unsigned seg_limit;		/* data descriptors per request */
	uint32_t max_transfer;		/* bytes per READ/WRITE request */
	uint32_t max_discard_sectors;
	uint32_t max_zeroes_sectors;
	uint32_t poll_base;		/* pv_blk_set_poll_ns() */
	uint32_t poll_ns;		/* the window now, base .. 4 * base */

	struct pv_mutex lock;		/* the ring, the slots, sleepers, dead */
	struct pv_cond wake;		/* events, finished requests */
	struct blk_slot *slots;
	unsigned nr_slots;
	int free_slot;			/* head of the free list, -1: none */
	struct blk_dma *dma;
	size_t dma_pages;
	struct pv_vq_buf *bufs;		/* scratch chain, seg_limit + 2 */
	unsigned sleepers;		/* threads waiting with events on */
	bool dead;			/* broke and was reset: all fails */

	unsigned pending;		/* submitted, not yet done (atomic) */
	struct pv_blk_stats stats;
};

/* ---- Small helpers ------------------------------------------------------ */

static struct blk_virtio *to_vblk(struct pv_blk *base)
{
	return (struct blk_virtio *)base;
}

static const struct blk_virtio *to_cvblk(const struct pv_blk *base)
{
	return (const struct blk_virtio *)base;
}

static struct pv_virtq *ring(struct blk_virtio *dev)
{
	return &dev->dev.queues[0].vq;
}

static bool has_feature(const struct blk_virtio *dev, unsigned bit)
{
	return (dev->dev.features & FEATURE(bit)) != 0;
}

static unsigned pending_count(const struct blk_virtio *dev)
{
	return __atomic_load_n(&dev->pending, __ATOMIC_ACQUIRE);
}

static uint64_t completed_count(const struct blk_virtio *dev)
{
	return __atomic_load_n(&dev->stats.completed, __ATOMIC_ACQUIRE);
}

static bool range_ok(const struct blk_virtio *dev, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes / PV_BLK_SECTOR;

	return bytes % PV_BLK_SECTOR == 0 && sector <= dev->sectors && n <= dev->sectors - sector;
}

/* Did the device stop (BROKEN) or break a ring rule? */
static bool device_broken(struct blk_virtio *dev)
{
	return ring(dev)->broken || pv_device_status(dev->dev.index) == PVISOR_DEVICE_S_BROKEN;
}

/* Does the used ring hold entries not yet collected? (Read without the
 * lock: a hint for polling.) */
static bool ring_has_used(struct blk_virtio *dev)
{
	struct pv_virtq *q = ring(dev);

	return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&q->last_used_idx, __ATOMIC_RELAXED);
}

/* ---- Slots -------------------------------------------------------------- */

static struct blk_slot *slot_take(struct blk_virtio *dev)
{
	struct blk_slot *s;

	if (dev->free_slot < 0)
		return NULL;
	s = &dev->slots[dev->free_slot];
	dev->free_slot = s->next_free;
	return s;
}

static void slot_put(struct blk_virtio *dev, struct blk_slot *s)
{
	s->req = NULL;
	s->next_free = dev->free_slot;
	dev->free_slot = (int)(s - dev->slots);
}

static void slots_init(struct blk_virtio *dev)
{
	for (unsigned i = 0; i < dev->nr_slots; i++) {
		dev->slots[i].dma = &dev->dma[i];
		dev->slots[i].dma_gpa = (uint64_t)(uintptr_t)&dev->dma[i];
		dev->slots[i].next_free = i + 1 < dev->nr_slots ? (int)i + 1 : -1;
	}
	dev->free_slot = dev->nr_slots ? 0 : -1;
}

static uint64_t dma_field_gpa(const struct blk_slot *s, size_t offset)
{
	return s->dma_gpa + offset;
}

/* ---- Checking a request ------------------------------------------------- */

static int check_rw(const struct blk_virtio *dev, const struct pv_blk_req *req)
{
	if (!req->buf || req->len == 0 || req->len > dev->max_transfer)
		return -EINVAL;
	if (!range_ok(dev, req->sector, req->len))
		return -EINVAL;
	if (req->op == PV_BLK_WRITE && dev->readonly)
		return -EROFS;
	return 0;
}

static int check_range_op(const struct blk_virtio *dev, const struct pv_blk_req *req,
			  unsigned feature, uint32_t max_sectors)
{
	if (!has_feature(dev, feature))
		return dev->readonly ? -EROFS : -EOPNOTSUPP;
	if (dev->readonly)
		return -EROFS;
	if (req->len == 0 || req->len / PV_BLK_SECTOR > max_sectors)
		return -EINVAL;
	return range_ok(dev, req->sector, req->len) ? 0 : -EINVAL;
}

static int request_check(const struct blk_virtio *dev, const struct pv_blk_req *req)
{
	switch (req->op) {
	case PV_BLK_READ:
	case PV_BLK_WRITE:
		return check_rw(dev, req);
	case PV_BLK_FLUSH:
		return 0;
	case PV_BLK_DISCARD:
		return check_range_op(dev, req, PVISOR_VIRTIO_BLK_F_DISCARD, dev->max_discard_sectors);
	case PV_BLK_WRITE_ZEROES:
		return check_range_op(dev, req, PVISOR_VIRTIO_BLK_F_WRITE_ZEROES,
				      dev->max_zeroes_sectors);
	case PV_BLK_GET_ID:
		return req->buf ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/* ---- Data buffers ------------------------------------------------------- */

static unsigned pages_touched(uint64_t addr, uint64_t len)
{
	return (unsigned)(((addr % PV_PAGE_SIZE) + len + PV_PAGE_SIZE - 1) / PV_PAGE_SIZE);
}

/* Can the device use buf directly? */
static bool data_direct(const struct blk_virtio *dev, const struct pv_blk_req *req, uint64_t *gpa)
{
	uintptr_t addr = (uintptr_t)req->buf;

	return addr % BLK_DMA_ALIGN == 0 && pages_touched(addr, req->len) <= dev->seg_limit &&
	       pv_dma_addr(req->buf, req->len, gpa) == 0;
}

/* Sets *gpa to the data the device should use for a READ or WRITE: the
 * caller's buffer, or a fresh bounce buffer (filled for a WRITE). */
static int data_prepare(struct blk_virtio *dev, struct pv_blk_req *req, uint64_t *gpa)
{
	req->bounce = NULL;
	req->bounce_pages = 0;
	if (req->op != PV_BLK_READ && req->op != PV_BLK_WRITE)
		return 0;
	if (data_direct(dev, req, gpa))
		return 0;
	req->bounce_pages = (uint32_t)(PV_PAGE_ALIGN((uint64_t)req->len) / PV_PAGE_SIZE);
	req->bounce = pv_pages_alloc(req->bounce_pages);
	if (!req->bounce)
		return -ENOMEM;
	if (req->op == PV_BLK_WRITE)
		memcpy(req->bounce, req->buf, req->len);
	*gpa = (uint64_t)(uintptr_t)req->bounce;
	return 0;
}

static void data_release(struct pv_blk_req *req)
{
	if (!req->bounce)
		return;
	pv_pages_free(req->bounce, req->bounce_pages);
	req->bounce = NULL;
}

/* ---- Building a chain --------------------------------------------------- */

/* One buffer per page of [gpa, gpa + len); returns how many. */
static unsigned split_pages(struct pv_vq_buf *out, uint64_t gpa, uint32_t len)
{
	unsigned n = 0;

	while (len) {
		uint32_t room = (uint32_t)(PV_PAGE_SIZE - gpa % PV_PAGE_SIZE);
		uint32_t take = len < room ? len : room;

		out[n++] = (struct pv_vq_buf){ .gpa = gpa, .len = take };
		gpa += take;
		len -= take;
	}
	return n;
}

static uint32_t header_type(enum pv_blk_op op)
{
	static const uint32_t types[] = {
		[PV_BLK_READ] = PVISOR_VIRTIO_BLK_T_IN,
		[PV_BLK_WRITE] = PVISOR_VIRTIO_BLK_T_OUT,
		[PV_BLK_FLUSH] = PVISOR_VIRTIO_BLK_T_FLUSH,
		[PV_BLK_DISCARD] = PVISOR_VIRTIO_BLK_T_DISCARD,
		[PV_BLK_WRITE_ZEROES] = PVISOR_VIRTIO_BLK_T_WRITE_ZEROES,
		[PV_BLK_GET_ID] = PVISOR_VIRTIO_BLK_T_GET_ID,
	};

	return types[op];
}

/* Fills the slot's DMA area and dev->bufs for req; returns the number of
 * buffers, *n_out of them device-readable. */
static unsigned chain_build(struct blk_virtio *dev, struct blk_slot *s,
			    const struct pv_blk_req *req, uint64_t data_gpa, unsigned *n_out)
{
	struct pv_vq_buf *b = dev->bufs;
	bool rw = req->op == PV_BLK_READ || req->op == PV_BLK_WRITE;
	unsigned n = 0;

	s->dma->hdr = (struct pvisor_virtio_blk_req_hdr){
		.type = header_type(req->op),
		.sector = rw ? req->sector : 0,
	};
	s->dma->status = 0xff;
	b[n++] = (struct pv_vq_buf){ dma_field_gpa(s, offsetof(struct blk_dma, hdr)),
				     sizeof(s->dma->hdr) };
	*n_out = 1;
	if (req->op == PV_BLK_WRITE) {
		n += split_pages(&b[n], data_gpa, req->len);
		*n_out = n;
	} else if (req->op == PV_BLK_DISCARD || req->op == PV_BLK_WRITE_ZEROES) {
		s->dma->range = (struct pvisor_virtio_blk_discard){
			.sector = req->sector,
			.num_sectors = req->len / PV_BLK_SECTOR,
		};
		b[n++] = (struct pv_vq_buf){ dma_field_gpa(s, offsetof(struct blk_dma, range)),
					     sizeof(s->dma->range) };
		*n_out = n;
	} else if (req->op == PV_BLK_READ) {
		n += split_pages(&b[n], data_gpa, req->len);
	} else if (req->op == PV_BLK_GET_ID) {
		b[n++] = (struct pv_vq_buf){ dma_field_gpa(s, offsetof(struct blk_dma, id)),
					     PV_BLK_ID_BYTES };
	}
	b[n++] = (struct pv_vq_buf){ dma_field_gpa(s, offsetof(struct blk_dma, status)), 1 };
	return n;
}

/* ---- Queueing (lock held) ----------------------------------------------- */

static void publish_locked(struct blk_virtio *dev)
{
	if (pv_virtq_publish(ring(dev))) {
		dev->stats.kicks++;
		pv_device_kick(&dev->dev, 0);
	}
}

/* Adds req to the ring (not yet published). 0, -EAGAIN when the ring or
 * the slots are full, -EIO when the device is dead. */
static int queue_locked(struct blk_virtio *dev, struct pv_blk_req *req, uint64_t data_gpa)
{
	struct blk_slot *s;
	unsigned n, n_out;
	int rc;

	if (dev->dead)
		return -EIO;
	s = slot_take(dev);
	if (!s)
		return -EAGAIN;
	n = chain_build(dev, s, req, data_gpa, &n_out);
	rc = pv_virtq_add(ring(dev), dev->bufs, n_out, n - n_out, s);
	if (rc < 0) {
		slot_put(dev, s);
		return rc == -ENOSPC ? -EAGAIN : -EIO;
	}
	s->req = req;
	req->done = 0;
	__atomic_add_fetch(&dev->pending, 1, __ATOMIC_RELEASE);
	dev->stats.submitted++;
	if (req->bounce)
		dev->stats.bounced++;
	return 0;
}

/* ---- Collecting completions --------------------------------------------- */

struct done_list {
	struct pv_blk_req *first, **tail;
};

static void done_append(struct done_list *l, struct pv_blk_req *req, int status)
{
	req->status = status;
	req->next_done = NULL;
	*l->tail = req;
	l->tail = &req->next_done;
}

/* The bytes the device must report written for an answered request. */
static uint32_t expected_written(const struct pv_blk_req *req)
{
	if (req->op == PV_BLK_READ)
		return req->len + 1;
	if (req->op == PV_BLK_GET_ID)
		return PV_BLK_ID_BYTES + 1;
	return 1;
}

/* The request's result from its status byte and used length (the device
 * is not trusted to be consistent). */
static int answer_status(const struct blk_slot *s, const struct pv_blk_req *req, uint32_t written)
{
	uint8_t status = __atomic_load_n(&s->dma->status, __ATOMIC_RELAXED);

	if (written == 0)
		return -EIO;		/* the status byte was not written */
	if (status == PVISOR_VIRTIO_BLK_S_UNSUPP)
		return -EOPNOTSUPP;
	if (status != PVISOR_VIRTIO_BLK_S_OK)
		return -EIO;
	if (req->op == PV_BLK_GET_ID)
		memcpy(req->buf, s->dma->id, PV_BLK_ID_BYTES);
	return written == expected_written(req) || req->op == PV_BLK_GET_ID ? 0 : -EIO;
}

static void take_used_locked(struct blk_virtio *dev, struct done_list *l)
{
	struct blk_slot *s;
	uint32_t written;

	while ((s = pv_virtq_get_used(ring(dev), &written))) {
		struct pv_blk_req *req = s->req;

		done_append(l, req, answer_status(s, req, written));
		slot_put(dev, s);
	}
}

/* The device broke (or broke the ring): reset it, so it no longer touches
 * our memory, and fail everything in flight. */
static void go_dead_locked(struct blk_virtio *dev, struct done_list *l)
{
	struct blk_slot *s;

	dev->dead = true;
	pv_device_stop(&dev->dev);
	while ((s = pv_virtq_detach_unused(ring(dev)))) {
		done_append(l, s->req, -EIO);
		slot_put(dev, s);
	}
}

/* Bounce copy, callback, done flag; then wakes sleepers. Lock not held. */
static int finish_list(struct blk_virtio *dev, struct pv_blk_req *req)
{
	int n = 0;

	while (req) {
		/* Read before done is set: from then on req is the caller's. */
		struct pv_blk_req *next = req->next_done;
		pv_blk_done_t on_done = req->on_done;

		if (req->bounce && req->op == PV_BLK_READ && req->status == 0)
			memcpy(req->buf, req->bounce, req->len);
		data_release(req);
		if (req->status)
			__atomic_add_fetch(&dev->stats.errors, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&req->done, 1, __ATOMIC_RELEASE);
		if (on_done)
			on_done(req);
		__atomic_sub_fetch(&dev->pending, 1, __ATOMIC_RELEASE);
		__atomic_add_fetch(&dev->stats.completed, 1, __ATOMIC_RELEASE);
		n++;
		req = next;
	}
	if (n && __atomic_load_n(&dev->sleepers, __ATOMIC_ACQUIRE))
		pv_cond_broadcast(&dev->wake);
	return n;
}

/* Takes every completion that is ready and finishes it; returns how many. */
static int collect(struct blk_virtio *dev)
{
	struct done_list l = { NULL, &l.first };

	pv_mutex_lock(&dev->lock);
	take_used_locked(dev, &l);
	if (!dev->dead && device_broken(dev))
		go_dead_locked(dev, &l);
	pv_mutex_unlock(&dev->lock);
	return finish_list(dev, l.first);
}

/* ---- Waiting ------------------------------------------------------------ */

typedef bool (*wait_cond_t)(struct blk_virtio *dev, const void *arg);

/* Nothing more can happen: the device is dead or nothing is in flight. */
static bool cannot_progress(struct blk_virtio *dev)
{
	return dev->dead || pending_count(dev) == 0;
}

/* Polls the used ring for up to dev->poll_ns; true if there is something
 * to collect (or the device broke, or the condition came true). */
static bool poll_ring(struct blk_virtio *dev, wait_cond_t cond, const void *arg)
{
	uint64_t deadline;

	if (!dev->poll_ns)
		return false;
	deadline = pv_clock_ns() + dev->poll_ns;
	do {
		if (ring_has_used(dev) || cond(dev, arg) || device_broken(dev)) {
			dev->stats.poll_hits++;
			return true;
		}
		__builtin_ia32_pause();
	} while (pv_clock_ns() < deadline);
	return false;
}

/* Like the backend's window (hv/devices/backend.c): a sleep that a
 * somewhat longer poll would have avoided doubles the window (up to
 * BLK_POLL_GROWTH times the base), a long one halves it back. Large
 * requests then complete without a sleep, while an idle or slow disk
 * costs at most the base in spinning per wait. Lock held. */
static void adapt_poll_window(struct blk_virtio *dev, uint64_t slept_ns)
{
	uint32_t most = dev->poll_base * BLK_POLL_GROWTH;

	if (!dev->poll_base)
		return;
	if (slept_ns < most)
		dev->poll_ns = dev->poll_ns * 2 < most ? dev->poll_ns * 2 : most;
	else
		dev->poll_ns = dev->poll_ns / 2 > dev->poll_base ? dev->poll_ns / 2 : dev->poll_base;
}

/* Turns device notifications on and sleeps until an event or a finished
 * request, unless the condition is true or completions are waiting. */
static void sleep_for_event(struct blk_virtio *dev, wait_cond_t cond, const void *arg)
{
	unsigned long flags = pv_events_disable();
	struct pv_virtq *q = ring(dev);

	pv_mutex_lock(&dev->lock);
	if (!cond(dev, arg) && !cannot_progress(dev)) {
		__atomic_add_fetch(&dev->sleepers, 1, __ATOMIC_RELEASE);
		if (pv_virtq_enable_cb(q) && !device_broken(dev)) {
			uint64_t t0 = pv_clock_ns();

			dev->stats.sleeps++;
			pv_cond_wait(&dev->wake, &dev->lock);
			adapt_poll_window(dev, pv_clock_ns() - t0);
		}
		if (__atomic_sub_fetch(&dev->sleepers, 1, __ATOMIC_RELEASE) == 0)
			pv_virtq_disable_cb(q);
	}
	pv_mutex_unlock(&dev->lock);
	pv_events_restore(flags);
}

/* Collects completions until cond is true or nothing can happen any more. */
static void wait_until(struct blk_virtio *dev, wait_cond_t cond, const void *arg)
{
	for (;;) {
		collect(dev);
		if (cond(dev, arg) || cannot_progress(dev))
			return;
		if (poll_ring(dev, cond, arg))
			continue;
		sleep_for_event(dev, cond, arg);
	}
}

static bool req_done(struct blk_virtio *dev, const void *arg)
{
	(void)dev;
	return __atomic_load_n(&((const struct pv_blk_req *)arg)->done, __ATOMIC_ACQUIRE) != 0;
}

static bool completed_since(struct blk_virtio *dev, const void *arg)
{
	return completed_count(dev) != *(const uint64_t *)arg;
}

static bool nothing_pending(struct blk_virtio *dev, const void *arg)
{
	(void)arg;
	return pending_count(dev) == 0;
}

/* The device event: wake the waiters, who collect (upcall context). */
static void blk_event(unsigned int port, void *arg)
{
	struct blk_virtio *dev = arg;

	(void)port;
	dev->stats.events++;
	pv_cond_broadcast(&dev->wake);
}

/* ---- Submitting --------------------------------------------------------- */

static int submit_failed(struct pv_blk_req *req, int rc)
{
	data_release(req);
	req->status = rc;
	__atomic_store_n(&req->done, 1, __ATOMIC_RELEASE);
	return rc;
}

/* Checks req and prepares its data; sets *gpa. */
static int submit_prepare(struct blk_virtio *dev, struct pv_blk_req *req, uint64_t *gpa)
{
	int rc = request_check(dev, req);

	req->bounce = NULL;
	*gpa = 0;
	if (rc == 0)
		rc = data_prepare(dev, req, gpa);
	return rc;
}

/* Queues reqs[0 .. n) (prepared) under the lock, waiting for room as
 * needed; publishes once per lock hold. Returns how many were queued, or
 * the first error if none was; reqs not queued are failed. */
static int queue_batch(struct blk_virtio *dev, struct pv_blk_req *const *reqs, const uint64_t *gpa,
		       unsigned n)
{
	unsigned queued = 0;
	int rc = 0;

	while (queued < n) {
		uint64_t seen = completed_count(dev);

		pv_mutex_lock(&dev->lock);
		while (queued < n && (rc = queue_locked(dev, reqs[queued], gpa[queued])) == 0)
			queued++;
		publish_locked(dev);
		pv_mutex_unlock(&dev->lock);
		if (rc != -EAGAIN)
			break;
		wait_until(dev, completed_since, &seen);
	}
	for (unsigned i = queued; i < n; i++)
		submit_failed(reqs[i], rc < 0 ? rc : -EIO);
	return queued ? (int)queued : rc;
}

static int vblk_submit_batch(struct blk_virtio *dev, struct pv_blk_req *const *reqs, unsigned n)
{
	uint64_t gpa[16];
	unsigned done = 0;
	int rc = 0;

	/* Prepared in groups, so the addresses fit on the stack. */
	while (done < n && rc == 0) {
		unsigned group = n - done < 16 ? n - done : 16, ready = 0;
		int queued;

		while (ready < group && (rc = submit_prepare(dev, reqs[done + ready], &gpa[ready])) == 0)
			ready++;
		if (rc)
			submit_failed(reqs[done + ready], rc);
		if (!ready)
			break;
		queued = queue_batch(dev, &reqs[done], gpa, ready);
		if (queued < 0)
			rc = queued;
		else
			done += (unsigned)queued;
		if (queued != (int)ready)
			break;
	}
	/* The rest of the batch is neither queued nor failed: the caller
	 * learns where it stopped from the count. */
	return done ? (int)done : rc;
}

static int vblk_submit(struct blk_virtio *dev, struct pv_blk_req *req)
{
	return vblk_submit_batch(dev, &req, 1) == 1 ? 0 : req->status;
}

static int vblk_submit_batch_op(struct pv_blk *base, struct pv_blk_req *const *reqs, unsigned n)
{
	return vblk_submit_batch(to_vblk(base), reqs, n);
}

/* ---- Waiting (public) --------------------------------------------------- */

static int vblk_wait(struct blk_virtio *dev, struct pv_blk_req *req)
{
	wait_until(dev, req_done, req);
	return req->done ? req->status : -EIO;
}

static int vblk_wait_op(struct pv_blk *base, struct pv_blk_req *req)
{
	return vblk_wait(to_vblk(base), req);
}

static int vblk_wait_any(struct pv_blk *base)
{
	struct blk_virtio *dev = to_vblk(base);
	uint64_t seen = completed_count(dev);
	bool was_dead = dev->dead;

	if (pending_count(dev) == 0)
		return 0;
	wait_until(dev, completed_since, &seen);
	if (completed_count(dev) == seen)
		return was_dead || dev->dead ? -EIO : 0;
	return (int)(completed_count(dev) - seen);
}

static int vblk_poll(struct pv_blk *base)
{
	return collect(to_vblk(base));
}

static unsigned vblk_in_flight(const struct pv_blk *base)
{
	return pending_count(to_cvblk(base));
}

static void vblk_set_poll_ns(struct pv_blk *base, uint32_t ns)
{
	struct blk_virtio *dev = to_vblk(base);

	pv_mutex_lock(&dev->lock);
	dev->poll_base = ns;
	dev->poll_ns = ns;
	pv_mutex_unlock(&dev->lock);
}

static void vblk_stats(const struct pv_blk *base, struct pv_blk_stats *out)
{
	*out = to_cvblk(base)->stats;
}

/* ---- Synchronous calls -------------------------------------------------- */

/* Bytes of the next chunk at p: as much as one request carries, ending at
 * a page boundary so a direct buffer stays within the segment limit. */
static uint32_t chunk_len(const struct blk_virtio *dev, uintptr_t p, uint64_t left)
{
	uint64_t room = dev->max_transfer - (p % BLK_DMA_ALIGN == 0 ? p % PV_PAGE_SIZE : 0);

	return (uint32_t)(left < room ? left : room);
}

/* Reads or writes [sector, sector + len / 512) in chunks, up to
 * BLK_SYNC_WINDOW of them in flight. Returns the first error. */
static int sync_rw(struct blk_virtio *dev, enum pv_blk_op op, uint64_t sector, uint8_t *buf,
		   uint64_t len)
{
	struct pv_blk_req reqs[BLK_SYNC_WINDOW];
	unsigned issued = 0, waited = 0;
	uint64_t off = 0;
	int err = 0;

	if (len == 0 || !range_ok(dev, sector, len) || !buf)
		return -EINVAL;
	if (op == PV_BLK_WRITE && dev->readonly)
		return -EROFS;
	while (waited < issued || (off < len && !err)) {
		if (off < len && !err && issued - waited < BLK_SYNC_WINDOW) {
			struct pv_blk_req *r = &reqs[issued % BLK_SYNC_WINDOW];

			*r = (struct pv_blk_req){ .op = op, .sector = sector + off / PV_BLK_SECTOR,
						  .buf = buf + off,
						  .len = chunk_len(dev, (uintptr_t)(buf + off), len - off) };
			off += r->len;
			err = vblk_submit(dev, r);
			issued += err == 0;
			continue;
		}
		int rc = vblk_wait(dev, &reqs[waited++ % BLK_SYNC_WINDOW]);

		if (rc && !err)
			err = rc;
	}
	return err;
}

static int vblk_read(struct pv_blk *base, uint64_t sector, void *buf, uint64_t len)
{
	return sync_rw(to_vblk(base), PV_BLK_READ, sector, buf, len);
}

static int vblk_write(struct pv_blk *base, uint64_t sector, const void *buf, uint64_t len)
{
	return sync_rw(to_vblk(base), PV_BLK_WRITE, sector, (uint8_t *)(uintptr_t)buf, len);
}

static int sync_one(struct blk_virtio *dev, struct pv_blk_req *req)
{
	int rc = vblk_submit(dev, req);

	return rc < 0 ? rc : vblk_wait(dev, req);
}

static int vblk_flush(struct pv_blk *base)
{
	struct blk_virtio *dev = to_vblk(base);
	struct pv_blk_req req = { .op = PV_BLK_FLUSH };

	if (dev->dead)
		return -EIO;
	if (!has_feature(dev, PVISOR_VIRTIO_BLK_F_FLUSH))
		return 0;
	return sync_one(dev, &req);
}

/* DISCARD or WRITE_ZEROES over a range, one request per max_sectors. */
static int sync_range(struct blk_virtio *dev, enum pv_blk_op op, uint64_t sector, uint64_t nsectors,
		      uint32_t max_sectors)
{
	if (nsectors == 0 || !range_ok(dev, sector, nsectors * PV_BLK_SECTOR) ||
	    nsectors > dev->sectors)
		return -EINVAL;
	if (max_sectors == 0)
		max_sectors = 1;
	while (nsectors) {
		uint64_t n = nsectors < max_sectors ? nsectors : max_sectors;
		struct pv_blk_req req = { .op = op, .sector = sector,
					  .len = (uint32_t)(n * PV_BLK_SECTOR) };
		int rc = sync_one(dev, &req);

		if (rc)
			return rc;
		sector += n;
		nsectors -= n;
	}
	return 0;
}

static int vblk_discard(struct pv_blk *base, uint64_t sector, uint64_t nsectors)
{
	struct blk_virtio *dev = to_vblk(base);

	return sync_range(dev, PV_BLK_DISCARD, sector, nsectors, dev->max_discard_sectors);
}

static int vblk_write_zeroes(struct pv_blk *base, uint64_t sector, uint64_t nsectors)
{
	struct blk_virtio *dev = to_vblk(base);

	return sync_range(dev, PV_BLK_WRITE_ZEROES, sector, nsectors, dev->max_zeroes_sectors);
}

static int vblk_get_id(struct pv_blk *base, char id[PV_BLK_ID_BYTES + 1])
{
	struct blk_virtio *dev = to_vblk(base);
	struct pv_blk_req req = { .op = PV_BLK_GET_ID, .buf = id };
	int rc = sync_one(dev, &req);

	id[rc == 0 ? PV_BLK_ID_BYTES : 0] = '\0';
	return rc;
}

/* ---- Facts -------------------------------------------------------------- */

static uint64_t vblk_sectors(const struct pv_blk *base)
{
	return to_cvblk(base)->sectors;
}

static bool vblk_readonly(const struct pv_blk *base)
{
	return to_cvblk(base)->readonly;
}

static unsigned vblk_index(const struct pv_blk *base)
{
	return to_cvblk(base)->dev.index;
}

static uint64_t vblk_features(const struct pv_blk *base)
{
	return to_cvblk(base)->dev.features;
}

static uint32_t vblk_block_size(const struct pv_blk *base)
{
	return to_cvblk(base)->blk_size;
}

static unsigned vblk_queue_size(const struct pv_blk *base)
{
	return to_cvblk(base)->nr_slots;
}

static uint32_t vblk_max_transfer(const struct pv_blk *base)
{
	return to_cvblk(base)->max_transfer;
}

/* ---- Opening and closing ------------------------------------------------ */

/* Data descriptors per request the device takes (seg_max, or no limit
 * but the chain's), before the queue is known. */
static unsigned offered_seg_max(unsigned index, const struct pvisor_virtio_blk_config *cfg)
{
	uint64_t offered = pv_device_info(index)->device_features;
	unsigned seg_max = BLK_SEG_LIMIT;

	if ((offered & FEATURE(PVISOR_VIRTIO_BLK_F_SEG_MAX)) && cfg->seg_max < seg_max)
		seg_max = cfg->seg_max;
	return seg_max ? seg_max : 1;
}

/* Limits and facts, once the features and the queue are known. */
static void learn_limits(struct blk_virtio *dev, const struct pvisor_virtio_blk_config *cfg,
			 unsigned seg_max)
{
	struct pv_virtq *q = ring(dev);
	unsigned chain = q->use_indirect ? q->max_indirect
					 : (q->size < PV_VIRTQ_MAX_CHAIN ? q->size : PV_VIRTQ_MAX_CHAIN);

	dev->sectors = cfg->capacity;
	dev->readonly = has_feature(dev, PVISOR_VIRTIO_BLK_F_RO);
	dev->blk_size = has_feature(dev, PVISOR_VIRTIO_BLK_F_BLK_SIZE) && cfg->blk_size
				? cfg->blk_size : PV_BLK_SECTOR;
	dev->seg_limit = chain > 2 ? chain - 2 : 0;
	if (dev->seg_limit > seg_max)
		dev->seg_limit = seg_max;
	dev->max_transfer = dev->seg_limit * (uint32_t)PV_PAGE_SIZE;
	dev->max_discard_sectors = cfg->max_discard_sectors ? cfg->max_discard_sectors : 1;
	dev->max_zeroes_sectors = cfg->max_write_zeroes_sectors ? cfg->max_write_zeroes_sectors : 1;
	dev->poll_base = PV_BLK_POLL_NS_DEFAULT;
	dev->poll_ns = PV_BLK_POLL_NS_DEFAULT;
}

static void blk_free(struct blk_virtio *dev)
{
	if (dev->dma)
		pv_pages_free(dev->dma, dev->dma_pages);
	free(dev->slots);
	free(dev->bufs);
	free(dev);
}

static struct blk_virtio *blk_alloc(unsigned seg_max)
{
	struct blk_virtio *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->nr_slots = BLK_QUEUE_SIZE;
	dev->slots = calloc(BLK_QUEUE_SIZE, sizeof(*dev->slots));
	dev->bufs = calloc(seg_max + 2, sizeof(*dev->bufs));
	dev->dma_pages = PV_PAGE_ALIGN(BLK_QUEUE_SIZE * sizeof(struct blk_dma)) / PV_PAGE_SIZE;
	dev->dma = pv_pages_alloc(dev->dma_pages);
	if (!dev->slots || !dev->bufs || !dev->dma) {
		blk_free(dev);
		return NULL;
	}
	pv_mutex_init(&dev->lock);
	pv_cond_init(&dev->wake);
	return dev;
}

static const struct pv_blk_ops vblk_ops;

unsigned blk_virtio_count(void)
{
	unsigned n = 0;

	while (pv_device_find(PVISOR_DEVICE_BLOCK, n) >= 0)
		n++;
	return n;
}

int blk_virtio_open(unsigned nth, struct pv_blk **out)
{
	int index = pv_device_find(PVISOR_DEVICE_BLOCK, nth);
	struct pvisor_virtio_blk_config cfg;
	struct pv_device_queue_config qc;
	struct blk_virtio *dev;
	unsigned seg_max;
	int rc;

	if (index < 0)
		return index;
	rc = pv_device_read_config((unsigned)index, 0, &cfg, sizeof(cfg));
	if (rc < 0)
		return rc;
	seg_max = offered_seg_max((unsigned)index, &cfg);
	dev = blk_alloc(seg_max);
	if (!dev)
		return -ENOMEM;
	qc = (struct pv_device_queue_config){ .size = BLK_QUEUE_SIZE, .max_indirect = seg_max + 2,
					      .handler = blk_event, .arg = dev };
	rc = pv_device_start(&dev->dev, (unsigned)index, BLK_WANTED, 1, &qc);
	if (rc < 0) {
		blk_free(dev);
		return rc;
	}
	pv_virtq_disable_cb(ring(dev));
	/* Header + one page + status go as three direct descriptors; longer
	 * requests take an indirect table. */
	pv_virtq_set_indirect_min(ring(dev), BLK_INDIRECT_MIN);
	/* One slot per ring entry: without indirect tables descriptors run
	 * out first, and pv_virtq_add() says so. */
	dev->nr_slots = ring(dev)->size;
	slots_init(dev);
	learn_limits(dev, &cfg, seg_max);
	dev->base.ops = &vblk_ops;
	*out = &dev->base;
	return 0;
}

static int vblk_close(struct pv_blk *base)
{
	struct blk_virtio *dev = to_vblk(base);
	int rc;

	wait_until(dev, nothing_pending, NULL);
	rc = pv_device_reset(&dev->dev);
	if (rc < 0)
		return rc;	/* the device may still use our memory: keep it */
	blk_free(dev);
	return 0;
}

static const struct pv_blk_ops vblk_ops = {
	.close = vblk_close,
	.sectors = vblk_sectors,
	.readonly = vblk_readonly,
	.index = vblk_index,
	.features = vblk_features,
	.block_size = vblk_block_size,
	.queue_size = vblk_queue_size,
	.max_transfer = vblk_max_transfer,
	.read = vblk_read,
	.write = vblk_write,
	.flush = vblk_flush,
	.discard = vblk_discard,
	.write_zeroes = vblk_write_zeroes,
	.get_id = vblk_get_id,
	.submit_batch = vblk_submit_batch_op,
	.wait = vblk_wait_op,
	.wait_any = vblk_wait_any,
	.poll = vblk_poll,
	.in_flight = vblk_in_flight,
	.set_poll_ns = vblk_set_poll_ns,
	.stats = vblk_stats,
};

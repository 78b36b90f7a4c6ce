/* blk.c: the virtio-blk frontend (pv/blk.h, include/pvisor/virtio_blk.h).
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

struct pv_blk {
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

static struct pv_virtq *ring(struct pv_blk *dev)
{
	return &dev->dev.queues[0].vq;
}

static bool has_feature(const struct pv_blk *dev, unsigned bit)
{
	return (dev->dev.features & FEATURE(bit)) != 0;
}

static unsigned pending_count(const struct pv_blk *dev)
{
	return __atomic_load_n(&dev->pending, __ATOMIC_ACQUIRE);
}

static uint64_t completed_count(const struct pv_blk *dev)
{
	return __atomic_load_n(&dev->stats.completed, __ATOMIC_ACQUIRE);
}

static bool range_ok(const struct pv_blk *dev, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes / PV_BLK_SECTOR;

	return bytes % PV_BLK_SECTOR == 0 && sector <= dev->sectors && n <= dev->sectors - sector;
}

/* Did the device stop (BROKEN) or break a ring rule? */
static bool device_broken(struct pv_blk *dev)
{
	return ring(dev)->broken || pv_device_status(dev->dev.index) == PVISOR_DEVICE_S_BROKEN;
}

/* Does the used ring hold entries not yet collected? (Read without the
 * lock: a hint for polling.) */
static bool ring_has_used(struct pv_blk *dev)
{
	struct pv_virtq *q = ring(dev);

	return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&q->last_used_idx, __ATOMIC_RELAXED);
}

/* ---- Slots -------------------------------------------------------------- */

static struct blk_slot *slot_take(struct pv_blk *dev)
{
	struct blk_slot *s;

	if (dev->free_slot < 0)
		return NULL;
	s = &dev->slots[dev->free_slot];
	dev->free_slot = s->next_free;
	return s;
}

static void slot_put(struct pv_blk *dev, struct blk_slot *s)
{
	s->req = NULL;
	s->next_free = dev->free_slot;
	dev->free_slot = (int)(s - dev->slots);
}

static void slots_init(struct pv_blk *dev)
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

static int check_rw(const struct pv_blk *dev, const struct pv_blk_req *req)
{
	if (!req->buf || req->len == 0 || req->len > dev->max_transfer)
		return -EINVAL;
	if (!range_ok(dev, req->sector, req->len))
		return -EINVAL;
	if (req->op == PV_BLK_WRITE && dev->readonly)
		return -EROFS;
	return 0;
}

static int check_range_op(const struct pv_blk *dev, const struct pv_blk_req *req,
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

static int request_check(const struct pv_blk *dev, const struct pv_blk_req *req)
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
static bool data_direct(const struct pv_blk *dev, const struct pv_blk_req *req, uint64_t *gpa)
{
	uintptr_t addr = (uintptr_t)req->buf;

	return addr % BLK_DMA_ALIGN == 0 && pages_touched(addr, req->len) <= dev->seg_limit &&
	       pv_dma_addr(req->buf, req->len, gpa) == 0;
}

/* Sets *gpa to the data the device should use for a READ or WRITE: the
 * caller's buffer, or a fresh bounce buffer (filled for a WRITE). */
static int data_prepare(struct pv_blk *dev, struct pv_blk_req *req, uint64_t *gpa)
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
static unsigned chain_build(struct pv_blk *dev, struct blk_slot *s, const struct pv_blk_req *req,
			    uint64_t data_gpa, unsigned *n_out)
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

static void publish_locked(struct pv_blk *dev)
{
	if (pv_virtq_publish(ring(dev))) {
		dev->stats.kicks++;
		pv_device_kick(&dev->dev, 0);
	}
}

/* Adds req to the ring (not yet published). 0, -EAGAIN when the ring or
 * the slots are full, -EIO when the device is dead. */
static int queue_locked(struct pv_blk *dev, struct pv_blk_req *req, uint64_t data_gpa)
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

static void take_used_locked(struct pv_blk *dev, struct done_list *l)
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
static void go_dead_locked(struct pv_blk *dev, struct done_list *l)
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
static int finish_list(struct pv_blk *dev, struct pv_blk_req *req)
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
static int collect(struct pv_blk *dev)
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

typedef bool (*wait_cond_t)(struct pv_blk *dev, const void *arg);

/* Nothing more can happen: the device is dead or nothing is in flight. */
static bool cannot_progress(struct pv_blk *dev)
{
	return dev->dead || pending_count(dev) == 0;
}

/* Polls the used ring for up to dev->poll_ns; true if there is something
 * to collect (or the device broke, or the condition came true). */
static bool poll_ring(struct pv_blk *dev, wait_cond_t cond, const void *arg)
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
static void adapt_poll_window(struct pv_blk *dev, uint64_t slept_ns)
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
static void sleep_for_event(struct pv_blk *dev, wait_cond_t cond, const void *arg)
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
static void wait_until(struct pv_blk *dev, wait_cond_t cond, const void *arg)
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

static bool req_done(struct pv_blk *dev, const void *arg)
{
	(void)dev;
	return __atomic_load_n(&((const struct pv_blk_req *)arg)->done, __ATOMIC_ACQUIRE) != 0;
}

static bool completed_since(struct pv_blk *dev, const void *arg)
{
	return completed_count(dev) != *(const uint64_t *)arg;
}

static bool nothing_pending(struct pv_blk *dev, const void *arg)
{
	(void)arg;
	return pending_count(dev) == 0;
}

/* The device event: wake the waiters, who collect (upcall context). */
static void blk_event(unsigned int port, void *arg)
{
	struct pv_blk *dev = arg;

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
static int submit_prepare(struct pv_blk *dev, struct pv_blk_req *req, uint64_t *gpa)
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
static int queue_batch(struct pv_blk *dev, struct pv_blk_req *const *reqs, const uint64_t *gpa,
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

int pv_blk_submit(struct pv_blk *dev, struct pv_blk_req *req)
{
	return pv_blk_submit_batch(dev, &req, 1) == 1 ? 0 : req->status;
}

int pv_blk_submit_batch(struct pv_blk *dev, struct pv_blk_req *const *reqs, unsigned n)
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

/* ---- Waiting (public) --------------------------------------------------- */

int pv_blk_wait(struct pv_blk *dev, struct pv_blk_req *req)
{
	wait_until(dev, req_done, req);
	return req->done ? req->status : -EIO;
}

int pv_blk_wait_any(struct pv_blk *dev)
{
	uint64_t seen = completed_count(dev);
	bool was_dead = dev->dead;

	if (pending_count(dev) == 0)
		return 0;
	wait_until(dev, completed_since, &seen);
	if (completed_count(dev) == seen)
		return was_dead || dev->dead ? -EIO : 0;
	return (int)(completed_count(dev) - seen);
}

int pv_blk_poll(struct pv_blk *dev)
{
	return collect(dev);
}

unsigned pv_blk_in_flight(const struct pv_blk *dev)
{
	return pending_count(dev);
}

void pv_blk_set_poll_ns(struct pv_blk *dev, uint32_t ns)
{
	pv_mutex_lock(&dev->lock);
	dev->poll_base = ns;
	dev->poll_ns = ns;
	pv_mutex_unlock(&dev->lock);
}

void pv_blk_stats(const struct pv_blk *dev, struct pv_blk_stats *out)
{
	*out = dev->stats;
}

/* ---- Synchronous calls -------------------------------------------------- */

/* Bytes of the next chunk at p: as much as one request carries, ending at
 * a page boundary so a direct buffer stays within the segment limit. */
static uint32_t chunk_len(const struct pv_blk *dev, uintptr_t p, uint64_t left)
{
	uint64_t room = dev->max_transfer - (p % BLK_DMA_ALIGN == 0 ? p % PV_PAGE_SIZE : 0);

	return (uint32_t)(left < room ? left : room);
}

/* Reads or writes [sector, sector + len / 512) in chunks, up to
 * BLK_SYNC_WINDOW of them in flight. Returns the first error. */
static int sync_rw(struct pv_blk *dev, enum pv_blk_op op, uint64_t sector, uint8_t *buf,
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
			err = pv_blk_submit(dev, r);
			issued += err == 0;
			continue;
		}
		int rc = pv_blk_wait(dev, &reqs[waited++ % BLK_SYNC_WINDOW]);

		if (rc && !err)
			err = rc;
	}
	return err;
}

int pv_blk_read(struct pv_blk *dev, uint64_t sector, void *buf, uint64_t len)
{
	return sync_rw(dev, PV_BLK_READ, sector, buf, len);
}

int pv_blk_write(struct pv_blk *dev, uint64_t sector, const void *buf, uint64_t len)
{
	return sync_rw(dev, PV_BLK_WRITE, sector, (uint8_t *)(uintptr_t)buf, len);
}

static int sync_one(struct pv_blk *dev, struct pv_blk_req *req)
{
	int rc = pv_blk_submit(dev, req);

	return rc < 0 ? rc : pv_blk_wait(dev, req);
}

int pv_blk_flush(struct pv_blk *dev)
{
	struct pv_blk_req req = { .op = PV_BLK_FLUSH };

	if (dev->dead)
		return -EIO;
	if (!has_feature(dev, PVISOR_VIRTIO_BLK_F_FLUSH))
		return 0;
	return sync_one(dev, &req);
}

/* DISCARD or WRITE_ZEROES over a range, one request per max_sectors. */
static int sync_range(struct pv_blk *dev, enum pv_blk_op op, uint64_t sector, uint64_t nsectors,
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

int pv_blk_discard(struct pv_blk *dev, uint64_t sector, uint64_t nsectors)
{
	return sync_range(dev, PV_BLK_DISCARD, sector, nsectors, dev->max_discard_sectors);
}

int pv_blk_write_zeroes(struct pv_blk *dev, uint64_t sector, uint64_t nsectors)
{
	return sync_range(dev, PV_BLK_WRITE_ZEROES, sector, nsectors, dev->max_zeroes_sectors);
}

int pv_blk_get_id(struct pv_blk *dev, char id[PV_BLK_ID_BYTES + 1])
{
	struct pv_blk_req req = { .op = PV_BLK_GET_ID, .buf = id };
	int rc = sync_one(dev, &req);

	id[rc == 0 ? PV_BLK_ID_BYTES : 0] = '\0';
	return rc;
}

/* ---- Facts -------------------------------------------------------------- */

uint64_t pv_blk_sectors(const struct pv_blk *dev)
{
	return dev->sectors;
}

bool pv_blk_readonly(const struct pv_blk *dev)
{
	return dev->readonly;
}

unsigned pv_blk_index(const struct pv_blk *dev)
{
	return dev->dev.index;
}

uint64_t pv_blk_features(const struct pv_blk *dev)
{
	return dev->dev.features;
}

uint32_t pv_blk_block_size(const struct pv_blk *dev)
{
	return dev->blk_size;
}

unsigned pv_blk_queue_size(const struct pv_blk *dev)
{
	return dev->nr_slots;
}

uint32_t pv_blk_max_transfer(const struct pv_blk *dev)
{
	return dev->max_transfer;
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
static void learn_limits(struct pv_blk *dev, const struct pvisor_virtio_blk_config *cfg,
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

static void blk_free(struct pv_blk *dev)
{
	if (dev->dma)
		pv_pages_free(dev->dma, dev->dma_pages);
	free(dev->slots);
	free(dev->bufs);
	free(dev);
}

static struct pv_blk *blk_alloc(unsigned seg_max)
{
	struct pv_blk *dev = calloc(1, sizeof(*dev));

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

int pv_blk_open(unsigned nth, struct pv_blk **out)
{
	int index = pv_device_find(PVISOR_DEVICE_BLOCK, nth);
	struct pvisor_virtio_blk_config cfg;
	struct pv_device_queue_config qc;
	struct pv_blk *dev;
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
	*out = dev;
	return 0;
}

int pv_blk_close(struct pv_blk *dev)
{
	int rc;

	wait_until(dev, nothing_pending, NULL);
	rc = pv_device_reset(&dev->dev);
	if (rc < 0)
		return rc;	/* the device may still use our memory: keep it */
	blk_free(dev);
	return 0;
}

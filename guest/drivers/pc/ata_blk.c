/* ata_blk.c: the pv/blk.h backend for ATA disks (ata.h), behind blk.c's
 * dispatch (blk_driver.h).
 *
 * The channel runs one command at a time, so the effective queue depth
 * is 1 (pv_blk_queue_size() says so). Requests still go through a FIFO,
 * which keeps every call of pv/blk.h working as documented: a submit
 * appends its requests, and unless a thread is already running the queue
 * the submitting thread becomes its runner and executes the queue to the
 * end, in submission order, completing each request (status, done flag,
 * callback, with no lock held) before starting the next. So a request
 * submitted when the disk is idle is done when pv_blk_submit() returns;
 * one submitted while another thread runs the queue (or from a completion
 * callback) is executed by that runner, and pv_blk_wait() /
 * pv_blk_wait_any() sleep on a condition variable until it is.
 *
 * Buffers: PIO copies through the CPU (`rep insw/outsw`), so any memory
 * works, thread stacks included: nothing is bounced. Not supported:
 * DISCARD (-EOPNOTSUPP). WRITE_ZEROES is emulated with writes from a zero
 * buffer. GET_ID returns the IDENTIFY serial number. ATA has no
 * write-protect bit: a read-only image refuses writes with ABRT, which
 * arrives as -EIO, and pv_blk_readonly() is false. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pv/blk.h>
#include <pv/sync.h>
#include <pv/thread.h>
#include <pvisor/io/virtio_blk.h>
#include "drivers/blk_driver.h"
#include "ata.h"

/* A request runs as up to four commands of ATA_MAX_SECTORS: 512 KiB, about
 * what the virtio frontend takes. */
#define ABLK_MAX_COMMANDS	4u
#define ABLK_MAX_TRANSFER	(ABLK_MAX_COMMANDS * ATA_MAX_SECTORS * ATA_SECTOR_BYTES)
#define FEATURE(bit)		(1ull << (bit))

struct ata_blk {
	struct pv_blk base;		/* blk.c's handle: first */
	struct ata_drive *drive;
	struct pv_mutex lock;		/* everything below */
	struct pv_cond done;		/* a request finished */
	struct pv_blk_req *head, **tail;	/* submitted, not started (FIFO) */
	struct pv_thread *runner;	/* runs the queue; NULL: nobody */
	unsigned pending;		/* submitted, not done */
	unsigned sleepers;		/* threads waiting on done */
	uint32_t poll_ns;		/* pv_blk_set_poll_ns(): nothing to poll */
	struct pv_blk_stats stats;
};

/* The source of emulated WRITE_ZEROES: one DRQ block of zeroes (never
 * written). */
static uint8_t zero_block[ATA_MULTIPLE_WANTED * ATA_SECTOR_BYTES];

static struct ata_blk *to_ablk(struct pv_blk *base)
{
	return (struct ata_blk *)base;
}

static const struct ata_blk *to_cablk(const struct pv_blk *base)
{
	return (const struct ata_blk *)base;
}

/* ---- Checking a request -------------------------------------------------- */

static bool range_ok(const struct ata_blk *dev, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes / PV_BLK_SECTOR, cap = dev->drive->id.sectors;

	return bytes % PV_BLK_SECTOR == 0 && sector <= cap && n <= cap - sector;
}

static int check_extent(const struct ata_blk *dev, const struct pv_blk_req *req)
{
	if (req->len == 0 || req->len > ABLK_MAX_TRANSFER)
		return -EINVAL;
	return range_ok(dev, req->sector, req->len) ? 0 : -EINVAL;
}

static int request_check(const struct ata_blk *dev, const struct pv_blk_req *req)
{
	switch (req->op) {
	case PV_BLK_READ:
	case PV_BLK_WRITE:
		return req->buf ? check_extent(dev, req) : -EINVAL;
	case PV_BLK_WRITE_ZEROES:
		return check_extent(dev, req);
	case PV_BLK_FLUSH:
		return 0;
	case PV_BLK_DISCARD:
		return -EOPNOTSUPP;
	case PV_BLK_GET_ID:
		return req->buf ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/* ---- Executing a request ----------------------------------------------------- */

/* GET_ID: the serial number, NUL-padded to PV_BLK_ID_BYTES. */
static void copy_id(const struct ata_drive *d, uint8_t *out)
{
	size_t n = strlen(d->id.serial);

	if (n > PV_BLK_ID_BYTES)
		n = PV_BLK_ID_BYTES;
	memset(out, 0, PV_BLK_ID_BYTES);
	memcpy(out, d->id.serial, n);
}

/* READ, WRITE or WRITE_ZEROES of the request's range, one command per
 * ATA_MAX_SECTORS. */
static int transfer(struct ata_drive *d, const struct pv_blk_req *req)
{
	uint64_t sector = req->sector;
	unsigned left = req->len / PV_BLK_SECTOR;
	uint8_t *buf = req->buf;
	int rc = 0;

	while (left && rc == 0) {
		unsigned n = left < ATA_MAX_SECTORS ? left : ATA_MAX_SECTORS;

		if (req->op == PV_BLK_READ)
			rc = ata_read(d, sector, n, buf);
		else if (req->op == PV_BLK_WRITE)
			rc = ata_write(d, sector, n, buf, false);
		else
			rc = ata_write(d, sector, n, zero_block, true);
		sector += n;
		left -= n;
		if (buf)
			buf += n * PV_BLK_SECTOR;
	}
	return rc;
}

static int execute(struct ata_blk *dev, struct pv_blk_req *req)
{
	struct ata_drive *d = dev->drive;

	switch (req->op) {
	case PV_BLK_READ:
	case PV_BLK_WRITE:
	case PV_BLK_WRITE_ZEROES:
		return transfer(d, req);
	case PV_BLK_FLUSH:
		return ata_flush(d);
	case PV_BLK_GET_ID:
		copy_id(d, req->buf);
		return 0;
	case PV_BLK_DISCARD:
		break;
	}
	return -EOPNOTSUPP;
}

/* ---- The queue (dev->lock held unless said otherwise) ------------------------ */

static void enqueue(struct ata_blk *dev, struct pv_blk_req *req)
{
	req->done = 0;
	req->next_done = NULL;
	req->bounce = NULL;
	*dev->tail = req;
	dev->tail = &req->next_done;
	dev->pending++;
	dev->stats.submitted++;
}

static struct pv_blk_req *dequeue(struct ata_blk *dev)
{
	struct pv_blk_req *req = dev->head;

	if (req) {
		dev->head = req->next_done;
		if (!dev->head)
			dev->tail = &dev->head;
	}
	return req;
}

/* Status, done flag, callback: from here on the request is the caller's
 * (lock not held). */
static void complete(struct pv_blk_req *req, int status)
{
	pv_blk_done_t on_done = req->on_done;

	req->status = status;
	__atomic_store_n(&req->done, 1, __ATOMIC_RELEASE);
	if (on_done)
		on_done(req);
}

static void account(struct ata_blk *dev, int status)
{
	dev->pending--;
	dev->stats.completed++;
	if (status)
		dev->stats.errors++;
	if (dev->sleepers)
		pv_cond_broadcast(&dev->done);
}

/* Executes the queue to the end unless somebody already runs it (another
 * thread, or this one: a callback submitting). Called and returns with
 * the lock held; drops it while a request executes and completes. */
static void run_queue_locked(struct ata_blk *dev)
{
	struct pv_blk_req *req;

	if (dev->runner)
		return;
	dev->runner = pv_thread_self();
	while ((req = dequeue(dev))) {
		int status;

		pv_mutex_unlock(&dev->lock);
		status = execute(dev, req);
		complete(req, status);
		pv_mutex_lock(&dev->lock);
		account(dev, status);
	}
	dev->runner = NULL;
}

/* Sleeps until cond holds or nothing is left that could make it true.
 * The runner itself (a callback that waits) would wait for itself. */
static void wait_while(struct ata_blk *dev, bool (*cond)(struct ata_blk *, const void *),
		       const void *arg)
{
	pv_mutex_lock(&dev->lock);
	while (cond(dev, arg) && dev->pending && dev->runner != pv_thread_self()) {
		dev->sleepers++;
		pv_cond_wait(&dev->done, &dev->lock);
		dev->sleepers--;
	}
	pv_mutex_unlock(&dev->lock);
}

static bool not_done(struct ata_blk *dev, const void *arg)
{
	(void)dev;
	return !__atomic_load_n(&((const struct pv_blk_req *)arg)->done, __ATOMIC_ACQUIRE);
}

static bool none_completed_since(struct ata_blk *dev, const void *arg)
{
	return dev->stats.completed == *(const uint64_t *)arg;
}

static bool anything_pending(struct ata_blk *dev, const void *arg)
{
	(void)arg;
	return dev->pending != 0;
}

/* ---- Asynchronous calls ------------------------------------------------------- */

static int ablk_submit_batch(struct pv_blk *base, struct pv_blk_req *const *reqs, unsigned n)
{
	struct ata_blk *dev = to_ablk(base);
	unsigned queued = 0;
	int rc = 0;

	pv_mutex_lock(&dev->lock);
	while (queued < n && (rc = request_check(dev, reqs[queued])) == 0)
		enqueue(dev, reqs[queued++]);
	if (rc) {
		reqs[queued]->status = rc;
		__atomic_store_n(&reqs[queued]->done, 1, __ATOMIC_RELEASE);
	}
	if (queued)
		run_queue_locked(dev);
	pv_mutex_unlock(&dev->lock);
	return queued ? (int)queued : rc;
}

static int ablk_wait(struct pv_blk *base, struct pv_blk_req *req)
{
	if (!__atomic_load_n(&req->done, __ATOMIC_ACQUIRE))	/* usually done already */
		wait_while(to_ablk(base), not_done, req);
	return req->done ? req->status : -EIO;
}

static int ablk_wait_any(struct pv_blk *base)
{
	struct ata_blk *dev = to_ablk(base);
	uint64_t seen;

	pv_mutex_lock(&dev->lock);
	seen = dev->stats.completed;
	pv_mutex_unlock(&dev->lock);
	wait_while(dev, none_completed_since, &seen);
	return (int)(__atomic_load_n(&dev->stats.completed, __ATOMIC_ACQUIRE) - seen);
}

/* Completions are delivered as requests finish: none waits to be collected. */
static int ablk_poll(struct pv_blk *base)
{
	(void)base;
	return 0;
}

static unsigned ablk_in_flight(const struct pv_blk *base)
{
	return __atomic_load_n(&to_cablk(base)->pending, __ATOMIC_ACQUIRE);
}

static void ablk_set_poll_ns(struct pv_blk *base, uint32_t ns)
{
	to_ablk(base)->poll_ns = ns;
}

/* The virtio-shaped counters: kicks = ATA commands, events = interrupts,
 * sleeps = waits for an interrupt that blocked. */
static void ablk_stats(const struct pv_blk *base, struct pv_blk_stats *out)
{
	const struct ata_blk *dev = to_cablk(base);
	const struct ata_counters *c = &dev->drive->counters;

	*out = dev->stats;
	out->kicks = c->commands;
	out->events = c->interrupts;
	out->sleeps = c->sleeps;
}

/* ---- Synchronous calls ------------------------------------------------------------ */

static int sync_one(struct ata_blk *dev, struct pv_blk_req *req)
{
	int rc = ablk_submit_batch(&dev->base, &req, 1);

	return rc == 1 ? ablk_wait(&dev->base, req) : req->status;
}

/* One request per ABLK_MAX_TRANSFER bytes, in order; the first error. */
static int sync_range(struct ata_blk *dev, enum pv_blk_op op, uint64_t sector, uint8_t *buf,
		      uint64_t len)
{
	if (len == 0 || !range_ok(dev, sector, len))
		return -EINVAL;
	while (len) {
		uint32_t chunk = len < ABLK_MAX_TRANSFER ? (uint32_t)len : ABLK_MAX_TRANSFER;
		struct pv_blk_req req = { .op = op, .sector = sector, .buf = buf, .len = chunk };
		int rc = sync_one(dev, &req);

		if (rc)
			return rc;
		sector += chunk / PV_BLK_SECTOR;
		if (buf)
			buf += chunk;
		len -= chunk;
	}
	return 0;
}

static int ablk_read(struct pv_blk *base, uint64_t sector, void *buf, uint64_t len)
{
	return buf ? sync_range(to_ablk(base), PV_BLK_READ, sector, buf, len) : -EINVAL;
}

static int ablk_write(struct pv_blk *base, uint64_t sector, const void *buf, uint64_t len)
{
	if (!buf)
		return -EINVAL;
	return sync_range(to_ablk(base), PV_BLK_WRITE, sector, (uint8_t *)(uintptr_t)buf, len);
}

static int ablk_flush(struct pv_blk *base)
{
	struct ata_blk *dev = to_ablk(base);
	struct pv_blk_req req = { .op = PV_BLK_FLUSH };

	return dev->drive->id.flush ? sync_one(dev, &req) : 0;
}

static int ablk_discard(struct pv_blk *base, uint64_t sector, uint64_t nsectors)
{
	struct ata_blk *dev = to_ablk(base);

	if (nsectors == 0 || nsectors > dev->drive->id.sectors ||
	    !range_ok(dev, sector, nsectors * PV_BLK_SECTOR))
		return -EINVAL;
	return -EOPNOTSUPP;
}

static int ablk_write_zeroes(struct pv_blk *base, uint64_t sector, uint64_t nsectors)
{
	struct ata_blk *dev = to_ablk(base);

	if (nsectors > dev->drive->id.sectors)
		return -EINVAL;
	return sync_range(dev, PV_BLK_WRITE_ZEROES, sector, NULL, nsectors * PV_BLK_SECTOR);
}

static int ablk_get_id(struct pv_blk *base, char id[PV_BLK_ID_BYTES + 1])
{
	struct pv_blk_req req = { .op = PV_BLK_GET_ID, .buf = id };
	int rc = sync_one(to_ablk(base), &req);

	id[rc == 0 ? PV_BLK_ID_BYTES : 0] = '\0';
	return rc;
}

/* ---- Facts ------------------------------------------------------------------------ */

static uint64_t ablk_sectors(const struct pv_blk *base)
{
	return to_cablk(base)->drive->id.sectors;
}

static bool ablk_readonly(const struct pv_blk *base)
{
	(void)base;
	return false;		/* ATA cannot say */
}

static unsigned ablk_index(const struct pv_blk *base)
{
	return to_cablk(base)->drive->unit;
}

/* The virtio-blk bits for what this disk does the same way: FLUSH when
 * it has a write cache, WRITE_ZEROES (emulated), BLK_SIZE (512). */
static uint64_t ablk_features(const struct pv_blk *base)
{
	uint64_t f = FEATURE(PVISOR_VIRTIO_BLK_F_BLK_SIZE) |
		     FEATURE(PVISOR_VIRTIO_BLK_F_WRITE_ZEROES);

	return to_cablk(base)->drive->id.flush ? f | FEATURE(PVISOR_VIRTIO_BLK_F_FLUSH) : f;
}

static uint32_t ablk_block_size(const struct pv_blk *base)
{
	(void)base;
	return ATA_SECTOR_BYTES;
}

static unsigned ablk_queue_size(const struct pv_blk *base)
{
	(void)base;
	return 1;
}

static uint32_t ablk_max_transfer(const struct pv_blk *base)
{
	(void)base;
	return ABLK_MAX_TRANSFER;
}

/* ---- Opening and closing ------------------------------------------------------------ */

static int ablk_close(struct pv_blk *base)
{
	struct ata_blk *dev = to_ablk(base);

	wait_while(dev, anything_pending, NULL);
	__atomic_store_n(&dev->drive->open, false, __ATOMIC_RELEASE);
	free(dev);
	return 0;
}

static const struct pv_blk_ops ablk_ops = {
	.close = ablk_close,
	.sectors = ablk_sectors,
	.readonly = ablk_readonly,
	.index = ablk_index,
	.features = ablk_features,
	.block_size = ablk_block_size,
	.queue_size = ablk_queue_size,
	.max_transfer = ablk_max_transfer,
	.read = ablk_read,
	.write = ablk_write,
	.flush = ablk_flush,
	.discard = ablk_discard,
	.write_zeroes = ablk_write_zeroes,
	.get_id = ablk_get_id,
	.submit_batch = ablk_submit_batch,
	.wait = ablk_wait,
	.wait_any = ablk_wait_any,
	.poll = ablk_poll,
	.in_flight = ablk_in_flight,
	.set_poll_ns = ablk_set_poll_ns,
	.stats = ablk_stats,
};

int ata_blk_open(unsigned nth, struct pv_blk **out)
{
	struct ata_drive *d = ata_find_drive(nth);
	struct ata_blk *dev;

	if (!d)
		return -ENODEV;
	if (__atomic_exchange_n(&d->open, true, __ATOMIC_ACQ_REL))
		return -EBUSY;
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		__atomic_store_n(&d->open, false, __ATOMIC_RELEASE);
		return -ENOMEM;
	}
	dev->base.ops = &ablk_ops;
	dev->drive = d;
	dev->tail = &dev->head;
	pv_mutex_init(&dev->lock);
	pv_cond_init(&dev->done);
	*out = &dev->base;
	return 0;
}

/* blk.c: the virtio-blk backend (include/pvisor/io/virtio_blk.h) over a
 * disk (hv/disk/disk.h) and its asynchronous I/O engine (hv/disk/blkio.h).
 *
 * The backend thread pops request chains, copies and checks each header
 * once, turns the data buffers into an iovec that points straight into
 * guest memory (no copy) and submits it; completions come back through the
 * engine's eventfd, get their status byte and are pushed in completion
 * order. One batch of requests is one submission system call. */
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <pvisor/io/virtio_blk.h>

#include "disk/blkio.h"
#include "disk/disk.h"
#include "core/domain.h"
#include "lib/log.h"
#include "virtio/blk.h"
#include "virtio/bus.h"
#include "virtio/vdev.h"

#define BLK_QUEUE_MAX   256
#define BLK_SEG_MAX     126          /* data segments: + header + status <= 128 */

#define BLK_MAX_SECTORS (1u << 22)   /* one discard or write-zeroes: 2 GiB */
/* Requests taken per pass before completions are looked at again: small
 * batches keep the guest and the backend working at once (measured at
 * QD32: +10 % IOPS against taking everything available). */
#define BLK_BATCH       8

struct blk_req {
	struct blkio_req io;
	uint16_t head;
	uint8_t *status;
	uint32_t used_len;             /* bytes the guest sees written */
	struct iovec iov[VQ_MAX_CHAIN];
	bool busy;
};

struct blk_dev {
	struct disk_config cfg;
	struct disk *disk;
	struct blkio *io;
	uint64_t sectors;
	bool readonly;
	struct blk_req *reqs;          /* BLK_QUEUE_MAX slots */
	unsigned free_hint;
	unsigned in_flight;
	bool kick_pending;             /* a blkio_kick failed: retry it */
	struct vq_chain chain;
	uint64_t errors;
	int logged_errno;              /* the last host error reported on stderr */
};

static void blk_describe(struct vdev *dev, struct pvisor_device *e)
{
	struct blk_dev *b = dev->priv;
	struct pvisor_virtio_blk_config cfg = {
		.capacity = b->sectors,
		.seg_max = BLK_SEG_MAX,
		.blk_size = BLK_SECTOR,
		.num_queues = 1,
		.max_discard_sectors = BLK_MAX_SECTORS,
		.max_discard_seg = 1,
		.discard_sector_alignment = 1,
		.max_write_zeroes_sectors = BLK_MAX_SECTORS,
		.max_write_zeroes_seg = 1,
	};

	e->type = PVISOR_DEVICE_BLOCK;
	e->nr_queues = 1;
	e->queues[0].max_size = BLK_QUEUE_MAX;
	e->device_features = 1ull << PVISOR_VIRTIO_F_INDIRECT_DESC | 1ull << PVISOR_VIRTIO_F_EVENT_IDX |
			     1ull << PVISOR_VIRTIO_BLK_F_SEG_MAX | 1ull << PVISOR_VIRTIO_BLK_F_BLK_SIZE |
			     1ull << PVISOR_VIRTIO_BLK_F_FLUSH;
	if (b->readonly)
		e->device_features |= 1ull << PVISOR_VIRTIO_BLK_F_RO;
	else
		e->device_features |= 1ull << PVISOR_VIRTIO_BLK_F_DISCARD |
				      1ull << PVISOR_VIRTIO_BLK_F_WRITE_ZEROES;
	memcpy(e->config, &cfg, sizeof(cfg));
}

/* ---- Parsing one chain ------------------------------------------------------ */

/* Copies len bytes starting at byte `off` of the chain's readable part. */
static bool copy_readable(const struct vq_chain *c, uint64_t off, void *dst, size_t len)
{
	uint8_t *out = dst;

	if (off + len > c->readable_bytes)
		return false;
	for (unsigned i = 0; i < c->nbufs && len; i++) {
		const struct vq_buf *b = &c->bufs[i];

		if (b->device_writes)
			break;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		size_t n = b->len - off < len ? b->len - off : len;

		memcpy(out, (uint8_t *)b->host + off, n);
		out += n;
		len -= n;
		off = 0;
	}
	return len == 0;
}

/* Points iov at [off, off + len) of the chain's readable or writable part;
 * returns the iovec count, or -1 if it needs more than VQ_MAX_CHAIN. */
static int slice_chain(const struct vq_chain *c, bool writable, uint64_t off, uint64_t len,
		       struct iovec *iov)
{
	int n = 0;

	for (unsigned i = 0; i < c->nbufs && len; i++) {
		const struct vq_buf *b = &c->bufs[i];

		if (b->device_writes != writable)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		uint64_t take = b->len - off < len ? b->len - off : len;

		iov[n].iov_base = (uint8_t *)b->host + off;
		iov[n].iov_len = take;
		n++;
		len -= take;
		off = 0;
	}
	return len ? -1 : n;
}

/* The status byte: the last byte of the last writable buffer. */
static uint8_t *status_byte(const struct vq_chain *c)
{
	const struct vq_buf *last;

	if (!c->nbufs)
		return NULL;
	last = &c->bufs[c->nbufs - 1];
	if (!last->device_writes)
		return NULL;
	return (uint8_t *)last->host + last->len - 1;
}

static bool range_ok(const struct blk_dev *b, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes / BLK_SECTOR;

	return bytes % BLK_SECTOR == 0 && sector <= b->sectors && n <= b->sectors - sector;
}

/* ---- Requests ---------------------------------------------------------------- */

static struct blk_req *take_slot(struct blk_dev *b)
{
	for (unsigned i = 0; i < BLK_QUEUE_MAX; i++) {
		struct blk_req *r = &b->reqs[(b->free_hint + i) % BLK_QUEUE_MAX];

		if (!r->busy) {
			b->free_hint = (b->free_hint + i + 1) % BLK_QUEUE_MAX;
			memset(&r->io, 0, sizeof(r->io));
			r->busy = true;
			return r;
		}
	}
	return NULL;
}

static void complete(struct vdev *dev, struct blk_req *r, uint8_t status)
{
	struct blk_dev *b = dev->priv;

	*r->status = status;
	if (status != PVISOR_VIRTIO_BLK_S_OK)
		b->errors++;
	vq_push(&dev->queues[0].vq, r->head, r->used_len);
	r->busy = false;
}

static int submit(struct blk_dev *b, struct blk_req *r)
{
	int rc = blkio_submit(b->io, &r->io);

	if (rc == 0)
		b->in_flight++;
	return rc;
}

/* Data requests: IN and OUT. Returns the status to complete with now, or
 * -1 when submitted. */
static int prepare_rw(struct blk_dev *b, struct blk_req *r, const struct vq_chain *c,
		      const struct pvisor_virtio_blk_req_hdr *h)
{
	bool in = h->type == PVISOR_VIRTIO_BLK_T_IN;
	uint64_t len = in ? c->writable_bytes - 1 : c->readable_bytes - sizeof(*h);
	int n;

	if ((in && c->readable_bytes != sizeof(*h)) || (!in && c->writable_bytes != 1))
		return PVISOR_VIRTIO_BLK_S_IOERR;
	if (!in && b->readonly)
		return PVISOR_VIRTIO_BLK_S_IOERR;
	if (!range_ok(b, h->sector, len))
		return PVISOR_VIRTIO_BLK_S_IOERR;
	n = slice_chain(c, in, in ? 0 : sizeof(*h), len, r->iov);
	if (n < 0)
		return PVISOR_VIRTIO_BLK_S_IOERR;
	r->io.op = in ? BLKIO_READ : BLKIO_WRITE;
	r->io.offset = h->sector * BLK_SECTOR;
	r->io.len = len;
	r->io.iov = r->iov;
	r->io.iovcnt = n;
	r->used_len = in ? (uint32_t)len + 1 : 1;
	return len ? -1 : PVISOR_VIRTIO_BLK_S_OK;
}

static int prepare_get_id(struct blk_dev *b, struct blk_req *r, const struct vq_chain *c)
{
	uint64_t len = c->writable_bytes - 1;
	char id[PVISOR_VIRTIO_BLK_ID_BYTES];
	struct iovec *iov = r->iov;
	int n;

	if (len > PVISOR_VIRTIO_BLK_ID_BYTES)
		len = PVISOR_VIRTIO_BLK_ID_BYTES;
	n = slice_chain(c, true, 0, len, iov);
	if (c->readable_bytes != sizeof(struct pvisor_virtio_blk_req_hdr) || n < 0)
		return PVISOR_VIRTIO_BLK_S_IOERR;
	memcpy(id, b->disk->id, sizeof(id));
	for (int i = 0, off = 0; i < n; off += (int)iov[i].iov_len, i++)
		memcpy(iov[i].iov_base, id + off, iov[i].iov_len);
	r->used_len = (uint32_t)len + 1;
	return PVISOR_VIRTIO_BLK_S_OK;
}

static int prepare_discard(struct blk_dev *b, struct blk_req *r, const struct vq_chain *c,
			   const struct pvisor_virtio_blk_req_hdr *h)
{
	struct pvisor_virtio_blk_discard seg;
	bool zeroes = h->type == PVISOR_VIRTIO_BLK_T_WRITE_ZEROES;

	if (c->readable_bytes != sizeof(*h) + sizeof(seg) || c->writable_bytes != 1 ||
	    !copy_readable(c, sizeof(*h), &seg, sizeof(seg)))
		return PVISOR_VIRTIO_BLK_S_IOERR;
	if (b->readonly || seg.num_sectors > BLK_MAX_SECTORS || (seg.flags & ~1u) ||
	    !range_ok(b, seg.sector, (uint64_t)seg.num_sectors * BLK_SECTOR))
		return PVISOR_VIRTIO_BLK_S_IOERR;
	r->io.op = zeroes ? BLKIO_WRITE_ZEROES : BLKIO_DISCARD;
	r->io.offset = seg.sector * BLK_SECTOR;
	r->io.len = (uint64_t)seg.num_sectors * BLK_SECTOR;
	r->used_len = 1;
	return r->io.len ? -1 : PVISOR_VIRTIO_BLK_S_OK;
}

/* Returns the status to complete with at once, or -1 when submitted. */
static int prepare(struct blk_dev *b, struct blk_req *r, const struct vq_chain *c)
{
	struct pvisor_virtio_blk_req_hdr h;

	r->used_len = 1;
	if (!copy_readable(c, 0, &h, sizeof(h)))
		return PVISOR_VIRTIO_BLK_S_IOERR;
	switch (h.type) {
	case PVISOR_VIRTIO_BLK_T_IN:
	case PVISOR_VIRTIO_BLK_T_OUT:
		return prepare_rw(b, r, c, &h);
	case PVISOR_VIRTIO_BLK_T_FLUSH:
		if (b->readonly)
			return PVISOR_VIRTIO_BLK_S_OK;
		r->io.op = BLKIO_FLUSH;
		return -1;
	case PVISOR_VIRTIO_BLK_T_GET_ID:
		return prepare_get_id(b, r, c);
	case PVISOR_VIRTIO_BLK_T_DISCARD:
	case PVISOR_VIRTIO_BLK_T_WRITE_ZEROES:
		return prepare_discard(b, r, c, &h);
	default:
		return PVISOR_VIRTIO_BLK_S_UNSUPP;
	}
}

/* Pops and starts requests while slots are free. Returns how many. */
static int take_requests(struct vdev *dev, struct blk_dev *b)
{
	struct virtqueue *vq = &dev->queues[0].vq;
	int done = 0, rc = 0;

	while (done < BLK_BATCH && b->in_flight < BLK_QUEUE_MAX &&
	       (rc = vq_pop(vq, &b->chain)) == 1) {
		struct blk_req *r = take_slot(b);
		int status;

		if (!r) {   /* cannot happen: slots == queue size >= chains */
			vdev_mark_broken(dev, "more block requests than queue entries");
			return -1;
		}
		r->head = b->chain.head;
		r->status = status_byte(&b->chain);
		if (!r->status) {
			r->busy = false;
			vdev_mark_broken(dev, "block request without a writable status byte");
			return -1;
		}
		status = prepare(b, r, &b->chain);
		if (status < 0 && submit(b, r) < 0)
			status = PVISOR_VIRTIO_BLK_S_IOERR;
		if (status >= 0)
			complete(dev, r, (uint8_t)status);
		done++;
	}
	if (done || b->kick_pending) {
		/* A failed kick leaves the requests queued in the engine; the
		 * next pass kicks again rather than losing them. */
		b->kick_pending = blkio_kick(b->io) < 0;
		if (b->kick_pending && !done)
			done = 1;   /* keep the backend awake to retry */
	}
	if (rc < 0 && !dev->broken) {
		vdev_mark_broken(dev, vq_broken_reason(vq));
		return -1;
	}
	return done;
}

/* A request the host failed (a full file system, a failing device): the
 * guest gets an I/O error status and runs on; the user gets one line per
 * kind of error (not per request: a guest retrying must not flood the log). */
static void report_host_error(struct blk_dev *b, const struct blkio_req *io)
{
	static const char *const ops[] = {
		[BLKIO_READ] = "a read", [BLKIO_WRITE] = "a write", [BLKIO_FLUSH] = "a flush",
		[BLKIO_DISCARD] = "a discard", [BLKIO_WRITE_ZEROES] = "a write-zeroes",
	};
	int err = (int)-io->result;

	if (err == b->logged_errno)
		return;
	b->logged_errno = err;
	log_error("disk '%s': %s failed on the host: %s; the guest gets an I/O error status",
		  disk_config_has_overlay(&b->cfg) ? b->cfg.overlay : b->cfg.path,
		  (unsigned)io->op < sizeof(ops) / sizeof(ops[0]) && ops[io->op] ? ops[io->op] : "a request",
		  strerror(err));
}

static int reap_completions(struct vdev *dev, struct blk_dev *b)
{
	struct blkio_req *done[64];
	int n, total = 0;

	while ((n = blkio_collect(b->io, done, 64)) > 0) {
		for (int i = 0; i < n; i++) {
			struct blk_req *r = (struct blk_req *)done[i];
			bool ok = done[i]->result >= 0;   /* never a short count */

			b->in_flight--;
			if (!ok)
				report_host_error(b, done[i]);
			complete(dev, r, ok ? PVISOR_VIRTIO_BLK_S_OK : PVISOR_VIRTIO_BLK_S_IOERR);
		}
		total += n;
	}
	return total;
}

static int blk_process(struct vdev *dev)
{
	struct blk_dev *b = dev->priv;
	int reaped = reap_completions(dev, b), taken;

	taken = take_requests(dev, b);
	if (reaped > 0 || taken > 0)
		vdev_notify(dev, 0);
	if (taken < 0)
		return -1;
	return reaped + taken;
}

/* Before the backend sleeps: arm the completion eventfd that
 * reap_completions, polling, leaves alone (measured: reading it on every
 * pass took ~9 % of the backend thread). */
static bool blk_want_fd(struct vdev *dev, unsigned w)
{
	struct blk_dev *b = dev->priv;

	blkio_arm(b->io);
	return true;
}

/* With host I/O in flight the backend sleeps on its completions rather
 * than spinning (measured on 2 CPUs: QD32 random writes went from 0.3 to
 * 1.0 of the host's IOPS, because io_uring's workers got the CPU), and
 * leaves guest kicks off: the next completion wakes it anyway, and it
 * takes the new requests then. */
static bool blk_should_poll(struct vdev *dev)
{
	struct blk_dev *b = dev->priv;

	return b->in_flight == 0;
}

static bool blk_want_kick(struct vdev *dev, unsigned q)
{
	struct blk_dev *b = dev->priv;

	return b->in_flight == 0;
}

static void blk_quiesce(struct vdev *dev)
{
	struct blk_dev *b = dev->priv;

	blkio_drain(b->io);
	if (reap_completions(dev, b) > 0)
		vdev_notify(dev, 0);
}

static void blk_reset(struct vdev *dev)
{
	struct blk_dev *b = dev->priv;

	memset(b->reqs, 0, BLK_QUEUE_MAX * sizeof(*b->reqs));
	b->in_flight = 0;
}

static void blk_print_stats(struct vdev *dev, FILE *out)
{
	struct blk_dev *b = dev->priv;

	fprintf(out, "    %s: I/O through %s (%s), %llu requests failed\n", b->cfg.path,
		blkio_engine_name(b->io), blkio_engine_reason(b->io), (unsigned long long)b->errors);
}

static void blk_add_io(struct vdev *dev, struct domain_io *io)
{
	io->blk_requests += __atomic_load_n(&dev->stats.items, __ATOMIC_RELAXED);
}

static void blk_destroy(struct vdev *dev)
{
	struct blk_dev *b = dev->priv;
	int rc;

	if (b->errors)
		log_debug("disk %s: %llu requests failed", b->cfg.path, (unsigned long long)b->errors);
	blkio_destroy(b->io);
	rc = disk_close(b->disk);      /* an overlay's last flush */
	if (rc < 0)
		log_error("disk '%s': the flush at exit failed: %s; writes since the guest's last "
			  "successful flush may be lost", disk_config_has_overlay(&b->cfg) ? b->cfg.overlay : b->cfg.path,
			  strerror(-rc));
	free(b->reqs);
	free(b);
}

static const struct vdev_ops blk_ops = {
	.name = "block",
	.describe = blk_describe,
	.process = blk_process,
	.want_fd = blk_want_fd,
	.should_poll = blk_should_poll,
	.want_kick = blk_want_kick,
	.quiesce = blk_quiesce,
	.reset = blk_reset,
	.print_stats = blk_print_stats,
	.add_io = blk_add_io,
	.destroy = blk_destroy,
};

static struct blk_dev *blk_open(const struct disk_config *cfg)
{
	struct blk_dev *b = calloc(1, sizeof(*b));
	char err[256];

	if (!b || !(b->reqs = calloc(BLK_QUEUE_MAX, sizeof(*b->reqs)))) {
		log_error("out of memory opening disk %s", cfg->path);
		free(b);
		return NULL;
	}
	b->cfg = *cfg;
	b->disk = disk_open(cfg, err, sizeof(err));
	if (!b->disk) {
		log_error("%s", err);
		free(b->reqs);
		free(b);
		return NULL;
	}
	b->io = blkio_create(b->disk, BLK_QUEUE_MAX, err, sizeof(err));
	if (!b->io) {
		log_error("%s", err);
		disk_close(b->disk);
		free(b->reqs);
		free(b);
		return NULL;
	}
	b->sectors = disk_sectors(b->disk);
	b->readonly = b->disk->readonly;
	log_debug("disk %s: %llu sectors%s, I/O through %s (%s)", cfg->path,
		  (unsigned long long)b->sectors, b->readonly ? ", read-only" : "",
		  blkio_engine_name(b->io), blkio_engine_reason(b->io));
	/* Falling back is worth a line even without --verbose. */
	if (!strncmp(blkio_engine_reason(b->io), "io_uring unavailable", 20))
		log_error("disk %s: %s; using the thread pool", cfg->path, blkio_engine_reason(b->io));
	return b;
}

static struct vdev *blk_make(struct domain *d, unsigned index, const void *arg)
{
	struct blk_dev *b = blk_open(arg);
	struct vdev *dev;

	if (!b)
		return NULL;
	dev = vdev_create(d, index, &blk_ops, b);
	if (!dev) {
		blk_destroy(&(struct vdev){ .priv = b });
		return NULL;
	}
	vdev_watch_fd(dev, blkio_completion_fd(b->io));
	return dev;
}

static int virtio_blk_attach(struct domain *d, const void *arg)
{
	return virtio_bus_add(d, blk_make, arg);
}

const struct device_type virtio_blk_device = { "virtio-blk", virtio_blk_attach };

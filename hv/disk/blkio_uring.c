/* blkio_uring.c: the io_uring engine (liburing), for raw images. Each
 * request is one SQE on the disk's descriptor; the completion eventfd is
 * registered with the ring, so the kernel signals it for every CQE.
 * READ/WRITE that transfer less than asked are continued from where they
 * stopped (the remainder resubmitted), never acknowledged short.
 * Requests whose buffers break O_DIRECT alignment go through an aligned
 * bounce buffer. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/blkio_engine.h"
#include "disk/iov.h"

#define URING_MAX_RETRIES 16     /* resubmits after -EAGAIN / -EINTR */

struct uring {
	struct io_uring ring;
	struct slot_queue done;  /* finished, waiting for blkio_reap          */
	unsigned in_kernel;      /* SQEs prepared whose CQE is not handled yet */
	bool resubmitted;        /* SQEs prepared while handling CQEs          */
};

static const int needed_ops[] = { IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
				  IORING_OP_FALLOCATE };

/* Can this ring do everything blkio asks? */
static int check_opcodes(struct io_uring *ring, char *why, size_t whylen)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(ring);
	int rc = 0;

	if (!probe) {
		snprintf(why, whylen, "the kernel cannot list io_uring operations (too old)");
		return -1;
	}
	for (size_t i = 0; i < sizeof(needed_ops) / sizeof(needed_ops[0]); i++) {
		if (!io_uring_opcode_supported(probe, needed_ops[i])) {
			snprintf(why, whylen, "the kernel lacks io_uring operation %d", needed_ops[i]);
			rc = -1;
			break;
		}
	}
	io_uring_free_probe(probe);
	return rc;
}

static int ring_init(struct io_uring *ring, unsigned entries, char *why, size_t whylen)
{
	int rc = io_uring_queue_init(entries, ring, 0);

	if (rc < 0) {
		snprintf(why, whylen, "io_uring_setup: %s", strerror(-rc));
		return -1;
	}
	if (check_opcodes(ring, why, whylen) < 0) {
		io_uring_queue_exit(ring);
		return -1;
	}
	return 0;
}

bool blkio_uring_available(char *why, size_t whylen)
{
	struct io_uring ring;

	if (ring_init(&ring, 4, why, whylen) < 0)
		return false;
	io_uring_queue_exit(&ring);
	return true;
}

/* ---- Requests ---------------------------------------------------------------- */

/* Takes s off the ring: copies a bounced read out, reports result. */
static void finish(struct uring *u, struct blkio_slot *s, int result)
{
	if (s->bounce) {
		if (s->req->op == BLKIO_READ && result >= 0)
			blk_iov_from_buf(s->iov, s->iovcnt, s->bounce);
		free(s->bounce);
		s->bounce = NULL;
	}
	s->result = result;
	slot_queue_push(&u->done, s);
}

static void prep(struct io_uring_sqe *sqe, int fd, struct blkio_slot *s)
{
	const struct blkio_req *req = s->req;

	switch (req->op) {
	case BLKIO_READ:
		io_uring_prep_readv(sqe, fd, s->rest, (unsigned)s->restcnt, req->offset + s->done);
		break;
	case BLKIO_WRITE:
		io_uring_prep_writev(sqe, fd, s->rest, (unsigned)s->restcnt, req->offset + s->done);
		break;
	case BLKIO_FLUSH:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case BLKIO_DISCARD:
		io_uring_prep_fallocate(sqe, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					(off_t)req->offset, (off_t)req->len);
		break;
	case BLKIO_WRITE_ZEROES:
		io_uring_prep_fallocate(sqe, fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
					(off_t)req->offset, (off_t)req->len);
		break;
	}
	io_uring_sqe_set_data(sqe, s);
}

/* Puts s (new, or the rest of a partial transfer) on the ring. Returns 0,
 * or -EBUSY when no SQE can be had (then s is finished with it). */
static int put_on_ring(struct blkio *io, struct blkio_slot *s)
{
	struct uring *u = io->engine_state;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {                  /* full of unsubmitted entries */
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	if (!sqe) {
		finish(u, s, -EBUSY);
		return -EBUSY;
	}
	prep(sqe, disk_raw_fd(io->disk), s);
	u->in_kernel++;
	return 0;
}

/* READ/WRITE data: the caller's segments, or one aligned bounce buffer
 * when O_DIRECT needs alignment they lack. */
static int setup_data(struct blkio *io, struct blkio_slot *s)
{
	size_t align = io->disk->image.dio_align;

	s->rest = s->iov;
	s->restcnt = s->iovcnt;
	if (!align || blk_iov_aligned(s->iov, s->iovcnt, align))
		return 0;
	s->bounce = blk_raw_alloc(s->req->len);
	if (!s->bounce)
		return -ENOMEM;
	if (s->req->op == BLKIO_WRITE)
		blk_iov_to_buf(s->iov, s->iovcnt, s->bounce);
	s->bounce_iov = (struct iovec){ s->bounce, s->req->len };
	s->rest = &s->bounce_iov;
	s->restcnt = 1;
	return 0;
}

static void uring_queue(struct blkio *io, struct blkio_slot *s)
{
	struct uring *u = io->engine_state;
	bool transfer = s->req->op == BLKIO_READ || s->req->op == BLKIO_WRITE;

	if (transfer && setup_data(io, s) < 0) {
		finish(u, s, -ENOMEM);
		blkio_signal(io);
		return;
	}
	if (put_on_ring(io, s) < 0)
		blkio_signal(io);
}

/* ---- Completions ------------------------------------------------------------- */

static void resubmit(struct blkio *io, struct blkio_slot *s)
{
	struct uring *u = io->engine_state;

	if (put_on_ring(io, s) == 0)
		u->resubmitted = true;
}

static void transfer_done(struct blkio *io, struct blkio_slot *s, int res)
{
	struct uring *u = io->engine_state;

	if (res < 0) {
		finish(u, s, res);
	} else if (res == 0) {
		finish(u, s, -EIO);        /* no progress: end of file */
	} else {
		s->done += (uint64_t)res;
		if (s->done >= s->req->len) {
			finish(u, s, (int)s->req->len);
			return;
		}
		blk_iov_advance(&s->rest, &s->restcnt, (size_t)res);
		resubmit(io, s);
	}
}

/* fallocate modes the filesystem lacks: do it the slow way (disk.c
 * writes zeroes), synchronously. Rare. */
static int zeroing_done(struct blkio *io, struct blkio_slot *s, int res)
{
	if (res != -EOPNOTSUPP && res != -ENOSYS)
		return res;
	return disk_zero(io->disk, s->req->offset, s->req->len,
			 s->req->op == BLKIO_DISCARD ? DISK_ZERO_PUNCH : DISK_ZERO_ALLOCATE);
}

static void handle_cqe(struct blkio *io, struct blkio_slot *s, int res)
{
	struct uring *u = io->engine_state;

	u->in_kernel--;
	if ((res == -EAGAIN || res == -EINTR) && s->retries++ < URING_MAX_RETRIES) {
		resubmit(io, s);
		return;
	}
	switch (s->req->op) {
	case BLKIO_READ:
	case BLKIO_WRITE:
		transfer_done(io, s, res);
		break;
	case BLKIO_FLUSH:
		finish(u, s, disk_flush_outcome(io->disk, res));
		break;
	default:
		finish(u, s, zeroing_done(io, s, res));
		break;
	}
}

/* Handles every CQE there is; submits the continuations they needed. */
static void process_cqes(struct blkio *io)
{
	struct uring *u = io->engine_state;
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		handle_cqe(io, io_uring_cqe_get_data(cqe), cqe->res);
		seen++;
	}
	io_uring_cq_advance(&u->ring, seen);
	if (u->resubmitted) {
		u->resubmitted = false;
		io_uring_submit(&u->ring);
	}
}

static int uring_harvest(struct blkio *io, struct blkio_slot **out, int max, bool *more)
{
	struct uring *u = io->engine_state;
	int n = 0;

	process_cqes(io);
	while (n < max && u->done.head)
		out[n++] = slot_queue_pop(&u->done);
	*more = u->done.head != NULL;
	return n;
}

static int uring_kick(struct blkio *io)
{
	struct uring *u = io->engine_state;
	int rc = io_uring_submit(&u->ring);

	return rc < 0 ? rc : 0;
}

static void uring_wait_idle(struct blkio *io)
{
	struct uring *u = io->engine_state;

	uring_kick(io);
	while (u->in_kernel) {
		struct io_uring_cqe *cqe;
		int rc = io_uring_wait_cqe(&u->ring, &cqe);

		if (rc < 0 && rc != -EINTR && rc != -EAGAIN)
			break;         /* the ring is unusable; nothing more will come */
		process_cqes(io);
	}
}

/* ---- Start and stop ------------------------------------------------------------- */

static int uring_start(struct blkio *io, char *why, size_t whylen)
{
	struct uring *u = calloc(1, sizeof(*u));
	int rc;

	if (!u) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (ring_init(&u->ring, io->depth, why, whylen) < 0) {
		free(u);
		return -1;
	}
	rc = io_uring_register_eventfd(&u->ring, io->event_fd);
	if (rc < 0) {
		snprintf(why, whylen, "io_uring_register_eventfd: %s", strerror(-rc));
		io_uring_queue_exit(&u->ring);
		free(u);
		return -1;
	}
	io->engine_state = u;
	return 0;
}

static void uring_stop(struct blkio *io)
{
	struct uring *u = io->engine_state;

	io_uring_queue_exit(&u->ring);
	free(u);
	io->engine_state = NULL;
}

const struct blkio_engine blkio_uring_engine = {
	.name = "io_uring",
	.start = uring_start,
	.queue = uring_queue,
	.kick = uring_kick,
	.harvest = uring_harvest,
	.wait_idle = uring_wait_idle,
	.stop = uring_stop,
};

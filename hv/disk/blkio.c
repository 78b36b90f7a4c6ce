/* blkio.c: the engine-independent half of blkio.h: choosing the engine,
 * checking requests, request slots, and the completion eventfd. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "disk/blkio_engine.h"
#include "disk/iov.h"
#include "lib/log.h"

/* ---- Engine choice --------------------------------------------------------- */

static int start_engine(struct blkio *io, const struct blkio_engine *engine, const char *reason,
			char *why, size_t whylen)
{
	io->engine = engine;
	snprintf(io->reason, sizeof(io->reason), "%s", reason);
	if (engine->start(io, why, whylen) == 0)
		return 0;
	io->engine = NULL;
	return -1;
}

static int choose_engine(struct blkio *io, char *err, size_t errlen)
{
	enum disk_engine_pref pref = io->disk->cfg.engine;
	char why[128] = "";
	char reason[160];

	if (io->disk->overlay && pref == DISK_IO_URING) {
		snprintf(err, errlen, "io=uring cannot serve an overlay disk (drop io=)");
		return -1;
	}
	if (io->disk->overlay)
		return start_engine(io, &blkio_threads_engine, "overlay disks use the thread pool",
				    err, errlen);
	if (pref == DISK_IO_THREADS)
		return start_engine(io, &blkio_threads_engine, "io=threads", err, errlen);
	if (start_engine(io, &blkio_uring_engine,
			 pref == DISK_IO_URING ? "io=uring" : "io_uring available", why,
			 sizeof(why)) == 0)
		return 0;
	if (pref == DISK_IO_URING) {
		snprintf(err, errlen, "io=uring: io_uring cannot be used here: %s", why);
		return -1;
	}
	snprintf(reason, sizeof(reason), "io_uring unavailable: %s", why);
	return start_engine(io, &blkio_threads_engine, reason, err, errlen);
}

/* ---- Create and destroy --------------------------------------------------------- */

static int alloc_slots(struct blkio *io)
{
	io->slots = calloc(io->depth, sizeof(*io->slots));
	io->harvested = calloc(io->depth, sizeof(*io->harvested));
	if (!io->slots || !io->harvested)
		return -1;
	for (unsigned i = io->depth; i-- > 0;) {
		io->slots[i].next = io->free_slots;
		io->free_slots = &io->slots[i];
	}
	return 0;
}

static void blkio_free(struct blkio *io)
{
	if (io->event_fd >= 0)
		close(io->event_fd);
	free(io->slots);
	free(io->harvested);
	free(io);
}

struct blkio *blkio_create(struct disk *disk, unsigned depth, char *err, size_t errlen)
{
	struct blkio *io;

	if (depth < 1 || depth > BLKIO_MAX_DEPTH) {
		snprintf(err, errlen, "queue depth %u is out of range (1..%u)", depth, BLKIO_MAX_DEPTH);
		return NULL;
	}
	io = calloc(1, sizeof(*io));
	if (!io) {
		snprintf(err, errlen, "out of memory for the disk engine");
		return NULL;
	}
	io->disk = disk;
	io->depth = depth;
	io->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (io->event_fd < 0 || alloc_slots(io) < 0) {
		snprintf(err, errlen, "cannot set up the disk engine: %s", strerror(errno));
		blkio_free(io);
		return NULL;
	}
	if (choose_engine(io, err, errlen) < 0) {
		blkio_free(io);
		return NULL;
	}
	log_debug("disk '%s': %s engine (%s), depth %u", disk->cfg.path, io->engine->name,
		  io->reason, depth);
	return io;
}

void blkio_destroy(struct blkio *io)
{
	if (!io)
		return;
	blkio_drain(io);
	io->engine->stop(io);
	blkio_free(io);
}

const char *blkio_engine_name(const struct blkio *io)
{
	return io->engine->name;
}

const char *blkio_engine_reason(const struct blkio *io)
{
	return io->reason;
}

int blkio_completion_fd(const struct blkio *io)
{
	return io->event_fd;
}

/* ---- Submit ------------------------------------------------------------------- */

static bool changes_data(int op)
{
	return op == BLKIO_WRITE || op == BLKIO_DISCARD || op == BLKIO_WRITE_ZEROES;
}

static int check_request(const struct blkio *io, const struct blkio_req *req)
{
	bool transfer = req->op == BLKIO_READ || req->op == BLKIO_WRITE;

	if (req->op < BLKIO_READ || req->op > BLKIO_WRITE_ZEROES)
		return -EINVAL;
	if (changes_data(req->op) && io->disk->readonly)
		return -EROFS;
	if (req->op == BLKIO_FLUSH)
		return 0;
	if (req->len == 0 || disk_check_range(io->disk, req->offset, req->len) < 0)
		return -EINVAL;
	if (transfer && (req->len > BLKIO_MAX_TRANSFER || !req->iov || req->iovcnt < 1 ||
			 req->iovcnt > BLK_MAX_IOV || blk_iov_length(req->iov, req->iovcnt) != req->len))
		return -EINVAL;
	return 0;
}

int blkio_submit(struct blkio *io, struct blkio_req *req)
{
	struct blkio_slot *s;
	int rc = check_request(io, req);

	if (rc < 0)
		return rc;
	if (io->outstanding == io->depth)
		return -EAGAIN;
	s = io->free_slots;
	io->free_slots = s->next;
	s->req = req;
	s->iovcnt = 0;
	if (req->op == BLKIO_READ || req->op == BLKIO_WRITE) {
		memcpy(s->iov, req->iov, (size_t)req->iovcnt * sizeof(*req->iov));
		s->iovcnt = req->iovcnt;
	}
	s->result = 0;
	s->rest = NULL;
	s->restcnt = 0;
	s->done = 0;
	s->bounce = NULL;
	s->retries = 0;
	io->outstanding++;
	io->engine->queue(io, s);
	return 0;
}

int blkio_kick(struct blkio *io)
{
	return io->engine->kick(io);
}

/* ---- Completions ------------------------------------------------------------- */

void blkio_signal(struct blkio *io)
{
	uint64_t one = 1;
	ssize_t n = write(io->event_fd, &one, sizeof(one));

	(void)n;   /* EAGAIN: the counter is saturated, the fd readable anyway */
}

/* Reading the eventfd first resets it; anything finishing after that
 * signals it again, so no completion can be left without a wakeup. */
static void clear_signal(struct blkio *io)
{
	uint64_t count;
	ssize_t n = read(io->event_fd, &count, sizeof(count));

	(void)n;   /* EAGAIN: nothing was signalled */
}

/* Takes up to max completions off the engine; *more says whether others
 * are waiting. */
static int harvest(struct blkio *io, struct blkio_req **done, int max, bool *more)
{
	int n;

	if (max > (int)io->depth)
		max = (int)io->depth;
	n = io->engine->harvest(io, io->harvested, max, more);
	for (int i = 0; i < n; i++) {
		struct blkio_slot *s = io->harvested[i];

		s->req->result = s->result;
		done[i] = s->req;
		s->next = io->free_slots;
		io->free_slots = s;
	}
	io->outstanding -= (unsigned)n;
	return n;
}

int blkio_reap(struct blkio *io, struct blkio_req **done, int max)
{
	bool more = false;
	int n;

	if (max <= 0)
		return 0;
	clear_signal(io);
	n = harvest(io, done, max, &more);
	if (more)
		blkio_signal(io);
	return n;
}

int blkio_collect(struct blkio *io, struct blkio_req **done, int max)
{
	bool more = false;

	return max <= 0 ? 0 : harvest(io, done, max, &more);
}

void blkio_arm(struct blkio *io)
{
	bool more = false;

	clear_signal(io);
	io->engine->harvest(io, io->harvested, 0, &more);
	if (more)
		blkio_signal(io);
}

void blkio_drain(struct blkio *io)
{
	io->engine->wait_idle(io);
}

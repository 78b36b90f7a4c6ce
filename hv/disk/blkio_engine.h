/* blkio_engine.h: what blkio.c shares with its two engines,
 * blkio_uring.c and blkio_threads.c. Not for other users. */
#ifndef PVISOR_BLK_BLKIO_ENGINE_H
#define PVISOR_BLK_BLKIO_ENGINE_H

#include "disk/blkio.h"
#include "disk/disk.h"

/* One submitted request, from blkio_submit to blkio_reap. */
struct blkio_slot {
	struct blkio_req *req;
	struct iovec iov[BLK_MAX_IOV];   /* the request's iovec, copied      */
	int iovcnt;
	int result;                      /* becomes req->result              */
	struct blkio_slot *next;         /* free list or an engine queue     */
	/* io_uring engine only: */
	struct iovec *rest;              /* what is left to transfer          */
	int restcnt;
	uint64_t done;                   /* bytes transferred so far          */
	void *bounce;                    /* aligned copy of the data for O_DIRECT */
	struct iovec bounce_iov;
	unsigned retries;
};

struct slot_queue {
	struct blkio_slot *head, *tail;
};

static inline void slot_queue_push(struct slot_queue *q, struct blkio_slot *s)
{
	s->next = NULL;
	if (q->tail)
		q->tail->next = s;
	else
		q->head = s;
	q->tail = s;
}

static inline struct blkio_slot *slot_queue_pop(struct slot_queue *q)
{
	struct blkio_slot *s = q->head;

	if (s) {
		q->head = s->next;
		if (!q->head)
			q->tail = NULL;
	}
	return s;
}

struct blkio_engine {
	const char *name;
	/* Sets up io->engine_state. Returns 0, or -1 with why. */
	int (*start)(struct blkio *io, char *why, size_t whylen);
	/* Takes a validated request; it runs after the next kick. An engine
	 * that cannot start it completes it with an error instead. */
	void (*queue)(struct blkio *io, struct blkio_slot *s);
	int (*kick)(struct blkio *io);
	/* Up to max finished slots, without blocking; *more when others wait. */
	int (*harvest)(struct blkio *io, struct blkio_slot **out, int max, bool *more);
	/* Blocks until everything queued and kicked has finished. */
	void (*wait_idle)(struct blkio *io);
	void (*stop)(struct blkio *io);
};

extern const struct blkio_engine blkio_uring_engine;
extern const struct blkio_engine blkio_threads_engine;

struct blkio {
	struct disk *disk;
	unsigned depth;
	unsigned outstanding;             /* submitted, not yet reaped   */
	int event_fd;
	const struct blkio_engine *engine;
	void *engine_state;
	char reason[160];                 /* why this engine             */
	struct blkio_slot *slots;
	struct blkio_slot *free_slots;
	struct blkio_slot **harvested;    /* depth entries, for blkio_reap */
};

/* Makes the completion fd readable (engines call it after completing). */
void blkio_signal(struct blkio *io);

#endif

/* blkio.h: asynchronous I/O on a disk (disk.h) for the virtio-blk
 * backend: submit requests, kick once per batch, wait on one eventfd,
 * reap completions. Two engines do the work: io_uring (through liburing)
 * for raw images when the kernel allows it, and a pool of threads doing
 * synchronous I/O otherwise, for overlays, and for io=threads. Used from
 * one thread; docs/disk.md describes the engines and their guarantees. */
#ifndef PVISOR_BLK_BLKIO_H
#define PVISOR_BLK_BLKIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "disk/raw_io.h"

struct disk;

enum blkio_op {
	BLKIO_READ,
	BLKIO_WRITE,
	BLKIO_FLUSH,          /* completed writes to stable storage (fdatasync) */
	BLKIO_DISCARD,        /* punch a hole: the range reads zero after       */
	BLKIO_WRITE_ZEROES,   /* the range reads zero, space stays allocated     */
};

#define BLKIO_MAX_DEPTH    4096u
#define BLKIO_DEFAULT_DEPTH 128u
#define BLKIO_MAX_TRANSFER (1u << 30)  /* bytes in one READ or WRITE     */

/* One request. The caller owns it and the data buffers until blkio_reap
 * returns it; the iovec array is copied at submit. offset and len are in
 * bytes, multiples of 512, inside the disk; FLUSH ignores them. */
struct blkio_req {
	int op;                 /* enum blkio_op                                  */
	uint64_t offset, len;
	struct iovec *iov;      /* READ, WRITE: 1..BLK_MAX_IOV segments, len bytes */
	int iovcnt;
	int result;             /* at completion: len for READ/WRITE, 0 for the
				 * others, or -errno. Never a short count.       */
	void *cookie;           /* the caller's                                   */
};

struct blkio;

/* Starts an engine for disk with room for depth (1..BLKIO_MAX_DEPTH)
 * requests in flight. The disk's io= choice decides: auto takes io_uring
 * when it works and the disk has no overlay, else threads; uring fails
 * when io_uring cannot be used. Returns NULL with a one-line reason in err. */
struct blkio *blkio_create(struct disk *disk, unsigned depth, char *err, size_t errlen);

/* "io_uring" or "threads", and why that one (e.g. "io=threads",
 * "io_uring unavailable: Operation not permitted", "overlay"). */
const char *blkio_engine_name(const struct blkio *io);
const char *blkio_engine_reason(const struct blkio *io);

/* Queues req; it starts at the next blkio_kick(). Returns 0; -EAGAIN when
 * depth requests are submitted and not yet reaped; -EROFS for a change to
 * a read-only disk; -EINVAL for an unknown op, a bad range or iovec. A
 * refused request is not queued and will not be reaped. */
int blkio_submit(struct blkio *io, struct blkio_req *req);

/* Starts everything queued since the last kick (one io_uring_enter, or
 * one wakeup of the pool). Returns 0 or -errno (queued requests stay
 * queued; kick again). */
int blkio_kick(struct blkio *io);

/* An eventfd that is readable whenever blkio_reap has something to
 * return. Poll it; do not read it. */
int blkio_completion_fd(const struct blkio *io);

/* Returns up to max completed requests in done[] without blocking, and
 * leaves the completion fd readable if more are waiting. */
int blkio_reap(struct blkio *io, struct blkio_req **done, int max);

/* Like blkio_reap, without touching the eventfd (no system call): for a
 * caller that polls. Before it sleeps on the completion fd it must call
 * blkio_arm(), which resets the fd and makes it readable again at once if
 * completions are already waiting, so none is slept through. */
int blkio_collect(struct blkio *io, struct blkio_req **done, int max);
void blkio_arm(struct blkio *io);

/* Kicks, then blocks until every submitted request has completed (they
 * are still returned by blkio_reap). */
void blkio_drain(struct blkio *io);

/* Drains and stops the engine. Requests not reaped are dropped. */
void blkio_destroy(struct blkio *io);

/* Whether io_uring can be used here (a ring can be set up and has every
 * operation blkio needs); why not in why. */
bool blkio_uring_available(char *why, size_t whylen);

#endif

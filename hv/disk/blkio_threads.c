/* blkio_threads.c: the thread-pool engine. Workers run each request
 * synchronously through disk.h (so overlays work, and O_DIRECT bouncing
 * happens in raw_io.c), put it on the done queue and signal the
 * completion eventfd. Used when io_uring cannot be, for overlays, and
 * for io=threads. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "disk/blkio_engine.h"
#include "lib/seccomp_policy.h"

#define POOL_MAX_THREADS 16u

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t work;        /* pending is not empty, or stopping  */
	pthread_cond_t idle;        /* unfinished dropped to 0            */
	struct slot_queue staged;   /* queued, not kicked (caller's only)  */
	unsigned staged_count;
	struct slot_queue pending;  /* kicked, waiting for a worker        */
	struct slot_queue done;     /* finished, waiting for blkio_reap    */
	unsigned unfinished;        /* kicked and not yet finished         */
	bool stopping;
	struct blkio *io;
	unsigned nthreads;
	pthread_t threads[POOL_MAX_THREADS];
};

static int transfer_result(int rc, const struct blkio_req *req)
{
	return rc < 0 ? rc : (int)req->len;
}

static int execute(struct disk *d, struct blkio_slot *s)
{
	const struct blkio_req *req = s->req;

	switch (req->op) {
	case BLKIO_READ:
		return transfer_result(disk_preadv(d, s->iov, s->iovcnt, req->offset), req);
	case BLKIO_WRITE:
		return transfer_result(disk_pwritev(d, s->iov, s->iovcnt, req->offset), req);
	case BLKIO_FLUSH:
		return disk_flush(d);
	case BLKIO_DISCARD:
		return disk_zero(d, req->offset, req->len, DISK_ZERO_PUNCH);
	case BLKIO_WRITE_ZEROES:
		return disk_zero(d, req->offset, req->len, DISK_ZERO_ALLOCATE);
	default:
		return -EINVAL;
	}
}

/* Under lock: the next request to run, or NULL when the pool stops. */
static struct blkio_slot *wait_for_work(struct pool *p)
{
	while (!p->pending.head && !p->stopping)
		pthread_cond_wait(&p->work, &p->lock);
	return slot_queue_pop(&p->pending);
}

static void *worker(void *arg)
{
	struct pool *p = arg;

	seccomp_name_thread("disk-io");
	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct blkio_slot *s = wait_for_work(p);

		if (!s)
			break;
		pthread_mutex_unlock(&p->lock);
		s->result = execute(p->io->disk, s);
		pthread_mutex_lock(&p->lock);
		slot_queue_push(&p->done, s);
		if (--p->unfinished == 0)
			pthread_cond_broadcast(&p->idle);
		blkio_signal(p->io);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void stop_threads(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
}

/* Workers block every signal: signals are for the vCPU threads and the
 * main loop. */
static int start_threads(struct pool *p, unsigned count)
{
	sigset_t all, old;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (p->nthreads < count && rc == 0) {
		rc = pthread_create(&p->threads[p->nthreads], NULL, worker, p);
		if (rc == 0)
			p->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return p->nthreads ? 0 : -rc;
}

/* The workers start with the first kick (ensure_workers). */
static int pool_start(struct blkio *io, char *why, size_t whylen)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(why, whylen, "out of memory for the I/O thread pool");
		return -1;
	}
	p->io = io;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->idle, NULL);
	io->engine_state = p;
	return 0;
}

/* Workers start on the thread that first kicks: a device's backend, under
 * the guest-I/O system-call list, which they inherit (docs/confinement.md).
 * Started with the disk, on the main thread, they would have run under the
 * broader process list. False if not one could start. */
static bool ensure_workers(struct pool *p)
{
	unsigned count = p->io->depth < POOL_MAX_THREADS ? p->io->depth : POOL_MAX_THREADS;

	return p->nthreads || start_threads(p, count) == 0;
}

/* No worker to run them: the staged requests finish with `error`. */
static void fail_staged(struct pool *p, int error)
{
	struct blkio_slot *s;

	pthread_mutex_lock(&p->lock);
	while ((s = slot_queue_pop(&p->staged))) {
		s->result = error;
		slot_queue_push(&p->done, s);
	}
	pthread_mutex_unlock(&p->lock);
	p->staged_count = 0;
	blkio_signal(p->io);
}

static void pool_queue(struct blkio *io, struct blkio_slot *s)
{
	struct pool *p = io->engine_state;

	slot_queue_push(&p->staged, s);
	p->staged_count++;
}

static int pool_kick(struct blkio *io)
{
	struct pool *p = io->engine_state;

	if (!p->staged.head)
		return 0;
	if (!ensure_workers(p)) {
		fail_staged(p, -ENOMEM);
		return 0;
	}
	pthread_mutex_lock(&p->lock);
	if (p->pending.tail)
		p->pending.tail->next = p->staged.head;
	else
		p->pending.head = p->staged.head;
	p->pending.tail = p->staged.tail;
	p->unfinished += p->staged_count;
	if (p->staged_count == 1)
		pthread_cond_signal(&p->work);
	else
		pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	p->staged = (struct slot_queue){ NULL, NULL };
	p->staged_count = 0;
	return 0;
}

static int pool_harvest(struct blkio *io, struct blkio_slot **out, int max, bool *more)
{
	struct pool *p = io->engine_state;
	int n = 0;

	pthread_mutex_lock(&p->lock);
	while (n < max && p->done.head)
		out[n++] = slot_queue_pop(&p->done);
	*more = p->done.head != NULL;
	pthread_mutex_unlock(&p->lock);
	return n;
}

static void pool_wait_idle(struct blkio *io)
{
	struct pool *p = io->engine_state;

	pool_kick(io);
	pthread_mutex_lock(&p->lock);
	while (p->unfinished)
		pthread_cond_wait(&p->idle, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

static void pool_stop(struct blkio *io)
{
	struct pool *p = io->engine_state;

	stop_threads(p);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->idle);
	free(p);
	io->engine_state = NULL;
}

const struct blkio_engine blkio_threads_engine = {
	.name = "threads",
	.start = pool_start,
	.queue = pool_queue,
	.kick = pool_kick,
	.harvest = pool_harvest,
	.wait_idle = pool_wait_idle,
	.stop = pool_stop,
};

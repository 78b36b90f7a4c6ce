/* pv/blk.h: the virtio-blk frontend: disks for guest programs
 * (include/pvisor/io/virtio_blk.h is the protocol, docs/blk-frontend.md the
 * guide).
 *
 * Open the nth disk with pv_blk_open(), then either call the synchronous
 * functions (pv_blk_read(), pv_blk_write(), pv_blk_flush(), ...), which
 * return when the device has answered, or fill in struct pv_blk_req and
 * pv_blk_submit() as many as you like (queue depth > 1), then wait with
 * pv_blk_wait(), pv_blk_wait_any() or poll with pv_blk_poll().
 *
 * Buffers: any memory works. Identity-mapped memory (malloc(),
 * pv_pages_alloc(), globals) aligned to 512 bytes goes to the device as it
 * is, one descriptor per page it touches; anything else (thread stacks,
 * unaligned buffers) is copied through a bounce buffer. Lengths and
 * sectors are in bytes and 512-byte sectors whatever the device's
 * blk_size.
 *
 * Exits: a submission kicks the device only when the device asked for it
 * (it does not while its backend polls), and a waiting thread polls the
 * used ring for a while (pv_blk_set_poll_ns()) before it sleeps; it then takes
 * every completion that is ready before sleeping again. Under load a
 * request costs no exit at all.
 *
 * Threads: one struct pv_blk may be used by any number of threads at once
 * (not from event handlers: every call may block). Completion callbacks
 * run in the thread that collected the completion (inside pv_blk_wait*(),
 * pv_blk_poll(), pv_blk_submit() or a synchronous call), never in upcall
 * context, with no lock held: they may submit, but must not wait. Once
 * done is set and on_done called, the driver no longer touches the
 * request: the callback may reuse it at once.
 *
 * A device that reports PVISOR_DEVICE_S_BROKEN (or breaks a ring rule) is
 * reset: every request in flight completes with -EIO and every later call
 * fails with -EIO.
 *
 * Functions returning int return 0 (or a count) or a negative errno value:
 * -EINVAL (a malformed request: length not a multiple of 512 or zero,
 * range past the end, larger than pv_blk_max_transfer()), -EROFS (a write
 * to a read-only disk), -EOPNOTSUPP (the device does not offer the
 * operation or answered UNSUPP), -EIO (the device answered IOERR, or is
 * broken), -ENOMEM, -ENODEV. */
#ifndef PV_BLK_H
#define PV_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <pvisor/io/virtio_blk.h>

#define PV_BLK_SECTOR		PVISOR_VIRTIO_BLK_SECTOR_SIZE
#define PV_BLK_ID_BYTES		PVISOR_VIRTIO_BLK_ID_BYTES

struct pv_blk;

/* ---- Opening ------------------------------------------------------------ */

/* Finds the nth (from 0) block device, negotiates INDIRECT_DESC,
 * EVENT_IDX, SEG_MAX, BLK_SIZE, FLUSH, DISCARD, WRITE_ZEROES and RO, and
 * starts it with one queue of up to 256 entries. -ENODEV: no such disk. */
int pv_blk_open(unsigned nth, struct pv_blk **out);

/* Waits for the requests in flight, resets the device and frees dev. */
int pv_blk_close(struct pv_blk *dev);

/* ---- Facts -------------------------------------------------------------- */

uint64_t pv_blk_sectors(const struct pv_blk *dev);	/* capacity, 512-byte sectors */
bool pv_blk_readonly(const struct pv_blk *dev);
unsigned pv_blk_index(const struct pv_blk *dev);	/* on the device page */
uint64_t pv_blk_features(const struct pv_blk *dev);	/* negotiated bits */
uint32_t pv_blk_block_size(const struct pv_blk *dev);	/* optimal, bytes */
unsigned pv_blk_queue_size(const struct pv_blk *dev);	/* most requests in flight */
/* Largest READ/WRITE request pv_blk_submit() takes, in bytes (the
 * synchronous calls split larger ones). */
uint32_t pv_blk_max_transfer(const struct pv_blk *dev);

/* ---- Synchronous I/O ---------------------------------------------------- */

int pv_blk_read(struct pv_blk *dev, uint64_t sector, void *buf, uint64_t len);
int pv_blk_write(struct pv_blk *dev, uint64_t sector, const void *buf, uint64_t len);
/* Makes every write completed before the call durable (0 without FLUSH:
 * the device has no volatile cache). */
int pv_blk_flush(struct pv_blk *dev);
/* The sectors read as zero afterwards. */
int pv_blk_discard(struct pv_blk *dev, uint64_t sector, uint64_t nsectors);
int pv_blk_write_zeroes(struct pv_blk *dev, uint64_t sector, uint64_t nsectors);
/* The device's id, NUL-terminated (up to PV_BLK_ID_BYTES characters). */
int pv_blk_get_id(struct pv_blk *dev, char id[PV_BLK_ID_BYTES + 1]);

/* ---- Asynchronous I/O --------------------------------------------------- */

enum pv_blk_op {
	PV_BLK_READ,
	PV_BLK_WRITE,
	PV_BLK_FLUSH,
	PV_BLK_DISCARD,		/* len bytes from sector; buf unused          */
	PV_BLK_WRITE_ZEROES,	/* len bytes from sector; buf unused          */
	PV_BLK_GET_ID,		/* buf: PV_BLK_ID_BYTES bytes, not terminated */
};

struct pv_blk_req;
typedef void (*pv_blk_done_t)(struct pv_blk_req *req);

/* One request. The caller fills in the first block, keeps the struct (and
 * buf) alive until the request is done, and reads status once done is
 * nonzero. It may live anywhere, a thread stack included. */
struct pv_blk_req {
	/* Caller's. */
	enum pv_blk_op op;
	uint64_t sector;
	void *buf;
	uint32_t len;		/* bytes, a multiple of 512 (not FLUSH, GET_ID) */
	pv_blk_done_t on_done;	/* NULL, or called once the request is done
				 * (then the request is the callback's: do not
				 * also pv_blk_wait() for it elsewhere)         */
	void *arg;		/* for the caller                              */
	/* Driver's results: status is valid once done != 0. */
	int status;		/* 0 or a negative errno value                 */
	volatile int done;
	/* Driver-private. */
	struct pv_blk_req *next_done;
	void *bounce;
	uint32_t bounce_pages;
};

/* Queues req and tells the device (one kick, only if the device asked to
 * be kicked). Waits while the queue is full, collecting completions.
 * Returns 0 when req was queued; a negative value otherwise (then req was
 * not queued and its status is the same value, done is set, on_done is
 * not called). */
int pv_blk_submit(struct pv_blk *dev, struct pv_blk_req *req);

/* Queues n requests with at most one kick; returns how many were queued
 * (they are queued in order; the first that fails stops the batch and
 * its error is returned if none was queued). */
int pv_blk_submit_batch(struct pv_blk *dev, struct pv_blk_req *const *reqs, unsigned n);

/* Waits until req is done; returns its status. */
int pv_blk_wait(struct pv_blk *dev, struct pv_blk_req *req);

/* Waits until at least one request has completed since the call (by any
 * thread's collection), or returns 0 at once when none is in flight.
 * Returns the number of requests completed meanwhile, or -EIO if the
 * device broke and nothing completed. */
int pv_blk_wait_any(struct pv_blk *dev);

/* Collects the completions that are ready, without waiting; returns how
 * many. */
int pv_blk_poll(struct pv_blk *dev);

/* Requests submitted and not yet done. */
unsigned pv_blk_in_flight(const struct pv_blk *dev);

/* How long a waiting thread polls the ring before it sleeps: the base of
 * an adaptive window (default PV_BLK_POLL_NS_DEFAULT, about one exit on
 * the hosts we measured), which doubles up to 4x when sleeps turn out
 * short and shrinks back when they are long. 0: sleep at once, which
 * costs an exit per sleep. */
#define PV_BLK_POLL_NS_DEFAULT	50000u
void pv_blk_set_poll_ns(struct pv_blk *dev, uint32_t ns);

/* ---- Statistics --------------------------------------------------------- */

struct pv_blk_stats {
	uint64_t submitted;	/* requests handed to the device       */
	uint64_t completed;	/* requests done (errors included)     */
	uint64_t errors;	/* requests done with a nonzero status */
	uint64_t kicks;		/* doorbell writes                     */
	uint64_t sleeps;	/* a waiter slept for an event         */
	uint64_t events;	/* the queue's event handler ran       */
	uint64_t poll_hits;	/* polling found a completion          */
	uint64_t bounced;	/* requests copied through a bounce buffer */
};
void pv_blk_stats(const struct pv_blk *dev, struct pv_blk_stats *out);

#endif

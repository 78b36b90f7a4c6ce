/* test_virtq_driver.c: the guest's driver side of split virtqueues
 * (guest/drivers/virtq.c) against the real device side
 * (hv/virtio/virtqueue.c), over one fake guest RAM: round trips across
 * index wrap-around with and without EVENT_IDX and indirect tables,
 * out-of-order completion, data and used lengths, notification
 * suppression both ways (including the re-checks that close the races, in
 * a randomized sleep/wake simulation and with device and driver on two
 * threads), -ENOSPC and -EINVAL, and a driver that refuses a device's
 * bogus used entries. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <pvisor/io/virtio_ring.h>

#include "check.h"
#include "core/layout.h"
#include "core/pv_mmu.h"
#include "pv/virtq.h"
#include "virtio/virtqueue.h"

#define RAM_SIZE     (8ull << 20)
#define QMEM_GPA     0x10000ull    /* the queue's memory: up to DATA_GPA  */
#define DATA_GPA     0x400000ull   /* request r's buffers: one page each  */
#define MAX_REQS     256u          /* the largest queue tested            */
#define MAX_BUFS     8u            /* buffers per request                 */
#define IN_FILL      0xee          /* device-writable bytes before a push */
#define DUO_TOTAL    30000u        /* requests per two-thread run         */

#define F_INDIRECT   (1ull << PVISOR_VIRTIO_F_INDIRECT_DESC)
#define F_EVENT_IDX  (1ull << PVISOR_VIRTIO_F_EVENT_IDX)

/* ---- A fake guest: RAM, PV MMU bookkeeping, a view --------------------- */

static uint8_t *ram;
static void *pt_pool;
static struct pv_mmu mmu;
static struct guest_memory gm;
static struct guest_view view;

static void guest_create(void)
{
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	pt_pool = aligned_alloc(PAGE_SIZE, 4 * PAGE_SIZE);
	if (ram == MAP_FAILED || !pt_pool ||
	    pv_mmu_init(&mmu, pt_pool, PT_AREA_GPA, 4, RAM_SIZE / PAGE_SIZE)) {
		perror("fake guest");
		exit(1);
	}
	gm.base = ram;
	gm.ram_size = RAM_SIZE;
	view = (struct guest_view){ &mmu, &gm };
}

static void guest_destroy(void)
{
	pv_mmu_destroy(&mmu);
	free(pt_pool);
	munmap(ram, RAM_SIZE);
}

static void *gpa_ptr(uint64_t gpa)
{
	return ram + gpa;
}

/* ---- The two sides of one queue ---------------------------------------- */

static struct pv_virtq dq;          /* driver (under test)  */
static struct virtqueue vq;         /* device (hv)          */
static struct vq_chain chain;

/* Lays a queue out over garbage (init must zero it) and starts both sides. */
static bool setup(uint16_t size, uint64_t features, unsigned max_indirect)
{
	size_t bytes = pv_virtq_mem_bytes(size, max_indirect);

	CHECK(bytes > 0 && bytes % 4096 == 0 && QMEM_GPA + bytes <= DATA_GPA);
	if (bytes == 0 || QMEM_GPA + bytes > DATA_GPA)
		return false;
	memset(gpa_ptr(QMEM_GPA), 0xa5, bytes);
	CHECK_EQ(pv_virtq_init(&dq, size, gpa_ptr(QMEM_GPA), QMEM_GPA, features, max_indirect), 0);
	CHECK_EQ(vq_init(&vq, &view, size, dq.desc_gpa, dq.avail_gpa, dq.used_gpa, features), 0);
	CHECK(vq_broken_reason(&vq) == NULL);
	CHECK_EQ(pv_virtq_num_free(&dq), size);
	return vq_broken_reason(&vq) == NULL;
}

/* Neither side saw a broken rule. */
static void check_healthy(void)
{
	const char *why = vq_broken_reason(&vq);

	if (why)
		printf("# device: %s\n", why);
	CHECK(why == NULL);
	CHECK(!dq.broken);
}

/* ---- Requests: buffers in guest RAM with known contents ---------------- */

struct req {
	bool in_use;
	uint32_t seq;
	unsigned n_out, n_in;
	struct pv_vq_buf bufs[MAX_BUFS];
	uint32_t written;     /* what the device wrote and reported */
};

static struct req reqs[MAX_REQS];
static uint32_t next_seq;

static uint8_t out_byte(uint32_t seq, uint64_t k)
{
	return (uint8_t)(seq * 31 + k * 7 + 1);
}

static uint8_t in_byte(uint32_t seq, uint64_t k)
{
	return (uint8_t)(seq * 17 + k * 3 + 0x40);
}

static void reqs_reset(void)
{
	memset(reqs, 0, sizeof(reqs));
	next_seq = 0;
}

static struct req *req_alloc(void)
{
	for (unsigned i = 0; i < MAX_REQS; i++)
		if (!reqs[i].in_use)
			return &reqs[i];
	return NULL;
}

/* Which request owns a buffer address (each has its own page). */
static struct req *req_of_gpa(uint64_t gpa)
{
	uint64_t i = (gpa - DATA_GPA) / PAGE_SIZE;

	return gpa >= DATA_GPA && i < MAX_REQS ? &reqs[i] : NULL;
}

/* Lays out the buffers of r in its page (8-byte gaps between them), fills
 * the device-readable ones with out_byte() and the writable ones with
 * IN_FILL. lens[i] may be 0. */
static void req_fill(struct req *r, unsigned n_out, unsigned n_in, const uint32_t *lens)
{
	uint64_t gpa = DATA_GPA + (uint64_t)(r - reqs) * PAGE_SIZE;
	uint64_t out_pos = 0;

	r->seq = next_seq++;
	r->n_out = n_out;
	r->n_in = n_in;
	r->written = 0;
	for (unsigned i = 0; i < n_out + n_in; i++) {
		uint8_t *p = gpa_ptr(gpa);

		r->bufs[i] = (struct pv_vq_buf){ gpa, lens[i] };
		for (uint32_t k = 0; k < lens[i]; k++)
			p[k] = i < n_out ? out_byte(r->seq, out_pos++) : IN_FILL;
		gpa += lens[i] + 8;
	}
}

/* A random request of 1..max_bufs buffers, at least one of them non-empty
 * (so the device can name its request by a buffer address). */
static void req_random(struct req *r, unsigned max_bufs)
{
	uint32_t lens[MAX_BUFS];
	unsigned n = 1 + (unsigned)(check_rng() % max_bufs);
	unsigned n_out = (unsigned)(check_rng() % (n + 1));

	for (unsigned i = 0; i < n; i++)
		lens[i] = check_rng() % 5 == 0 ? 0 : 1 + (uint32_t)(check_rng() % 200);
	if (lens[0] == 0)
		lens[0] = 1;
	req_fill(r, n_out, n - n_out, lens);
}

static int req_add(struct req *r)
{
	int rc = pv_virtq_add(&dq, r->bufs, r->n_out, r->n_in, r);

	if (rc == 0)
		r->in_use = true;
	return rc;
}

/* Adds up to `count` random requests; returns how many went in (stops at
 * -ENOSPC, any other error fails the case). */
static unsigned add_random(unsigned count, unsigned max_bufs)
{
	unsigned added = 0;

	while (added < count) {
		struct req *r = req_alloc();
		int rc;

		if (!r)
			break;
		req_random(r, max_bufs);
		rc = req_add(r);
		if (rc == -ENOSPC)
			break;
		CHECK_EQ(rc, 0);
		if (rc)
			break;
		added++;
	}
	return added;
}

/* ---- The device: pop, check the chain, write, push --------------------- */

struct pending {
	uint16_t head;
	struct req *r;
};

static struct pending pend[MAX_REQS];
static unsigned npend;

/* The popped chain is exactly r's non-empty buffers, in order, with the
 * right direction, and its readable bytes are r's. Touches nothing but the
 * chain and r (the device thread calls it too). */
static bool chain_matches(const struct req *r)
{
	uint64_t pos = 0;
	unsigned k = 0;

	for (unsigned i = 0; i < r->n_out + r->n_in; i++) {
		const struct vq_buf *b = &chain.bufs[k];

		if (r->bufs[i].len == 0)
			continue;
		if (k++ >= chain.nbufs || b->gpa != r->bufs[i].gpa ||
		    b->len != r->bufs[i].len || b->device_writes != (i >= r->n_out))
			return false;
		for (uint32_t j = 0; j < b->len && !b->device_writes; j++)
			if (((uint8_t *)b->host)[j] != out_byte(r->seq, pos++))
				return false;
	}
	return k == chain.nbufs;
}

static void device_check_chain(const struct req *r)
{
	CHECK(chain_matches(r));
}

/* Pops every available chain into pend[]; returns how many. */
static unsigned device_pop_all(void)
{
	unsigned popped = 0;
	int rc;

	while ((rc = vq_pop(&vq, &chain)) == 1) {
		struct req *r = chain.nbufs ? req_of_gpa(chain.bufs[0].gpa) : NULL;

		CHECK(r != NULL && r->in_use);
		CHECK(npend < MAX_REQS);
		if (!r || npend >= MAX_REQS)
			return popped;
		device_check_chain(r);
		pend[npend++] = (struct pending){ chain.head, r };
		popped++;
	}
	CHECK_EQ(rc, 0);
	return popped;
}

static uint64_t writable_bytes(const struct req *r)
{
	uint64_t n = 0;

	for (unsigned i = r->n_out; i < r->n_out + r->n_in; i++)
		n += r->bufs[i].len;
	return n;
}

/* Writes the first w of r's writable bytes, as a device does. */
static uint32_t device_write_n(struct req *r, uint32_t w)
{
	uint32_t pos = 0;

	for (unsigned i = r->n_out; i < r->n_out + r->n_in && pos < w; i++) {
		uint8_t *p = gpa_ptr(r->bufs[i].gpa);

		for (uint32_t k = 0; k < r->bufs[i].len && pos < w; k++, pos++)
			p[k] = in_byte(r->seq, pos);
	}
	r->written = w;
	return w;
}

static uint32_t device_write(struct req *r)
{
	return device_write_n(r, (uint32_t)(check_rng() % (writable_bytes(r) + 1)));
}

/* Completes pend[i] (out of order: the last entry moves into its place). */
static void device_complete(unsigned i)
{
	struct pending p = pend[i];

	pend[i] = pend[--npend];
	CHECK_EQ(vq_push(&vq, p.head, device_write(p.r)), 0);
}

/* Completes a random number of pending chains in random order; returns
 * how many. */
static unsigned device_complete_some(void)
{
	unsigned n = npend ? (unsigned)(check_rng() % (npend + 1)) : 0;

	for (unsigned k = 0; k < n; k++)
		device_complete((unsigned)(check_rng() % npend));
	return n;
}

static void device_complete_all(void)
{
	while (npend)
		device_complete(npend - 1);
}

/* ---- The driver: taking used requests ---------------------------------- */

/* The device's bytes arrived: [0, len) hold in_byte(), the rest IN_FILL. */
static void check_in_bytes(const struct req *r, uint32_t len)
{
	uint64_t pos = 0;

	for (unsigned i = r->n_out; i < r->n_out + r->n_in; i++) {
		const uint8_t *p = gpa_ptr(r->bufs[i].gpa);

		for (uint32_t k = 0; k < r->bufs[i].len; k++, pos++)
			CHECK_EQ(p[k], pos < len ? in_byte(r->seq, pos) : IN_FILL);
	}
}

/* Takes every used request, checking token, length and data; returns how
 * many. */
static unsigned driver_reap(void)
{
	unsigned n = 0;
	uint32_t len = ~0u;
	struct req *r;

	while ((r = pv_virtq_get_used(&dq, &len))) {
		CHECK(r >= reqs && r < reqs + MAX_REQS && r->in_use);
		CHECK_EQ(len, r->written);
		check_in_bytes(r, len);
		r->in_use = false;
		n++;
	}
	return n;
}

/* ---- Layout and init --------------------------------------------------- */

static void mem_bytes_and_layout(void)
{
	CHECK_EQ(pv_virtq_mem_bytes(0, 0), 0);
	CHECK_EQ(pv_virtq_mem_bytes(3, 0), 0);
	CHECK_EQ(pv_virtq_mem_bytes(8, PV_VIRTQ_MAX_CHAIN + 1), 0);
	CHECK_EQ(pv_virtq_mem_bytes(8, 0), 8192);  /* rings on page 0, used ring on page 1 */
	CHECK(pv_virtq_mem_bytes(32768, 0) >= 16 * 32768 + 6 + 2 * 32768 + 6 + 8 * 32768);
	CHECK(pv_virtq_mem_bytes(256, 8) >= pv_virtq_mem_bytes(256, 0) + 256 * 8 * 16);
	CHECK_EQ(pv_virtq_mem_bytes(256, 8) % 4096, 0);
	if (!setup(8, 0, 0))
		return;
	CHECK_EQ(dq.desc_gpa, QMEM_GPA);
	CHECK_EQ(dq.avail_gpa, QMEM_GPA + 16 * 8);
	CHECK_EQ(dq.used_gpa, QMEM_GPA + 4096);
	CHECK_EQ(dq.avail->idx, 0);           /* zeroed over the 0xa5 garbage */
	CHECK_EQ(dq.avail->flags, 0);
	CHECK_EQ(dq.used->idx, 0);
	CHECK_EQ(*pvisor_virtq_used_event(dq.avail, 8), 0);
}

static void init_rejects_bad_arguments(void)
{
	void *mem = gpa_ptr(QMEM_GPA);

	CHECK_EQ(pv_virtq_init(&dq, 6, mem, QMEM_GPA, 0, 0), -EINVAL);
	CHECK_EQ(pv_virtq_init(&dq, 0, mem, QMEM_GPA, 0, 0), -EINVAL);
	CHECK_EQ(pv_virtq_init(&dq, 8, mem, QMEM_GPA, 0, PV_VIRTQ_MAX_CHAIN + 1), -EINVAL);
	CHECK_EQ(pv_virtq_init(&dq, 8, (uint8_t *)mem + 16, QMEM_GPA + 16, 0, 0), -EINVAL);
	CHECK_EQ(pv_virtq_init(&dq, 8, mem, QMEM_GPA + 16, 0, 0), -EINVAL);
	CHECK_EQ(pv_virtq_init(&dq, 8, NULL, QMEM_GPA, 0, 0), -EINVAL);
	CHECK_EQ(pv_virtq_init(&dq, 8, mem, QMEM_GPA, 0, 0), 0);
}

/* ---- Round trips ------------------------------------------------------- */

static void one_request_data_and_len(void)
{
	static const uint32_t lens[] = { 5, 16 };
	struct req *r = &reqs[0];
	uint32_t len = 0;

	reqs_reset();
	if (!setup(8, 0, 0))
		return;
	req_fill(r, 1, 1, lens);
	CHECK_EQ(req_add(r), 0);
	CHECK_EQ(pv_virtq_num_free(&dq), 6);
	CHECK(pv_virtq_get_used(&dq, &len) == NULL);   /* nothing returned yet */
	CHECK_EQ(vq_pop(&vq, &chain), 0);               /* not published yet    */
	CHECK(pv_virtq_publish(&dq));
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	device_check_chain(r);
	CHECK_EQ(chain.readable_bytes, 5);
	CHECK_EQ(chain.writable_bytes, 16);
	memcpy(chain.bufs[1].host, "pvisor", 6);
	CHECK_EQ(vq_push(&vq, chain.head, 6), 0);
	CHECK(pv_virtq_get_used(&dq, &len) == r);
	CHECK_EQ(len, 6);
	CHECK(memcmp(gpa_ptr(r->bufs[1].gpa), "pvisor", 6) == 0);
	CHECK(pv_virtq_get_used(&dq, &len) == NULL);
	CHECK_EQ(pv_virtq_num_free(&dq), 8);
	check_healthy();
}

/* Requests of 1..max_bufs buffers go round `total` times, in batches of
 * random size, completed by the device in random order. */
static void round_trips(uint16_t size, uint64_t features, unsigned max_indirect,
			unsigned max_bufs, unsigned total)
{
	unsigned added = 0, done = 0;

	reqs_reset();
	npend = 0;
	if (!setup(size, features, max_indirect))
		return;
	while (done < total && !check_case_failed) {
		unsigned batch = 1 + (unsigned)(check_rng() % size);

		if (batch > total - added)
			batch = total - added;
		added += add_random(batch, max_bufs);
		pv_virtq_publish(&dq);
		device_pop_all();
		device_complete_some();
		vq_should_notify(&vq);
		done += driver_reap();
		if (added == total) {
			device_complete_all();
			done += driver_reap();
		}
	}
	CHECK_EQ(done, total);
	CHECK_EQ(dq.last_used_idx, (uint16_t)total);
	CHECK_EQ(pv_virtq_num_free(&dq), size);
	check_healthy();
}

#define WRAP_TOTAL 70000u   /* > 65536: both indices wrap */

static void round_trips_size4(void)
{
	round_trips(4, 0, 0, 4, WRAP_TOTAL);
	round_trips(4, F_EVENT_IDX, 0, 4, WRAP_TOTAL);
	round_trips(4, F_INDIRECT, 4, 4, WRAP_TOTAL);
	round_trips(4, F_INDIRECT | F_EVENT_IDX, 4, 4, WRAP_TOTAL);
}

static void round_trips_size8(void)
{
	round_trips(8, 0, 0, 8, WRAP_TOTAL);
	round_trips(8, F_EVENT_IDX, 0, 8, WRAP_TOTAL);
	round_trips(8, F_INDIRECT, 8, 8, WRAP_TOTAL);
	round_trips(8, F_INDIRECT | F_EVENT_IDX, 3, 8, WRAP_TOTAL);  /* some direct */
}

static void round_trips_size256(void)
{
	round_trips(256, 0, 0, 8, WRAP_TOTAL);
	round_trips(256, F_EVENT_IDX, 0, 8, WRAP_TOTAL);
	round_trips(256, F_INDIRECT, 8, 8, WRAP_TOTAL);
	round_trips(256, F_INDIRECT | F_EVENT_IDX, 8, 8, WRAP_TOTAL);
}

/* ---- Descriptors used: direct chains, indirect tables, fallback -------- */

static void add_n_bufs(unsigned n_out, unsigned n_in, int expect)
{
	static const uint32_t lens[MAX_BUFS] = { 10, 20, 30, 40, 50, 60, 70, 80 };
	struct req *r = req_alloc();

	CHECK(r != NULL);
	if (!r)
		return;
	req_fill(r, n_out, n_in, lens);
	CHECK_EQ(req_add(r), expect);
}

static void indirect_takes_one_descriptor(void)
{
	uint64_t fetches;

	reqs_reset();
	npend = 0;
	if (!setup(4, F_INDIRECT, 4))
		return;
	for (unsigned i = 0; i < 4; i++)
		add_n_bufs(2, 2, 0);
	CHECK_EQ(pv_virtq_num_free(&dq), 0);
	add_n_bufs(1, 0, -ENOSPC);
	pv_virtq_publish(&dq);
	fetches = vq.desc_fetches;
	CHECK_EQ(device_pop_all(), 4);
	CHECK_EQ(vq.desc_fetches - fetches, 4 * 5);     /* the head, then 4 in its table */
	for (unsigned i = 0; i < 4; i++)
		CHECK(dq.desc[i].flags == PVISOR_VIRTQ_DESC_F_INDIRECT);
	device_complete_all();
	CHECK_EQ(driver_reap(), 4);
	CHECK_EQ(pv_virtq_num_free(&dq), 4);
	check_healthy();
}

static void direct_chains_and_fallback(void)
{
	reqs_reset();
	npend = 0;
	if (!setup(8, F_INDIRECT, 2))
		return;
	add_n_bufs(1, 0, 0);          /* one buffer: a plain descriptor  */
	add_n_bufs(1, 1, 0);          /* fits a table of 2               */
	add_n_bufs(2, 1, 0);          /* too long for the table: direct  */
	CHECK_EQ(pv_virtq_num_free(&dq), 8 - 1 - 1 - 3);
	add_n_bufs(2, 2, -ENOSPC);    /* needs 4, 3 free                 */
	add_n_bufs(0, 3, 0);
	CHECK_EQ(pv_virtq_num_free(&dq), 0);
	pv_virtq_publish(&dq);
	CHECK_EQ(device_pop_all(), 4);
	device_complete_all();
	CHECK_EQ(driver_reap(), 4);
	CHECK_EQ(pv_virtq_num_free(&dq), 8);
	check_healthy();
}

static void full_queue_enospc(void)
{
	reqs_reset();
	npend = 0;
	if (!setup(4, F_EVENT_IDX, 0))
		return;
	add_n_bufs(1, 1, 0);
	add_n_bufs(1, 1, 0);
	CHECK_EQ(pv_virtq_num_free(&dq), 0);
	add_n_bufs(1, 0, -ENOSPC);
	CHECK(pv_virtq_publish(&dq));
	CHECK_EQ(device_pop_all(), 2);
	add_n_bufs(1, 0, -ENOSPC);           /* popped is not returned */
	device_complete(0);
	CHECK_EQ(driver_reap(), 1);
	CHECK_EQ(pv_virtq_num_free(&dq), 2);
	add_n_bufs(1, 0, 0);
	add_n_bufs(1, 0, 0);
	add_n_bufs(1, 0, -ENOSPC);
	check_healthy();
}

static void add_rejects_bad_requests(void)
{
	struct pv_vq_buf big[2] = { { DATA_GPA, 0xffffffffu }, { DATA_GPA, 2 } };
	struct pv_vq_buf bufs[300];
	int token;

	if (!setup(8, F_INDIRECT, 8))
		return;
	for (unsigned i = 0; i < 300; i++)
		bufs[i] = (struct pv_vq_buf){ DATA_GPA + i, 1 };
	CHECK_EQ(pv_virtq_add(&dq, bufs, 0, 0, &token), -EINVAL);          /* no buffer     */
	CHECK_EQ(pv_virtq_add(&dq, bufs, 1, 0, NULL), -EINVAL);            /* no token      */
	CHECK_EQ(pv_virtq_add(&dq, NULL, 1, 0, &token), -EINVAL);
	CHECK_EQ(pv_virtq_add(&dq, bufs, 5, 4, &token), -EINVAL);          /* > size        */
	CHECK_EQ(pv_virtq_add(&dq, bufs, ~0u, 2, &token), -EINVAL);        /* sum wraps     */
	CHECK_EQ(pv_virtq_add(&dq, big, 1, 1, &token), -EINVAL);           /* > 4 GiB       */
	CHECK_EQ(pv_virtq_add(&dq, big, 1, 0, &token), 0);                 /* 4 GiB - 1 ok  */
	CHECK_EQ(pv_virtq_add(&dq, bufs, 4, 4, &token), 0);                /* == size ok    */
	CHECK_EQ(pv_virtq_num_free(&dq), 6);
	CHECK(setup(512, 0, 0));
	CHECK_EQ(pv_virtq_add(&dq, bufs, 257, 0, &token), -EINVAL);        /* > 256         */
	CHECK_EQ(pv_virtq_add(&dq, bufs, 200, 56, &token), 0);
	CHECK(pv_virtq_publish(&dq));
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.nbufs, 256);
	check_healthy();
}

/* ---- Notification suppression ------------------------------------------ */

/* Adds and publishes one request of one (device-writable) buffer; returns
 * publish's answer. */
static bool add_one_publish(void)
{
	add_n_bufs(0, 1, 0);
	return pv_virtq_publish(&dq);
}

static void device_disables_notify_flags(void)
{
	reqs_reset();
	npend = 0;
	if (!setup(8, 0, 0))
		return;
	CHECK(add_one_publish());
	vq_set_notify(&vq, false);
	CHECK(!add_one_publish());
	CHECK(!add_one_publish());
	CHECK(!pv_virtq_publish(&dq));      /* nothing new: never a kick */
	vq_set_notify(&vq, true);
	CHECK(add_one_publish());
	CHECK(!pv_virtq_publish(&dq));      /* nothing new, even when enabled */
	CHECK_EQ(device_pop_all(), 4);
	check_healthy();
}

static void device_disables_notify_event_idx(void)
{
	reqs_reset();
	npend = 0;
	if (!setup(8, F_EVENT_IDX, 0))
		return;
	CHECK(add_one_publish());           /* avail_event 0 */
	CHECK_EQ(device_pop_all(), 1);      /* avail_event 1 */
	vq_set_notify(&vq, false);
	CHECK(add_one_publish());           /* the one more it still asked for */
	CHECK(!add_one_publish());
	CHECK(!add_one_publish());
	vq_set_notify(&vq, true);           /* avail_event 1 again: already passed */
	CHECK(vq_more_avail(&vq));          /* so the device must look itself  */
	CHECK_EQ(device_pop_all(), 3);
	CHECK(add_one_publish());           /* enabled and caught up: kick */
	check_healthy();
}

/* Driver disables interrupts: the device's pushes ask for none; enabling
 * with used entries pending reports them (no interrupt will come); once
 * they are taken, enabling succeeds and the next push interrupts. */
static void driver_disables_cb(uint64_t features)
{
	reqs_reset();
	npend = 0;
	if (!setup(8, features, 0))
		return;
	for (unsigned i = 0; i < 3; i++)
		add_one_publish();
	CHECK_EQ(device_pop_all(), 3);
	device_complete(0);
	CHECK(vq_should_notify(&vq));          /* enabled at start */
	pv_virtq_disable_cb(&dq);
	device_complete(0);
	CHECK(!vq_should_notify(&vq));
	CHECK(!pv_virtq_enable_cb(&dq));       /* 2 used, no interrupt coming */
	CHECK_EQ(driver_reap(), 2);
	CHECK(pv_virtq_enable_cb(&dq));
	device_complete(0);
	CHECK(vq_should_notify(&vq));
	CHECK_EQ(driver_reap(), 1);
	check_healthy();
}

static void driver_disables_cb_flags(void)
{
	driver_disables_cb(0);
	CHECK_EQ(dq.avail->flags, 0);
}

static void driver_disables_cb_event_idx(void)
{
	driver_disables_cb(F_EVENT_IDX);
	CHECK_EQ(dq.avail->flags, 0);          /* the spec: 0 with EVENT_IDX */
}

/* With interrupts enabled and EVENT_IDX, each taken entry moves used_event
 * on, so every push interrupts; with them disabled none does. */
static void used_event_follows_get_used(void)
{
	reqs_reset();
	npend = 0;
	if (!setup(8, F_EVENT_IDX, 0))
		return;
	for (unsigned i = 0; i < 4; i++)
		add_one_publish();
	CHECK_EQ(device_pop_all(), 4);
	for (unsigned i = 0; i < 2; i++) {
		device_complete(0);
		CHECK(vq_should_notify(&vq));
		CHECK_EQ(driver_reap(), 1);
		CHECK_EQ(*dq.used_event, dq.last_used_idx);
	}
	pv_virtq_disable_cb(&dq);
	device_complete(0);
	CHECK(!vq_should_notify(&vq));
	CHECK_EQ(driver_reap(), 1);
	CHECK_EQ(*dq.used_event, (uint16_t)(dq.last_used_idx - 2));  /* left alone */
	device_complete(0);
	CHECK(!vq_should_notify(&vq));
	check_healthy();
}

/* ---- Sleep / wake simulation: no kick and no interrupt is ever lost ---- */

struct sim {
	bool dev_sleeping;    /* device re-enabled kicks and found nothing */
	bool drv_sleeping;    /* driver re-enabled interrupts, nothing used */
	unsigned submitted, done;
};

/* The driver submits (from any thread: even while "sleeping"). A device
 * that went to sleep must be kicked. */
static void sim_submit(struct sim *s, unsigned max_bufs)
{
	unsigned added = add_random(1 + (unsigned)(check_rng() % 4), max_bufs);
	bool kick = pv_virtq_publish(&dq);

	s->submitted += added;
	if (added && s->dev_sleeping)
		CHECK(kick);
	if (kick)
		s->dev_sleeping = false;
}

/* The device returns some popped chains (asynchronous completion: needs
 * no kick). A sleeping driver must be interrupted. */
static void sim_complete(struct sim *s)
{
	bool pushed = device_complete_some() > 0, irq = vq_should_notify(&vq);

	if (pushed && s->drv_sleeping)
		CHECK(irq);
	if (irq)
		s->drv_sleeping = false;
}

/* An awake device drains the ring with kicks off, then maybe sleeps:
 * re-enable, re-check. */
static void sim_device(struct sim *s)
{
	if (s->dev_sleeping)
		return;
	vq_set_notify(&vq, false);
	device_pop_all();
	if (check_rng() % 2 == 0)
		return;
	vq_set_notify(&vq, true);
	s->dev_sleeping = !vq_more_avail(&vq);
}

/* An awake driver takes used entries with interrupts off, then maybe
 * sleeps: re-enable, re-check. */
static void sim_driver(struct sim *s)
{
	if (s->drv_sleeping)
		return;
	pv_virtq_disable_cb(&dq);
	s->done += driver_reap();
	if (check_rng() % 2 == 0)
		return;
	s->drv_sleeping = pv_virtq_enable_cb(&dq);
}

static void simulate(uint16_t size, uint64_t features, unsigned max_indirect, unsigned steps)
{
	struct sim s = { false, false, 0, 0 };

	reqs_reset();
	npend = 0;
	if (!setup(size, features, max_indirect))
		return;
	for (unsigned i = 0; i < steps && !check_case_failed; i++) {
		switch (check_rng() % 4) {
		case 0: sim_submit(&s, size < MAX_BUFS ? size : MAX_BUFS); break;
		case 1: sim_complete(&s); break;
		case 2: sim_device(&s); break;
		default: sim_driver(&s); break;
		}
	}
	CHECK(s.done > steps / 20);         /* it made progress */
	device_pop_all();                   /* and everything comes back */
	device_complete_all();
	s.done += driver_reap();
	CHECK_EQ(s.done, s.submitted);
	CHECK_EQ(pv_virtq_num_free(&dq), size);
	check_healthy();
}

static void no_lost_notifications(void)
{
	static const uint16_t sizes[] = { 4, 8, 256 };

	for (unsigned i = 0; i < 3; i++) {
		simulate(sizes[i], 0, 0, 100000);
		simulate(sizes[i], F_EVENT_IDX, 0, 100000);
		simulate(sizes[i], F_INDIRECT | F_EVENT_IDX, 4, 100000);
	}
}

/* ---- Two threads: device and driver really run at once ----------------- */

/* The device thread sleeps on `kick`, the driver on `irq`. A side that
 * times out while work it was not told about is pending has lost a
 * notification: the barriers or the re-checks are wrong. */
struct duo {
	sem_t kick, irq;
	int stop;
	int bad_chains, lost_kicks, lost_irqs;   /* atomic counters */
};

static struct duo duo;

#define DUO_TIMEOUT_MS 2000

/* false when ms passed without a post. */
static bool sem_wait_ms(sem_t *sem, long ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += (ms % 1000) * 1000000;
	t.tv_sec += ms / 1000 + t.tv_nsec / 1000000000;
	t.tv_nsec %= 1000000000;
	while (sem_timedwait(sem, &t) != 0)
		if (errno != EINTR)
			return false;
	return true;
}

static void count(int *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* Serves every available chain at once: writes half its writable bytes. */
static void duo_device_drain(void)
{
	int rc;

	while ((rc = vq_pop(&vq, &chain)) == 1) {
		struct req *r = chain.nbufs ? req_of_gpa(chain.bufs[0].gpa) : NULL;
		uint32_t written = 0;

		if (r && chain_matches(r))
			written = device_write_n(r, (uint32_t)(chain.writable_bytes / 2));
		else
			count(&duo.bad_chains);
		vq_push(&vq, chain.head, written);
	}
	if (rc < 0)
		count(&duo.bad_chains);
}

/* Forgets the posts already made: a wakeup must come from a notification
 * sent after the waiter last looked. */
static void sem_drain(sem_t *sem)
{
	while (sem_trywait(sem) == 0)
		;
}

static bool duo_lost(void)
{
	return __atomic_load_n(&duo.lost_kicks, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&duo.lost_irqs, __ATOMIC_RELAXED);
}

static void *duo_device(void *unused)
{
	(void)unused;
	while (!__atomic_load_n(&duo.stop, __ATOMIC_ACQUIRE)) {
		sem_drain(&duo.kick);
		vq_set_notify(&vq, false);
		duo_device_drain();
		if (vq_should_notify(&vq))
			sem_post(&duo.irq);
		vq_set_notify(&vq, true);
		if (vq_more_avail(&vq))
			continue;
		if (!sem_wait_ms(&duo.kick, DUO_TIMEOUT_MS) && vq_more_avail(&vq))
			count(&duo.lost_kicks);
	}
	return NULL;
}

static bool used_pending(void)
{
	return __atomic_load_n(&dq.used->idx, __ATOMIC_ACQUIRE) != dq.last_used_idx;
}

/* Submits total requests, kicking when told to; takes used ones with the
 * disable / drain / enable-and-recheck loop; sleeps when it has requests
 * in flight and cannot add more. */
static unsigned duo_driver(unsigned total, unsigned max_bufs)
{
	unsigned added = 0, done = 0;

	while (done < total && !check_case_failed && !duo_lost()) {
		unsigned want = total - added < 8 ? total - added : 8;
		unsigned n = add_random(want, max_bufs);

		added += n;
		if (pv_virtq_publish(&dq))
			sem_post(&duo.kick);
		sem_drain(&duo.irq);
		do {
			pv_virtq_disable_cb(&dq);
			done += driver_reap();
		} while (!pv_virtq_enable_cb(&dq));
		if (done == added || (n == want && added < total))
			continue;      /* nothing to wait for, or room to add more */
		if (!sem_wait_ms(&duo.irq, DUO_TIMEOUT_MS) && used_pending())
			count(&duo.lost_irqs);
	}
	return done;
}

static void duo_run(uint16_t size, uint64_t features, unsigned max_indirect, unsigned total)
{
	pthread_t device;
	unsigned done;

	reqs_reset();
	if (!setup(size, features, max_indirect))
		return;
	memset(&duo, 0, sizeof(duo));
	sem_init(&duo.kick, 0, 0);
	sem_init(&duo.irq, 0, 0);
	CHECK_EQ(pthread_create(&device, NULL, duo_device, NULL), 0);
	done = duo_driver(total, size < MAX_BUFS ? size : MAX_BUFS);
	__atomic_store_n(&duo.stop, 1, __ATOMIC_RELEASE);
	sem_post(&duo.kick);
	pthread_join(device, NULL);
	sem_destroy(&duo.kick);
	sem_destroy(&duo.irq);
	CHECK_EQ(done, total);
	CHECK_EQ(duo.bad_chains, 0);
	CHECK_EQ(duo.lost_kicks, 0);
	CHECK_EQ(duo.lost_irqs, 0);
	CHECK_EQ(pv_virtq_num_free(&dq), size);
	check_healthy();
}

static void two_threads(void)
{
	static const uint16_t sizes[] = { 4, 8, 256 };

	for (unsigned i = 0; i < 3; i++) {
		duo_run(sizes[i], 0, 0, DUO_TOTAL);
		duo_run(sizes[i], F_EVENT_IDX, 0, DUO_TOTAL);
		duo_run(sizes[i], F_INDIRECT | F_EVENT_IDX, 4, DUO_TOTAL);
	}
}

/* ---- A device that breaks the rules ------------------------------------ */

/* Writes used entry number used->idx as a (buggy) device would. */
static void bogus_used(uint32_t id, uint32_t len, uint16_t advance)
{
	struct pvisor_virtq_used_elem *e = &dq.used->ring[dq.used->idx & (dq.size - 1)];

	e->id = id;
	e->len = len;
	dq.used->idx = (uint16_t)(dq.used->idx + advance);
}

/* A fresh queue with two published requests (0: 1 out + 1 in of 16 bytes)
 * and one added but not published. */
static bool bogus_setup(void)
{
	static const uint32_t lens[] = { 8, 16 };

	reqs_reset();
	if (!setup(8, 0, 0))
		return false;
	req_fill(&reqs[0], 1, 1, lens);
	req_fill(&reqs[1], 1, 1, lens);
	req_fill(&reqs[2], 1, 1, lens);
	CHECK_EQ(req_add(&reqs[0]), 0);     /* head 0 */
	CHECK_EQ(req_add(&reqs[1]), 0);     /* head 2 */
	pv_virtq_publish(&dq);
	CHECK_EQ(req_add(&reqs[2]), 0);     /* head 4, not published */
	return true;
}

static void expect_driver_broken(void)
{
	CHECK(pv_virtq_get_used(&dq, NULL) == NULL);
	CHECK(dq.broken);
	CHECK(pv_virtq_get_used(&dq, NULL) == NULL);
	CHECK_EQ(pv_virtq_add(&dq, reqs[3].bufs, 1, 0, &reqs[3]), -EIO);
	CHECK(!pv_virtq_publish(&dq));
	CHECK(pv_virtq_enable_cb(&dq));     /* nothing to wait for */
}

static void bogus_used_entries(void)
{
	uint32_t len = 0;

	if (bogus_setup()) {          /* sanity: a correct entry is taken */
		bogus_used(0, 16, 1);
		CHECK(pv_virtq_get_used(&dq, &len) == &reqs[0]);
		CHECK_EQ(len, 16);
		CHECK(!dq.broken);
	}
	if (bogus_setup()) {
		bogus_used(8, 0, 1);          /* id out of range */
		expect_driver_broken();
	}
	if (bogus_setup()) {
		bogus_used(1, 0, 1);          /* not a head */
		expect_driver_broken();
	}
	if (bogus_setup()) {
		bogus_used(4, 0, 1);          /* a head not published */
		expect_driver_broken();
	}
	if (bogus_setup()) {
		bogus_used(0, 17, 1);         /* wrote more than the 16 writable bytes */
		expect_driver_broken();
	}
	if (bogus_setup()) {
		bogus_used(0, 0, 3);          /* 3 used, 2 published */
		expect_driver_broken();
	}
	if (bogus_setup()) {
		bogus_used(0, 0, 1);
		bogus_used(0, 0, 1);          /* the same chain twice */
		CHECK(pv_virtq_get_used(&dq, NULL) == &reqs[0]);
		expect_driver_broken();
	}
}

/* ---- After a reset: taking back requests in flight --------------------- */

static void detach_after_reset(void)
{
	bool seen[3] = { false, false, false };
	void *token;

	reqs_reset();
	npend = 0;
	if (!setup(8, F_INDIRECT, 4))
		return;
	add_n_bufs(1, 2, 0);
	add_n_bufs(1, 0, 0);
	pv_virtq_publish(&dq);
	add_n_bufs(0, 1, 0);          /* never published */
	CHECK_EQ(device_pop_all(), 2);
	while ((token = pv_virtq_detach_unused(&dq))) {
		struct req *r = token;

		CHECK(r >= reqs && r < reqs + 3 && !seen[r - reqs]);
		if (r >= reqs && r < reqs + 3)
			seen[r - reqs] = true;
	}
	CHECK(seen[0] && seen[1] && seen[2]);
	CHECK_EQ(pv_virtq_num_free(&dq), 8);
}

int main(void)
{
	guest_create();
	RUN(mem_bytes_and_layout);
	RUN(init_rejects_bad_arguments);
	RUN(one_request_data_and_len);
	RUN(round_trips_size4);
	RUN(round_trips_size8);
	RUN(round_trips_size256);
	RUN(indirect_takes_one_descriptor);
	RUN(direct_chains_and_fallback);
	RUN(full_queue_enospc);
	RUN(add_rejects_bad_requests);
	RUN(device_disables_notify_flags);
	RUN(device_disables_notify_event_idx);
	RUN(driver_disables_cb_flags);
	RUN(driver_disables_cb_event_idx);
	RUN(used_event_follows_get_used);
	RUN(no_lost_notifications);
	RUN(two_threads);
	RUN(bogus_used_entries);
	RUN(detach_after_reset);
	guest_destroy();
	CHECK_EXIT();
}

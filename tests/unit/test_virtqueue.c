/* test_virtqueue.c: the device side of virtio split virtqueues
 * (hv/virtio/virtqueue.c) and the guest-physical checks under it
 * (hv/core/guest_phys.c). A fake guest (RAM buffer, PV MMU, guest view)
 * hosts rings that a small in-test driver lays out and fills the way a
 * guest frontend would; hostile cases then break every rule the device
 * checks, and each must leave the queue broken with a specific reason and
 * make every later call fail without touching guest memory. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <pvisor/io/virtio_ring.h>

#include "check.h"
#include "core/layout.h"
#include "core/pv_mmu.h"
#include "core/guest_phys.h"
#include "virtio/virtqueue.h"

#define RAM_SIZE     (4ull << 20)
#define RING_GPA     0x10000ull    /* rings: up to 0xd0000 for a 32768 queue */
#define DATA_GPA     0x100000ull   /* buffers                                */
#define TABLE_GPA    0x200000ull   /* indirect tables                        */

#define F_INDIRECT   (1ull << PVISOR_VIRTIO_F_INDIRECT_DESC)
#define F_EVENT_IDX  (1ull << PVISOR_VIRTIO_F_EVENT_IDX)
#define F_VERSION_1  (1ull << PVISOR_VIRTIO_F_VERSION_1)

#define D_NEXT       PVISOR_VIRTQ_DESC_F_NEXT
#define D_WRITE      PVISOR_VIRTQ_DESC_F_WRITE
#define D_INDIRECT   PVISOR_VIRTQ_DESC_F_INDIRECT

/* ---- A fake guest: RAM, PV MMU bookkeeping (for ballooning), a view ------ */

struct fake_guest {
	uint8_t *ram;
	uint64_t ram_size;
	void *pool;
	struct pv_mmu mmu;
	struct guest_memory gm;
	struct guest_view view;
};

static struct fake_guest guest;     /* 4 MiB, most tests       */
static struct fake_guest *cur;      /* the guest of the queue  */

static void guest_create(struct fake_guest *fg, uint64_t ram_size)
{
	fg->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fg->ram == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	fg->ram_size = ram_size;
	fg->pool = aligned_alloc(PAGE_SIZE, 4 * PAGE_SIZE);
	memset(&fg->gm, 0, sizeof(fg->gm));
	fg->gm.base = fg->ram;
	fg->gm.ram_size = ram_size;
	if (!fg->pool || pv_mmu_init(&fg->mmu, fg->pool, PT_AREA_GPA, 4, ram_size / PAGE_SIZE)) {
		perror("pv_mmu_init");
		exit(1);
	}
	fg->view = (struct guest_view){ &fg->mmu, &fg->gm };
}

static void guest_destroy(struct fake_guest *fg)
{
	pv_mmu_destroy(&fg->mmu);
	free(fg->pool);
	munmap(fg->ram, fg->ram_size);
}

static void *gpa_ptr(uint64_t gpa)
{
	return cur->ram + gpa;
}

/* ---- The in-test driver ---------------------------------------------------- */

struct seg {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

struct drv {
	uint16_t size;
	bool event_idx;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct pvisor_virtq_desc *desc;
	struct pvisor_virtq_avail *avail;
	struct pvisor_virtq_used *used;
	uint16_t avail_idx, last_used;
	unsigned nfree;
	uint16_t free_ids[PVISOR_VIRTQ_MAX_SIZE];  /* a stack of free descriptors   */
	uint16_t next_of[PVISOR_VIRTQ_MAX_SIZE];   /* our own copy of the links     */
	uint16_t ndesc_of[PVISOR_VIRTQ_MAX_SIZE];  /* descriptors of chain at head  */
};

static struct drv drv;
static struct virtqueue vq;
static struct vq_chain chain;

/* Lays the three areas out back to back from RING_GPA and zeroes them, as
 * a driver does before it enables the queue. */
static void drv_init(uint16_t size, uint64_t features)
{
	uint64_t end;

	drv.size = size;
	drv.event_idx = features & F_EVENT_IDX;
	drv.desc_gpa = RING_GPA;
	drv.avail_gpa = drv.desc_gpa + pvisor_virtq_desc_bytes(size);
	drv.used_gpa = (drv.avail_gpa + pvisor_virtq_avail_bytes(size) + 3) & ~3ull;
	end = drv.used_gpa + pvisor_virtq_used_bytes(size);
	memset(gpa_ptr(drv.desc_gpa), 0, end - drv.desc_gpa);
	drv.desc = gpa_ptr(drv.desc_gpa);
	drv.avail = gpa_ptr(drv.avail_gpa);
	drv.used = gpa_ptr(drv.used_gpa);
	drv.avail_idx = drv.last_used = 0;
	drv.nfree = size;
	for (unsigned i = 0; i < size; i++)
		drv.free_ids[i] = (uint16_t)(size - 1 - i);
}

static uint16_t drv_alloc(void)
{
	if (drv.nfree == 0) {
		printf("# driver out of descriptors\n");
		exit(1);
	}
	return drv.free_ids[--drv.nfree];
}

static void drv_publish(uint16_t head)
{
	drv.avail->ring[drv.avail_idx & (drv.size - 1)] = head;
	drv.avail_idx++;
	__atomic_store_n(&drv.avail->idx, drv.avail_idx, __ATOMIC_RELEASE);
}

static struct pvisor_virtq_desc make_desc(const struct seg *s, bool more, uint16_t next)
{
	return (struct pvisor_virtq_desc){ s->gpa, s->len,
		(uint16_t)((s->writable ? D_WRITE : 0) | (more ? D_NEXT : 0)), more ? next : 0 };
}

/* Writes n segments into free descriptors, chained; returns the head. */
static uint16_t drv_write_chain(const struct seg *s, unsigned n)
{
	uint16_t ids[VQ_MAX_CHAIN + 1];

	for (unsigned i = 0; i < n; i++)
		ids[i] = drv_alloc();
	for (unsigned i = 0; i < n; i++) {
		drv.desc[ids[i]] = make_desc(&s[i], i + 1 < n, i + 1 < n ? ids[i + 1] : 0);
		drv.next_of[ids[i]] = i + 1 < n ? ids[i + 1] : 0;
	}
	drv.ndesc_of[ids[0]] = (uint16_t)n;
	return ids[0];
}

static uint16_t drv_add(const struct seg *s, unsigned n)
{
	uint16_t head = drv_write_chain(s, n);

	drv_publish(head);
	return head;
}

/* An indirect table at gpa (any alignment) with entries 0 -> 1 -> ... */
static void write_table(uint64_t gpa, const struct seg *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct pvisor_virtq_desc d = make_desc(&s[i], i + 1 < n, (uint16_t)(i + 1));

		memcpy(gpa_ptr(gpa + 16ull * i), &d, sizeof(d));
	}
}

static uint16_t drv_add_indirect(uint64_t table_gpa, const struct seg *s, unsigned n)
{
	uint16_t head = drv_alloc();

	write_table(table_gpa, s, n);
	drv.desc[head] = (struct pvisor_virtq_desc){ table_gpa, 16 * n, D_INDIRECT, 0 };
	drv.ndesc_of[head] = 1;
	drv_publish(head);
	return head;
}

/* Takes one used element and frees its descriptors; false when none. */
static bool drv_get_used(uint32_t *id, uint32_t *len)
{
	uint16_t idx = __atomic_load_n(&drv.used->idx, __ATOMIC_ACQUIRE);
	struct pvisor_virtq_used_elem e;
	uint16_t i;

	if (idx == drv.last_used)
		return false;
	e = drv.used->ring[drv.last_used++ & (drv.size - 1)];
	*id = e.id;
	*len = e.len;
	if (e.id >= drv.size)
		return true;
	i = (uint16_t)e.id;
	for (unsigned k = 0; k < drv.ndesc_of[e.id]; k++) {
		drv.free_ids[drv.nfree++] = i;
		i = drv.next_of[i];
	}
	return true;
}

/* The driver's side of available-buffer notification suppression, after
 * moving avail.idx from old. */
static bool drv_must_kick(uint16_t old)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (drv.event_idx)
		return pvisor_vring_need_event(*pvisor_virtq_avail_event(drv.used, drv.size),
					       drv.avail_idx, old);
	return !(drv.used->flags & PVISOR_VIRTQ_USED_F_NO_NOTIFY);
}

static void raw_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	drv.desc[i] = (struct pvisor_virtq_desc){ addr, len, flags, next };
}

static void raw_table_desc(uint64_t table_gpa, unsigned i, uint64_t addr, uint32_t len,
			   uint16_t flags, uint16_t next)
{
	struct pvisor_virtq_desc d = { addr, len, flags, next };

	memcpy(gpa_ptr(table_gpa + 16ull * i), &d, sizeof(d));
}

/* ---- Queue helpers ------------------------------------------------------------ */

static void setup_on(struct fake_guest *fg, uint16_t size, uint64_t features)
{
	cur = fg;
	drv_init(size, features);
	CHECK_EQ(vq_init(&vq, &fg->view, size, drv.desc_gpa, drv.avail_gpa, drv.used_gpa,
			 features), 0);
	CHECK(vq_broken_reason(&vq) == NULL);
}

static void setup(uint16_t size, uint64_t features)
{
	setup_on(&guest, size, features);
}

/* The queue is broken because of `why`, and stays so: with the guest's RAM
 * made inaccessible, every call must fail or do nothing (any access to
 * guest memory would crash the test). */
static void expect_broken(const char *why)
{
	const char *reason = vq_broken_reason(&vq);
	uint64_t fetches = vq.desc_fetches;

	CHECK(reason != NULL);
	if (!reason)
		return;         /* not broken: the calls below would touch RAM */
	if (!strstr(reason, why)) {
		printf("# reason \"%s\", expected \"%s\"\n", reason, why);
		CHECK(strstr(reason, why) != NULL);
	}
	CHECK_EQ(mprotect(cur->ram, cur->ram_size, PROT_NONE), 0);
	CHECK_EQ(vq_pop(&vq, &chain), -EIO);
	CHECK_EQ(chain.nbufs, 0);
	CHECK_EQ(vq_push(&vq, 0, 0), -EIO);
	CHECK(!vq_should_notify(&vq));
	vq_set_notify(&vq, false);
	vq_set_notify(&vq, true);
	CHECK(!vq_more_avail(&vq));
	CHECK_EQ(vq_pop(&vq, &chain), -EIO);
	CHECK_EQ(mprotect(cur->ram, cur->ram_size, PROT_READ | PROT_WRITE), 0);
	CHECK_EQ(vq.desc_fetches, fetches);
}

/* Publishes head and expects the pop that reads it to break the queue. */
static void pop_breaks(uint16_t head, const char *why)
{
	drv_publish(head);
	CHECK_EQ(vq_pop(&vq, &chain), -EIO);
	expect_broken(why);
}

/* Everything a popped chain promises its backend. */
static void check_chain_sane(const struct vq_chain *c, uint16_t size)
{
	uint64_t rd = 0, wr = 0;
	bool writable_seen = false;

	CHECK(c->head < size);
	CHECK(c->nbufs <= (size < VQ_MAX_CHAIN ? size : VQ_MAX_CHAIN));
	for (unsigned i = 0; i < c->nbufs; i++) {
		const struct vq_buf *b = &c->bufs[i];

		CHECK(b->len > 0);
		CHECK(b->gpa <= cur->ram_size && b->len <= cur->ram_size - b->gpa);
		CHECK(b->host == cur->ram + b->gpa);
		CHECK(b->device_writes || !writable_seen);
		writable_seen |= b->device_writes;
		if (b->device_writes)
			wr += b->len;
		else
			rd += b->len;
	}
	CHECK_EQ(c->readable_bytes, rd);
	CHECK_EQ(c->writable_bytes, wr);
	CHECK(rd + wr <= (1ull << 32));
}

/* ---- guest_phys ------------------------------------------------------------------ */

static void guest_phys_bounds(void)
{
	const struct guest_view *v = &guest.view;

	cur = &guest;
	CHECK(guest_phys_ptr(v, 0, 16, 0) == guest.ram);
	CHECK(guest_phys_ptr(v, 0x1234, 100, 0) == guest.ram + 0x1234);
	CHECK(guest_phys_ptr(v, 0x1234, 100, 1) == NULL);              /* a fixed page */
	CHECK(guest_phys_ptr(v, 0x4fff, 1, 1) == NULL);                /* the device page */
	CHECK(guest_phys_ptr(v, 0x5000, 100, 1) == guest.ram + 0x5000);
	CHECK(guest_phys_ptr(v, 0, RAM_SIZE, 0) == guest.ram);
	CHECK(guest_phys_ptr(v, RAM_SIZE - 8, 8, 0) == guest.ram + RAM_SIZE - 8);
	CHECK(guest_phys_ptr(v, RAM_SIZE - 8, 9, 0) == NULL);         /* straddles the end */
	CHECK(guest_phys_ptr(v, 0, RAM_SIZE + 1, 0) == NULL);
	CHECK(guest_phys_ptr(v, RAM_SIZE, 0, 0) == guest.ram + RAM_SIZE); /* empty, at the end */
	CHECK(guest_phys_ptr(v, RAM_SIZE, 1, 0) == NULL);
	CHECK(guest_phys_ptr(v, RAM_SIZE + 1, 0, 0) == NULL);
	CHECK(guest_phys_ptr(v, ~0ull - 3, 8, 0) == NULL);             /* wraps */
	CHECK(guest_phys_ptr(v, 0x1000, ~0ull, 0) == NULL);
	CHECK(guest_phys_ptr(v, 0x1000, 0ull - 0x1000, 0) == NULL);    /* end == 2^64 == 0 */
	CHECK(guest_phys_ptr(v, ~0ull, 0, 0) == NULL);
	CHECK(guest_phys_ptr(v, HV_AREA_GPA, 8, 0) == NULL);           /* not RAM */
	CHECK(guest_phys_ptr(v, PT_AREA_GPA, 8, 0) == NULL);
}

static void guest_phys_ballooned(void)
{
	const struct guest_view *v = &guest.view;

	cur = &guest;
	CHECK_EQ(pv_mmu_decrease(&guest.mmu, 0x14), 0);     /* page 0x14000 */
	CHECK(guest_phys_ptr(v, 0x14000, 1, 0) == NULL);
	CHECK(guest_phys_ptr(v, 0x14fff, 1, 1) == NULL);
	CHECK(guest_phys_ptr(v, 0x13fff, 2, 0) == NULL);     /* last byte before, first of */
	CHECK(guest_phys_ptr(v, 0x10000, 0x10000, 0) == NULL); /* the page is inside */
	CHECK(guest_phys_ptr(v, 0, RAM_SIZE, 0) == NULL);
	CHECK(guest_phys_ptr(v, 0x13000, 0x1000, 0) == guest.ram + 0x13000); /* just before */
	CHECK(guest_phys_ptr(v, 0x15000, 0x1000, 0) == guest.ram + 0x15000); /* just after */
	CHECK(guest_phys_ptr(v, 0x14000, 0, 0) == guest.ram + 0x14000);      /* touches nothing */
	CHECK_EQ(pv_mmu_increase(&guest.mmu, 0x14), 0);
	CHECK(guest_phys_ptr(v, 0x10000, 0x10000, 0) == guest.ram + 0x10000);
}

/* ---- vq_init ------------------------------------------------------------------------ */

static void expect_init_fails(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used,
			      const char *why)
{
	CHECK_EQ(vq_init(&vq, &guest.view, size, desc, avail, used, 0), -EINVAL);
	expect_broken(why);
}

static void init_rejects_bad_config(void)
{
	static const uint16_t bad_sizes[] = { 0, 3, 6, 100, 32767, 32769, 49152, 65535 };
	static const uint16_t good_sizes[] = { 1, 2, 4, 256, 1024, 32768 };
	uint64_t d = RING_GPA, a = 0x100000, u = 0x180000;

	cur = &guest;
	for (unsigned i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++)
		expect_init_fails(bad_sizes[i], d, a, u, "queue size");
	for (unsigned i = 0; i < sizeof(good_sizes) / sizeof(good_sizes[0]); i++) {
		CHECK_EQ(vq_init(&vq, &guest.view, good_sizes[i], d, a, u, 0), 0);
		CHECK(vq_broken_reason(&vq) == NULL);
	}
	/* alignment: desc 16, avail 2, used 4 */
	expect_init_fails(8, d + 8, a, u, "misaligned");
	expect_init_fails(8, d + 1, a, u, "misaligned");
	expect_init_fails(8, d, a + 1, u, "misaligned");
	expect_init_fails(8, d, a, u + 2, "misaligned");
	CHECK_EQ(vq_init(&vq, &guest.view, 8, d + 16, a + 2, u + 4, 0), 0);
	/* every area must lie in RAM */
	expect_init_fails(8, RAM_SIZE - 16 * 8 + 16, a, u, "descriptor table");
	expect_init_fails(8, RAM_SIZE, a, u, "descriptor table");
	expect_init_fails(8, ~0ull & ~15ull, a, u, "descriptor table");   /* wraps */
	expect_init_fails(8, HV_AREA_GPA, a, u, "descriptor table");
	expect_init_fails(8, d, RAM_SIZE - 2 * 8 - 4, u, "available ring");  /* used_event out */
	expect_init_fails(8, d, a, RAM_SIZE - 8 * 8 - 4, "used ring");        /* avail_event out */
	expect_init_fails(8, d, a, PT_AREA_GPA, "used ring");
	CHECK_EQ(vq_init(&vq, &guest.view, 8, RAM_SIZE - 128, RAM_SIZE - 128 - 22,
			 RAM_SIZE - 128 - 96, 0), 0);                       /* tight fits */
	expect_init_fails(32768, RAM_SIZE - 0x40000, a, u, "descriptor table");
	/* a ballooned-out page under a ring */
	CHECK_EQ(pv_mmu_decrease(&guest.mmu, u >> PAGE_SHIFT), 0);
	expect_init_fails(8, d, a, u, "used ring");
	CHECK_EQ(pv_mmu_increase(&guest.mmu, u >> PAGE_SHIFT), 0);
}

/* ---- Round trips ------------------------------------------------------------------ */

static void one_buffer_round_trip(void)
{
	struct seg s = { DATA_GPA + 0x40, 11, false };
	uint32_t id, len;
	uint16_t head;

	setup(8, F_VERSION_1);
	CHECK_EQ(vq_pop(&vq, &chain), 0);          /* empty */
	memcpy(gpa_ptr(s.gpa), "hello world", 11);
	head = drv_add(&s, 1);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, head);
	CHECK_EQ(chain.nbufs, 1);
	CHECK_EQ(chain.bufs[0].gpa, s.gpa);
	CHECK_EQ(chain.bufs[0].len, 11);
	CHECK(!chain.bufs[0].device_writes);
	CHECK(chain.bufs[0].host == gpa_ptr(s.gpa));
	CHECK(memcmp(chain.bufs[0].host, "hello world", 11) == 0);
	CHECK_EQ(chain.readable_bytes, 11);
	CHECK_EQ(chain.writable_bytes, 0);
	CHECK_EQ(vq_pop(&vq, &chain), 0);
	CHECK(!drv_get_used(&id, &len));
	CHECK_EQ(vq_push(&vq, head, 0), 0);
	CHECK(drv_get_used(&id, &len));
	CHECK_EQ(id, head);
	CHECK_EQ(len, 0);
	CHECK_EQ(drv.used->idx, 1);
	CHECK_EQ(drv.nfree, 8);
	CHECK(vq_broken_reason(&vq) == NULL);
}

static void readable_writable_chain(void)
{
	struct seg s[3] = {
		{ DATA_GPA, 16, false },            /* request header */
		{ DATA_GPA + 0x1000, 512, false },  /* payload        */
		{ DATA_GPA + 0x2000, 1, true },     /* status byte    */
	};
	uint32_t id, len;
	uint16_t head;

	setup(8, 0);
	head = drv_add(s, 3);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, head);
	CHECK_EQ(chain.nbufs, 3);
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ(chain.bufs[i].gpa, s[i].gpa);
		CHECK_EQ(chain.bufs[i].len, s[i].len);
		CHECK_EQ(chain.bufs[i].device_writes, s[i].writable);
	}
	CHECK_EQ(chain.readable_bytes, 528);
	CHECK_EQ(chain.writable_bytes, 1);
	check_chain_sane(&chain, 8);
	*(uint8_t *)chain.bufs[2].host = 0x5a;
	CHECK_EQ(vq_push(&vq, head, 1), 0);
	CHECK(drv_get_used(&id, &len));
	CHECK_EQ(id, head);
	CHECK_EQ(len, 1);
	CHECK_EQ(*(uint8_t *)gpa_ptr(s[2].gpa), 0x5a);
}

/* More than 70,000 chains through a size-8 queue, so both 16-bit indices
 * wrap: random chain lengths, batches, out-of-order completion. */
static void indices_wrap_past_65535(void)
{
	static struct seg expect[8][3];
	static unsigned expect_n[8];
	static uint32_t expect_written[8];
	uint16_t popped[8];
	unsigned total = 0, npopped;
	uint32_t id, len;

	setup(8, F_EVENT_IDX);
	check_rng_state = 0x1234567;
	while (total < 70000) {
		unsigned batch = 1 + check_rng() % 8;

		for (unsigned b = 0; b < batch; b++) {
			unsigned n = 1 + check_rng() % 3;
			struct seg s[3];
			uint16_t head;

			if (drv.nfree < n)
				break;
			for (unsigned i = 0; i < n; i++) {
				s[i].gpa = DATA_GPA + 0x100 * (check_rng() % 64);
				s[i].len = 1 + (uint32_t)(check_rng() % 256);
				s[i].writable = n > 1 && i == n - 1;
			}
			head = drv_add(s, n);
			memcpy(expect[head], s, sizeof(s));
			expect_n[head] = n;
			expect_written[head] = n > 1 ? s[n - 1].len : 0;
		}
		for (npopped = 0; vq_pop(&vq, &chain) == 1; npopped++) {
			CHECK_EQ(chain.nbufs, expect_n[chain.head]);
			for (unsigned i = 0; i < chain.nbufs; i++) {
				CHECK_EQ(chain.bufs[i].gpa, expect[chain.head][i].gpa);
				CHECK_EQ(chain.bufs[i].len, expect[chain.head][i].len);
				CHECK_EQ(chain.bufs[i].device_writes, expect[chain.head][i].writable);
			}
			CHECK_EQ(chain.writable_bytes, expect_written[chain.head]);
			popped[npopped] = chain.head;
		}
		/* complete in a shuffled order */
		for (unsigned i = npopped; i > 1; i--) {
			unsigned j = check_rng() % i;
			uint16_t t = popped[i - 1];

			popped[i - 1] = popped[j];
			popped[j] = t;
		}
		for (unsigned i = 0; i < npopped; i++)
			CHECK_EQ(vq_push(&vq, popped[i], expect_written[popped[i]]), 0);
		vq_should_notify(&vq);
		for (unsigned i = 0; i < npopped; i++) {
			CHECK(drv_get_used(&id, &len));
			CHECK_EQ(id, popped[i]);
			CHECK_EQ(len, expect_written[popped[i]]);
		}
		total += npopped;
		CHECK(vq_broken_reason(&vq) == NULL);
		if (check_case_failed)
			break;
	}
	CHECK(vq_broken_reason(&vq) == NULL);
	CHECK_EQ(drv.nfree, 8);
	CHECK_EQ(vq.last_avail_idx, (uint16_t)total);
	CHECK_EQ(drv.used->idx, (uint16_t)total);
	CHECK(total > 65536 + 8);
}

static void indirect_chains(void)
{
	struct seg s[4] = {
		{ DATA_GPA, 16, false },
		{ DATA_GPA + 0x100, 100, false },
		{ DATA_GPA + 0x1000, 4096, true },
		{ DATA_GPA + 0x3000, 1, true },
	};
	uint64_t fetches;
	uint32_t id, len;
	uint16_t head;

	setup(8, F_INDIRECT | F_VERSION_1);
	fetches = vq.desc_fetches;
	head = drv_add_indirect(TABLE_GPA, s, 4);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(vq.desc_fetches - fetches, 5);   /* the pointer and four entries */
	CHECK_EQ(chain.head, head);
	CHECK_EQ(chain.nbufs, 4);
	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ(chain.bufs[i].gpa, s[i].gpa);
		CHECK_EQ(chain.bufs[i].len, s[i].len);
		CHECK_EQ(chain.bufs[i].device_writes, s[i].writable);
	}
	CHECK_EQ(chain.readable_bytes, 116);
	CHECK_EQ(chain.writable_bytes, 4097);
	CHECK_EQ(vq_push(&vq, head, 4097), 0);
	CHECK(drv_get_used(&id, &len));
	CHECK_EQ(id, head);
	CHECK_EQ(len, 4097);

	/* a table at an odd address (the spec sets no alignment for it) */
	head = drv_add_indirect(TABLE_GPA + 0x1003, s, 4);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.nbufs, 4);
	CHECK_EQ(chain.bufs[3].gpa, s[3].gpa);
	CHECK_EQ(vq_push(&vq, head, 0), 0);

	/* direct descriptors followed by one indirect (the spec says devices
	 * MUST accept it); WRITE on the pointer is ignored; the table is
	 * larger than the chain, which jumps 0 -> 5 */
	raw_desc(6, DATA_GPA, 32, D_NEXT, 2);
	raw_desc(2, TABLE_GPA + 0x2000, 8 * 16, D_INDIRECT | D_WRITE, 0);
	raw_table_desc(TABLE_GPA + 0x2000, 0, DATA_GPA + 0x100, 64, D_NEXT, 5);
	raw_table_desc(TABLE_GPA + 0x2000, 5, DATA_GPA + 0x1000, 128, D_WRITE, 0);
	drv_publish(6);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, 6);
	CHECK_EQ(chain.nbufs, 3);
	CHECK_EQ(chain.bufs[0].len, 32);
	CHECK_EQ(chain.bufs[1].len, 64);
	CHECK(!chain.bufs[1].device_writes);
	CHECK_EQ(chain.bufs[2].len, 128);
	CHECK(chain.bufs[2].device_writes);
	CHECK_EQ(chain.readable_bytes, 96);
	CHECK_EQ(chain.writable_bytes, 128);
	check_chain_sane(&chain, 8);
	CHECK_EQ(vq_push(&vq, 6, 0), 0);
	CHECK(vq_broken_reason(&vq) == NULL);
}

/* Zero-length descriptors are legal: checked like any other (address,
 * order, count), then left out of the chain. */
static void zero_length_descriptors(void)
{
	setup(8, 0);
	raw_desc(0, DATA_GPA, 0, D_NEXT, 1);
	raw_desc(1, DATA_GPA + 0x100, 10, D_NEXT, 2);
	raw_desc(2, RAM_SIZE, 0, D_NEXT | D_WRITE, 3);   /* empty, at the end of RAM */
	raw_desc(3, DATA_GPA + 0x200, 20, D_WRITE, 0);
	drv_publish(0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.nbufs, 2);
	CHECK_EQ(chain.bufs[0].len, 10);
	CHECK_EQ(chain.bufs[1].len, 20);
	CHECK(chain.bufs[1].device_writes);
	CHECK_EQ(chain.readable_bytes, 10);
	CHECK_EQ(chain.writable_bytes, 20);
	CHECK_EQ(vq_push(&vq, 0, 0), 0);

	raw_desc(4, DATA_GPA, 0, 0, 0);                  /* a chain with no bytes */
	drv_publish(4);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, 4);
	CHECK_EQ(chain.nbufs, 0);
	/* The previous chain's first buffer is not left for a device to
	 * write through (a net receive chain of empty descriptors did). */
	CHECK(chain.bufs[0].host == NULL);
	CHECK_EQ(chain.bufs[0].len, 0);
	CHECK_EQ(vq_push(&vq, 4, 0), 0);

	/* still subject to the order rule ... */
	raw_desc(5, DATA_GPA, 8, D_NEXT | D_WRITE, 6);
	raw_desc(6, DATA_GPA, 0, 0, 0);
	pop_breaks(5, "device-readable descriptor after a device-writable one");

	/* ... and to the address rule */
	setup(8, 0);
	raw_desc(0, RAM_SIZE + 1, 0, 0, 0);
	pop_breaks(0, "outside RAM or ballooned");
}

/* A page in a buffer of a popped chain is held until the push, and only
 * the pages of chains in flight are (what the balloon asks, vdev.c). */
static void held_pages(void)
{
	static struct vq_span held[8];
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct seg a[2] = { { DATA_GPA + 0x10, 8, false }, { DATA_GPA + 3 * 4096, 100, true } };
	struct seg b = { DATA_GPA + 9 * 4096 + 4000, 200, true };   /* straddles two pages */
	uint64_t p = DATA_GPA / 4096;
	uint16_t ha, hb;

	setup(8, 0);
	vq.held = held;
	vq.hold_lock = &lock;
	CHECK(!vq_holds_pfn(&vq, p));
	ha = drv_add(a, 2);
	hb = drv_add(&b, 1);
	CHECK(!vq_holds_pfn(&vq, p));                    /* available, not popped */
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, ha);
	CHECK(vq_holds_pfn(&vq, p) && vq_holds_pfn(&vq, p + 3));
	CHECK(!vq_holds_pfn(&vq, p + 9));
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK(vq_holds_pfn(&vq, p + 9) && vq_holds_pfn(&vq, p + 10));
	CHECK(!vq_holds_pfn(&vq, p + 11) && !vq_holds_pfn(&vq, p - 1));
	CHECK_EQ(vq_push(&vq, ha, 0), 0);
	CHECK(!vq_holds_pfn(&vq, p) && !vq_holds_pfn(&vq, p + 3));
	CHECK(vq_holds_pfn(&vq, p + 9));
	CHECK_EQ(vq_push(&vq, hb, 0), 0);
	CHECK(!vq_holds_pfn(&vq, p + 9) && !vq_holds_pfn(&vq, p + 10));
	CHECK(vq_broken_reason(&vq) == NULL);
}

static void chain_as_long_as_allowed(void)
{
	struct seg s[VQ_MAX_CHAIN];

	for (unsigned i = 0; i < VQ_MAX_CHAIN; i++)
		s[i] = (struct seg){ DATA_GPA + 16 * i, 16, i >= VQ_MAX_CHAIN / 2 };
	setup(8, 0);
	drv_add(s, 8);                                    /* the whole table */
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.nbufs, 8);
	setup(512, 0);
	drv_add(s, VQ_MAX_CHAIN);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.nbufs, VQ_MAX_CHAIN);
	CHECK_EQ(chain.readable_bytes, 16 * VQ_MAX_CHAIN / 2);
	CHECK_EQ(chain.writable_bytes, 16 * VQ_MAX_CHAIN / 2);
	check_chain_sane(&chain, 512);
	/* a full-size indirect table on a size-8 queue */
	setup(8, F_INDIRECT);
	drv_add_indirect(TABLE_GPA, s, 8);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.nbufs, 8);
}

/* ---- Notification suppression ------------------------------------------------------- */

/* One single-buffer chain through the queue; returns vq_should_notify(). */
static bool round_trip(void)
{
	struct seg s = { DATA_GPA, 8, true };
	uint32_t id, len;

	drv_add(&s, 1);
	if (vq_pop(&vq, &chain) != 1 || vq_push(&vq, chain.head, 8) != 0) {
		CHECK(!"round trip failed");
		return false;
	}
	CHECK(drv_get_used(&id, &len));
	return vq_should_notify(&vq);
}

static void used_notify_flags(void)
{
	struct seg s = { DATA_GPA, 8, false };

	setup(8, 0);
	CHECK(!vq_should_notify(&vq));                    /* nothing pushed */
	CHECK(round_trip());
	CHECK(!vq_should_notify(&vq));                    /* nothing new */
	drv.avail->flags = PVISOR_VIRTQ_AVAIL_F_NO_INTERRUPT;
	CHECK(!round_trip());
	CHECK(!round_trip());
	drv.avail->flags = 0;
	*pvisor_virtq_used_event(drv.avail, 8) = (uint16_t)(drv.used->idx + 100); /* ignored */
	CHECK(round_trip());
	/* two pushes, one question */
	drv_add(&s, 1);
	drv_add(&s, 1);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(vq_push(&vq, chain.head, 0), 0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(vq_push(&vq, chain.head, 0), 0);
	CHECK(vq_should_notify(&vq));
	CHECK(!vq_should_notify(&vq));
}

static void used_notify_event_idx(void)
{
	uint16_t *used_event;
	struct seg s = { DATA_GPA, 8, false };

	setup(8, F_EVENT_IDX);
	used_event = pvisor_virtq_used_event(drv.avail, 8);
	CHECK(round_trip());                        /* used_event 0: idx 0 -> 1 */
	CHECK(!round_trip());                       /* 1 -> 2 */
	*used_event = 3;                            /* "tell me when entry 3 is used" */
	CHECK(!round_trip());                       /* 2 -> 3 */
	CHECK(round_trip());                        /* 3 -> 4 */
	CHECK(!round_trip());                       /* 4 -> 5 */
	drv.avail->flags = PVISOR_VIRTQ_AVAIL_F_NO_INTERRUPT; /* ignored with EVENT_IDX */
	*used_event = 5;
	CHECK(round_trip());                        /* 5 -> 6 */
	drv.avail->flags = 0;
	/* a batch that crosses used_event notifies once */
	*used_event = 7;
	for (int i = 0; i < 3; i++)
		drv_add(&s, 1);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(vq_pop(&vq, &chain), 1);
		CHECK_EQ(vq_push(&vq, chain.head, 0), 0);
	}
	CHECK(vq_should_notify(&vq));               /* 6 -> 9 covers 7 */
	CHECK(!vq_should_notify(&vq));
	while (drv_get_used(&(uint32_t){ 0 }, &(uint32_t){ 0 }))
		;
	/* wrap-around of the used index */
	*used_event = 0x8000;                       /* stay quiet on the way */
	while (drv.used->idx != 65534 && !check_case_failed)
		round_trip();
	*used_event = 65535;
	CHECK(!round_trip());                       /* 65534 -> 65535 */
	CHECK(round_trip());                        /* 65535 -> 0 */
	*used_event = 1;
	CHECK(!round_trip());                       /* 0 -> 1 */
	CHECK(round_trip());                        /* 1 -> 2 */
	while (drv.used->idx != 65534 && !check_case_failed)
		round_trip();
	*used_event = 65535;                        /* batch 65534 -> 1 crosses it */
	for (int i = 0; i < 3; i++)
		drv_add(&s, 1);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(vq_pop(&vq, &chain), 1);
		CHECK_EQ(vq_push(&vq, chain.head, 0), 0);
	}
	CHECK_EQ(drv.used->idx, 1);
	CHECK(vq_should_notify(&vq));
	CHECK(vq_broken_reason(&vq) == NULL);
}

/* Reference: did [old, new) contain event? */
static bool need_event_ref(uint16_t event, uint16_t now, uint16_t old)
{
	for (uint16_t i = old; i != now; i++)
		if (i == event)
			return true;
	return false;
}

static void need_event_formula(void)
{
	static const uint16_t olds[] = { 0, 1, 100, 32767, 32768, 65534, 65535 };

	check_rng_state = 42;
	for (unsigned i = 0; i < 200000; i++) {
		uint16_t old = (uint16_t)check_rng();
		uint16_t now = (uint16_t)(old + check_rng() % 300);
		uint16_t event = (uint16_t)(old + check_rng() % 600 - 150);

		CHECK_EQ(!!pvisor_vring_need_event(event, now, old), need_event_ref(event, now, old));
	}
	for (unsigned k = 0; k < sizeof(olds) / sizeof(olds[0]); k++)
		for (unsigned d = 0; d < 20; d++)
			for (unsigned e = 0; e < 40; e++) {
				uint16_t old = olds[k], now = (uint16_t)(old + d);
				uint16_t event = (uint16_t)(old + e - 10);

				CHECK_EQ(!!pvisor_vring_need_event(event, now, old),
					 need_event_ref(event, now, old));
			}
	CHECK(pvisor_vring_need_event(65535, 0, 65535));
	CHECK(!pvisor_vring_need_event(0, 0, 65535));
	CHECK(pvisor_vring_need_event(5, 10, 0));
	CHECK(!pvisor_vring_need_event(10, 10, 0));
	CHECK(!pvisor_vring_need_event(3, 3, 3));
}

static void avail_notify_flags(void)
{
	struct seg s = { DATA_GPA, 8, false };
	uint16_t old;

	setup(8, 0);
	old = drv.avail_idx;
	drv_add(&s, 1);
	CHECK(drv_must_kick(old));
	vq_set_notify(&vq, false);
	CHECK_EQ(drv.used->flags, PVISOR_VIRTQ_USED_F_NO_NOTIFY);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	old = drv.avail_idx;
	drv_add(&s, 1);
	CHECK(!drv_must_kick(old));
	vq_set_notify(&vq, true);
	CHECK_EQ(drv.used->flags, 0);
	CHECK(vq_more_avail(&vq));
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK(!vq_more_avail(&vq));
	old = drv.avail_idx;
	drv_add(&s, 1);
	CHECK(drv_must_kick(old));
	CHECK_EQ(*pvisor_virtq_avail_event(drv.used, 8), 0);   /* untouched without EVENT_IDX */
}

static void avail_notify_event_idx(void)
{
	struct seg s = { DATA_GPA, 8, false };
	uint16_t *avail_event;
	uint16_t old;

	setup(8, F_EVENT_IDX);
	avail_event = pvisor_virtq_avail_event(drv.used, 8);
	old = drv.avail_idx;
	drv_add(&s, 1);                              /* entry 0; avail_event 0 */
	CHECK(drv_must_kick(old));
	vq_set_notify(&vq, false);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(*avail_event, 0);                   /* not advanced while disabled */
	old = drv.avail_idx;
	drv_add(&s, 1);                              /* entry 1: suppressed */
	CHECK(!drv_must_kick(old));
	vq_set_notify(&vq, true);                    /* "tell me about entry 1" */
	CHECK_EQ(*avail_event, 1);
	CHECK(vq_more_avail(&vq));                   /* ... which is already there */
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(*avail_event, 2);                   /* advanced by pops while enabled */
	CHECK(!vq_more_avail(&vq));
	old = drv.avail_idx;
	drv_add(&s, 1);
	CHECK(drv_must_kick(old));
	old = drv.avail_idx;
	drv_add(&s, 1);                              /* device has not taken entry 2 yet */
	CHECK(!drv_must_kick(old));
	CHECK_EQ(drv.used->flags, 0);                /* flags stay 0 with EVENT_IDX */
	vq_set_notify(&vq, false);
	CHECK_EQ(drv.used->flags, 0);
}

/* The race the spec describes: the driver adds a buffer after the device
 * found the ring empty but before it re-enabled notifications. */
static void more_avail_closes_the_race(void)
{
	static const uint64_t features[] = { 0, F_EVENT_IDX };
	struct seg s = { DATA_GPA, 8, false };

	for (unsigned f = 0; f < 2; f++) {
		uint16_t old;

		setup(8, features[f]);
		CHECK(!vq_more_avail(&vq));
		vq_set_notify(&vq, false);                /* device: draining */
		drv_add(&s, 1);
		CHECK(vq_more_avail(&vq));
		CHECK_EQ(vq_pop(&vq, &chain), 1);
		CHECK_EQ(vq_pop(&vq, &chain), 0);         /* device: looks empty */
		old = drv.avail_idx;
		drv_add(&s, 1);                           /* driver: no kick */
		CHECK(!drv_must_kick(old));
		vq_set_notify(&vq, true);                 /* device: about to sleep */
		CHECK(vq_more_avail(&vq));                /* ... so it does not */
		CHECK_EQ(vq_pop(&vq, &chain), 1);
		CHECK(!vq_more_avail(&vq));
		old = drv.avail_idx;
		drv_add(&s, 1);
		CHECK(drv_must_kick(old));                /* the next one kicks */
	}
}

/* ---- Hostile guests ------------------------------------------------------------------ */

static void hostile_head_out_of_range(void)
{
	setup(8, 0);
	raw_desc(0, DATA_GPA, 8, 0, 0);
	drv_publish(0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	pop_breaks(8, "head 8 out of range");
	setup(8, 0);
	pop_breaks(0xffff, "head 65535 out of range");
}

static void hostile_next_out_of_range(void)
{
	setup(8, 0);
	raw_desc(0, DATA_GPA, 8, D_NEXT, 8);
	pop_breaks(0, "next 8 out of range");
}

static void hostile_loop(void)
{
	setup(8, 0);
	raw_desc(0, DATA_GPA, 8, D_NEXT, 1);
	raw_desc(1, DATA_GPA, 8, D_NEXT, 0);
	pop_breaks(0, "descriptor chain loops or is too long");
	CHECK_EQ(vq.desc_fetches, 8);             /* bounded by the queue size */
	setup(8, 0);
	raw_desc(3, DATA_GPA, 8, D_NEXT, 3);      /* a descriptor naming itself */
	pop_breaks(3, "loops");
	setup(8, F_INDIRECT);                     /* a loop inside a table */
	raw_desc(0, TABLE_GPA, 32, D_INDIRECT, 0);
	raw_table_desc(TABLE_GPA, 0, DATA_GPA, 8, D_NEXT, 1);
	raw_table_desc(TABLE_GPA, 1, DATA_GPA, 8, D_NEXT, 0);
	pop_breaks(0, "loops");
}

static void hostile_chain_too_long(void)
{
	struct seg s[VQ_MAX_CHAIN + 1];

	for (unsigned i = 0; i <= VQ_MAX_CHAIN; i++)
		s[i] = (struct seg){ DATA_GPA, 16, false };
	/* 257 linear descriptors in a 512 queue: over VQ_MAX_CHAIN */
	setup(512, 0);
	pop_breaks(drv_write_chain(s, VQ_MAX_CHAIN + 1), "too long (limit 256)");
	/* direct + indirect together longer than the queue */
	setup(8, F_INDIRECT);
	write_table(TABLE_GPA, s, 8);
	raw_desc(0, DATA_GPA, 8, D_NEXT, 1);
	raw_desc(1, TABLE_GPA, 8 * 16, D_INDIRECT, 0);
	pop_breaks(0, "too long (limit 8)");
}

static void hostile_buffer_outside_ram(void)
{
	static const struct { uint64_t gpa; uint32_t len; } bad[] = {
		{ RAM_SIZE - 8, 16 },            /* straddles the end */
		{ RAM_SIZE, 1 },
		{ HV_AREA_GPA, 8 },              /* the hypervisor area */
		{ PT_AREA_GPA, 8 },              /* the page-table pool */
		{ 1ull << 63, 4096 },
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup(8, 0);
		raw_desc(0, DATA_GPA, 8, D_NEXT, 1);
		raw_desc(1, bad[i].gpa, bad[i].len, D_WRITE, 0);
		pop_breaks(0, "outside RAM or ballooned");
	}
}

static void hostile_len_wraps(void)
{
	setup(8, 0);
	raw_desc(0, ~0ull - 100, 200, 0, 0);       /* gpa + len wraps past 2^64 */
	pop_breaks(0, "outside RAM or ballooned");
	setup(8, 0);
	raw_desc(0, 0ull - 0x1000, 0x1000, 0, 0);  /* ends exactly at 2^64 */
	pop_breaks(0, "outside RAM or ballooned");
}

static void hostile_ballooned_buffer(void)
{
	uint64_t pfn = (DATA_GPA + 0x5000) >> PAGE_SHIFT;

	setup(8, 0);
	CHECK_EQ(pv_mmu_decrease(&guest.mmu, pfn), 0);
	raw_desc(0, DATA_GPA + 0x4800, 0x1000, D_WRITE, 0);  /* runs into it */
	pop_breaks(0, "outside RAM or ballooned");
	setup(8, F_INDIRECT);                                 /* a table on it */
	raw_desc(0, DATA_GPA + 0x5000, 32, D_INDIRECT, 0);
	pop_breaks(0, "indirect table");
	CHECK_EQ(pv_mmu_increase(&guest.mmu, pfn), 0);
}

static void hostile_writable_then_readable(void)
{
	setup(8, 0);
	raw_desc(0, DATA_GPA, 8, D_NEXT, 1);
	raw_desc(1, DATA_GPA, 8, D_NEXT | D_WRITE, 2);
	raw_desc(2, DATA_GPA, 8, 0, 0);
	pop_breaks(0, "device-readable descriptor after a device-writable one");
	/* across the step into an indirect table */
	setup(8, F_INDIRECT);
	raw_desc(0, DATA_GPA, 8, D_NEXT | D_WRITE, 1);
	raw_desc(1, TABLE_GPA, 16, D_INDIRECT, 0);
	raw_table_desc(TABLE_GPA, 0, DATA_GPA, 8, 0, 0);
	pop_breaks(0, "device-readable descriptor after a device-writable one");
}

static void hostile_indirect_without_feature(void)
{
	setup(8, F_EVENT_IDX);
	raw_desc(0, TABLE_GPA, 16, D_INDIRECT, 0);
	raw_table_desc(TABLE_GPA, 0, DATA_GPA, 8, 0, 0);
	pop_breaks(0, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
}

static void hostile_indirect_with_next(void)
{
	setup(8, F_INDIRECT);
	raw_desc(0, TABLE_GPA, 16, D_INDIRECT | D_NEXT, 1);
	raw_desc(1, DATA_GPA, 8, 0, 0);
	raw_table_desc(TABLE_GPA, 0, DATA_GPA, 8, 0, 0);
	pop_breaks(0, "indirect descriptor with F_NEXT");
}

static void hostile_nested_indirect(void)
{
	setup(8, F_INDIRECT);
	raw_desc(0, TABLE_GPA, 32, D_INDIRECT, 0);
	raw_table_desc(TABLE_GPA, 0, DATA_GPA, 8, D_NEXT, 1);
	raw_table_desc(TABLE_GPA, 1, TABLE_GPA + 0x100, 16, D_INDIRECT, 0);
	raw_table_desc(TABLE_GPA + 0x100, 0, DATA_GPA, 8, 0, 0);
	pop_breaks(0, "indirect descriptor inside an indirect table");
}

static void hostile_indirect_bad_table(void)
{
	static const struct { uint64_t gpa; uint32_t len; const char *why; } bad[] = {
		{ TABLE_GPA, 0, "indirect table of 0 bytes" },
		{ TABLE_GPA, 8, "indirect table of 8 bytes" },
		{ TABLE_GPA, 24, "indirect table of 24 bytes" },
		{ TABLE_GPA, 9 * 16, "indirect table of 144 bytes" },     /* > size entries */
		{ TABLE_GPA, 0xfffffff0u, "indirect table of 4294967280 bytes" },
		{ RAM_SIZE - 16, 32, "indirect table 0x3ffff0+0x20 is outside RAM or ballooned" },
		{ ~0ull - 15, 32, "is outside RAM or ballooned" },
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup(8, F_INDIRECT);
		raw_desc(0, bad[i].gpa, bad[i].len, D_INDIRECT, 0);
		pop_breaks(0, bad[i].why);
	}
	setup(8, F_INDIRECT);                        /* next beyond the table */
	raw_desc(0, TABLE_GPA, 32, D_INDIRECT, 0);
	raw_table_desc(TABLE_GPA, 0, DATA_GPA, 8, D_NEXT, 2);
	pop_breaks(0, "next 2 out of range (2 descriptors)");
}

static void hostile_avail_idx_jump(void)
{
	setup(8, 0);
	for (unsigned i = 0; i < 8; i++)
		raw_desc((uint16_t)i, DATA_GPA, 8, 0, 0);
	for (unsigned i = 0; i < 8; i++)
		drv_publish((uint16_t)i);                  /* a full ring is fine */
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(vq_pop(&vq, &chain), 0);
	__atomic_store_n(&drv.avail->idx, (uint16_t)(8 + 9), __ATOMIC_RELEASE);
	CHECK_EQ(vq_pop(&vq, &chain), -EIO);
	expect_broken("avail index jumped by 9 (queue size 8)");
	setup(8, 0);                                   /* moving back looks like a jump */
	raw_desc(0, DATA_GPA, 8, 0, 0);
	drv_publish(0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	__atomic_store_n(&drv.avail->idx, 0, __ATOMIC_RELEASE);
	CHECK(vq_more_avail(&vq));
	CHECK_EQ(vq_pop(&vq, &chain), -EIO);
	expect_broken("avail index jumped by 65535");
}

static void hostile_head_made_available_twice(void)
{
	setup(8, 0);
	raw_desc(2, DATA_GPA, 8, 0, 0);
	drv_publish(2);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	pop_breaks(2, "head 2 made available again while in flight");
	setup(8, 0);                                   /* after it came back: fine */
	raw_desc(2, DATA_GPA, 8, 0, 0);
	drv_publish(2);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(vq_push(&vq, 2, 0), 0);
	drv_publish(2);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
}

/* Chains may not exceed 2^32 bytes: 64 descriptors of 64 MiB are exactly
 * that, 65 are too many. Needs a larger (sparse, untouched) guest. */
static void hostile_chain_over_4gib(void)
{
	static struct fake_guest big;
	struct seg s[65];

	guest_create(&big, 128ull << 20);
	/* The upper 64 MiB: devices may not write the fixed pages at 0. */
	for (unsigned i = 0; i < 65; i++)
		s[i] = (struct seg){ 64u << 20, 64u << 20, i >= 32 };
	setup_on(&big, 256, 0);
	drv_add(s, 64);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.readable_bytes + chain.writable_bytes, 1ull << 32);
	pop_breaks(drv_write_chain(s, 65), "descriptor chain longer than 4 GiB");
	guest_destroy(&big);
	cur = &guest;
}

/* Pushing a head that is not in flight is a device bug: -EINVAL, and
 * neither the used ring nor the queue state changes. */
static void push_unknown_head(void)
{
	struct seg s = { DATA_GPA, 8, false };
	uint8_t before[6 + 8 * 8];
	uint16_t head;

	setup(8, 0);
	memcpy(before, drv.used, sizeof(before));
	CHECK_EQ(vq_push(&vq, 0, 0), -EINVAL);           /* never popped */
	CHECK_EQ(vq_push(&vq, 8, 0), -EINVAL);           /* out of range */
	CHECK_EQ(vq_push(&vq, 0xffff, 0), -EINVAL);
	CHECK(memcmp(before, drv.used, sizeof(before)) == 0);
	head = drv_add(&s, 1);
	CHECK_EQ(vq_push(&vq, head, 0), -EINVAL);        /* available, not popped */
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(vq_push(&vq, head, 3), 0);
	memcpy(before, drv.used, sizeof(before));
	CHECK_EQ(vq_push(&vq, head, 3), -EINVAL);        /* pushed twice */
	CHECK(memcmp(before, drv.used, sizeof(before)) == 0);
	CHECK_EQ(drv.used->idx, 1);
	CHECK(vq_should_notify(&vq));                     /* the one good push */
	CHECK(vq_broken_reason(&vq) == NULL);            /* not the guest's fault */
	CHECK_EQ(vq_pop(&vq, &chain), 0);
}

/* No double fetch: each descriptor is read from guest memory exactly once
 * (fetch_desc() counts), so what the chain holds is what was validated,
 * whatever the guest writes afterwards. */
static void rewrite_after_pop(void)
{
	struct seg direct[3] = {
		{ DATA_GPA, 16, false },
		{ DATA_GPA + 0x100, 32, false },
		{ DATA_GPA + 0x200, 64, true },
	};
	struct seg table[2] = { { DATA_GPA + 0x300, 8, false }, { DATA_GPA + 0x400, 4, true } };
	static struct vq_chain first, second;
	uint64_t fetches;
	uint16_t h1, h2;

	setup(8, F_INDIRECT);
	h1 = drv_add(direct, 3);
	h2 = drv_add_indirect(TABLE_GPA, table, 2);
	fetches = vq.desc_fetches;
	CHECK_EQ(vq_pop(&vq, &first), 1);
	CHECK_EQ(vq.desc_fetches - fetches, 3);
	CHECK_EQ(vq_pop(&vq, &second), 1);
	CHECK_EQ(vq.desc_fetches - fetches, 3 + 3);
	/* the guest now rewrites everything into garbage */
	for (unsigned i = 0; i < 8; i++)
		raw_desc((uint16_t)i, 0xdead0000000ull, 0xffffffffu, D_INDIRECT | D_NEXT, 7);
	memset(gpa_ptr(TABLE_GPA), 0xff, 64);
	fetches = vq.desc_fetches;
	CHECK_EQ(first.head, h1);
	CHECK_EQ(first.nbufs, 3);
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ(first.bufs[i].gpa, direct[i].gpa);
		CHECK_EQ(first.bufs[i].len, direct[i].len);
		CHECK_EQ(first.bufs[i].device_writes, direct[i].writable);
		CHECK(first.bufs[i].host == gpa_ptr(direct[i].gpa));
	}
	CHECK_EQ(first.readable_bytes, 48);
	CHECK_EQ(first.writable_bytes, 64);
	CHECK_EQ(second.head, h2);
	CHECK_EQ(second.nbufs, 2);
	CHECK_EQ(second.bufs[0].gpa, table[0].gpa);
	CHECK_EQ(second.bufs[1].len, 4);
	CHECK(second.bufs[1].device_writes);
	/* completing them needs nothing from the descriptor table */
	CHECK_EQ(vq_push(&vq, h2, 4), 0);
	CHECK_EQ(vq_push(&vq, h1, 64), 0);
	CHECK_EQ(vq.desc_fetches, fetches);
	CHECK(vq_broken_reason(&vq) == NULL);
}

/* Random descriptor tables, tables and avail rings: the device never
 * crashes (ASan/UBSan watch), every chain it returns keeps its promises,
 * and anything else breaks the queue with a reason. Values are biased
 * towards the edges and towards valid chains, so both outcomes are common. */
static struct pvisor_virtq_desc random_desc(uint16_t entries)
{
	static const uint64_t addrs[] = { DATA_GPA, DATA_GPA + 0x10000, RAM_SIZE - 64, 0,
					  RAM_SIZE, HV_AREA_GPA, ~0ull - 7, TABLE_GPA };
	uint64_t r = check_rng();
	struct pvisor_virtq_desc d;

	d.addr = addrs[r % 8 < 4 ? r % 4 : r % 8] + (r >> 8) % 64;
	d.len = (r >> 16) % 16 == 0 ? (uint32_t)(r >> 32) : (uint32_t)((r >> 20) % 65);
	d.flags = (uint16_t)((r >> 40) % 4);                 /* NEXT, WRITE */
	if ((r >> 42) % 8 == 0)
		d.flags |= D_INDIRECT;
	if ((r >> 45) % 8 == 0)
		d.flags |= 8;                                    /* unknown: ignored */
	d.next = (uint16_t)((r >> 48) % (entries + 1u));
	if (d.flags & D_INDIRECT && (r >> 60) % 4) {
		d.addr = TABLE_GPA;
		d.len = 16 * (uint32_t)((r >> 52) % 10);
	}
	return d;
}

static void fuzz_random_rings(void)
{
	unsigned good = 0, broken = 0;

	check_rng_state = 0xfeedface;
	for (unsigned iter = 0; iter < 4000 && !check_case_failed; iter++) {
		uint16_t size = (uint16_t)(1u << (check_rng() % 5));
		uint64_t features = check_rng() & (F_INDIRECT | F_EVENT_IDX);
		unsigned navail = check_rng() % (size + 2u);

		setup(size, features);
		for (unsigned i = 0; i < size; i++)
			drv.desc[i] = random_desc(size);
		for (unsigned i = 0; i < 10; i++) {
			struct pvisor_virtq_desc d = random_desc(10);

			memcpy(gpa_ptr(TABLE_GPA + 16 * i), &d, sizeof(d));
		}
		for (unsigned i = 0; i < navail; i++)
			drv_publish((uint16_t)(check_rng() % (size + 1u)));
		for (unsigned n = 0; n < 2u * size + 2; n++) {
			int rc = vq_pop(&vq, &chain);

			if (rc < 0) {
				CHECK(vq_broken_reason(&vq) != NULL);
				broken++;
				break;
			}
			if (rc == 0)
				break;
			good++;
			check_chain_sane(&chain, size);
			if (check_rng() % 2)
				CHECK_EQ(vq_push(&vq, chain.head, (uint32_t)chain.writable_bytes), 0);
		}
	}
	printf("# fuzz: %u chains popped, %u queues broken\n", good, broken);
	CHECK(good > 500);
	CHECK(broken > 500);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);   /* keep result lines if a case crashes */
	guest_create(&guest, RAM_SIZE);
	cur = &guest;
	RUN(guest_phys_bounds);
	RUN(guest_phys_ballooned);
	RUN(init_rejects_bad_config);
	RUN(one_buffer_round_trip);
	RUN(readable_writable_chain);
	RUN(indices_wrap_past_65535);
	RUN(indirect_chains);
	RUN(zero_length_descriptors);
	RUN(held_pages);
	RUN(chain_as_long_as_allowed);
	RUN(used_notify_flags);
	RUN(used_notify_event_idx);
	RUN(need_event_formula);
	RUN(avail_notify_flags);
	RUN(avail_notify_event_idx);
	RUN(more_avail_closes_the_race);
	RUN(hostile_head_out_of_range);
	RUN(hostile_next_out_of_range);
	RUN(hostile_loop);
	RUN(hostile_chain_too_long);
	RUN(hostile_buffer_outside_ram);
	RUN(hostile_len_wraps);
	RUN(hostile_ballooned_buffer);
	RUN(hostile_writable_then_readable);
	RUN(hostile_indirect_without_feature);
	RUN(hostile_indirect_with_next);
	RUN(hostile_nested_indirect);
	RUN(hostile_indirect_bad_table);
	RUN(hostile_avail_idx_jump);
	RUN(hostile_head_made_available_twice);
	RUN(hostile_chain_over_4gib);
	RUN(push_unknown_head);
	RUN(rewrite_after_pop);
	RUN(fuzz_random_rings);
	guest_destroy(&guest);
	CHECK_EXIT();
}

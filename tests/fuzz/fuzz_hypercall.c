/* fuzz_hypercall.c: fuzzes the hypercall dispatcher (hv/core/hypercall.c)
 * and what it calls (pv_mmu.c, pagetable.c, evtchn.c, guest_access.c,
 * device.c), linked unchanged, against a fake domain without KVM: guest
 * RAM, hypervisor area and page-table pool in one heap block laid out as
 * guest_memory.c lays them out, the hypervisor area built and RAM
 * identity-mapped as domain.c does, and stand-ins (below) for the parts
 * that need KVM, a console or a vCPU thread.
 *
 * The input:
 *   [0]      bit 0: a hybrid domain (only the device calls are offered)
 *   [1]      page-table pool pages beyond the 8 the setup needs (% 64)
 *   [2]      the RAM pfn a (fake) device holds
 *   [3..]    up to MAX_OPS operations, each one byte and then:
 *            < 0xf0: hypercall (byte % (PVISOR_HC_COUNT + 2)), then five
 *                    arguments, each a tag byte and a value: tag % 4 =
 *                    0: u8, 1: a guest address le16 * 8, 2: le64,
 *                    3: special[u8]
 *            0xf0..0xf7: the guest stores u8 n bytes at gpa le16 * 4
 *            0xf8..0xff: the guest writes one MMU request at gpa le16 *
 *                    16: va le16 << 12, then a pte (see guest_pte())
 * After every hypercall the harness checks: a call that failed had no
 * effect at all (guest RAM, every mapping, map counts, the balloon, event
 * channels, vCPU callbacks, the outcome, console and TLB) except that a
 * failed MMU batch keeps the requests before the failing one and stores
 * their count; no mapping the guest can reach maps a page-table page, or
 * a hypervisor page writable, or a ballooned page; map counts match the
 * tables; page tables point only into the pool; event channel bindings
 * agree with each other; the hypervisor area never changes. ASan sees
 * any access outside the block. */
#include <stdlib.h>
#include <string.h>

#include <pvisor/pvisor.h>

#include "console/console.h"
#include "core/domain.h"
#include "core/layout.h"
#include "core/x86_setup.h"

#define NR_PAGES   32u
#define RAM_BYTES  (NR_PAGES * PAGE_SIZE)
#define POOL_MIN   8u
#define POOL_MAX   (POOL_MIN + 63u)
#define BLOCK      (RAM_BYTES + HV_AREA_SIZE + POOL_MAX * PAGE_SIZE)
#define MAX_OPS    24
#define MAX_LEAVES 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- The fake domain -------------------------------------------------------------- */

static struct domain dom;
static struct domain_config cfg;
static uint8_t *block;                 /* RAM, hypervisor area, pool */
static uint8_t hv_built[HV_AREA_SIZE];
static union {
	struct kvm_run run;
	uint8_t bytes[4096];
} run_page;
static uint64_t pinned_pfn;

/* What the stand-ins saw: any of it changing is an effect. */
struct effects {
	uint64_t console_out, console_in, discards, flushes, notifies, finishes, crashes;
	uint64_t timer, blocks, input_started;
};
static struct effects fx;

/* ---- Stand-ins for what needs KVM, a console or a vCPU thread ----------------------- */

void console_write(struct console *c, const void *buf, size_t len)
{
	volatile uint8_t sink = 0;

	for (size_t i = 0; i < len; i++)
		sink ^= ((const uint8_t *)buf)[i];
	(void)sink;
	fx.console_out += len;
}

long console_read(struct console *c, void *buf, size_t len)
{
	size_t n = len < 3 ? len : 3;

	if (!n)
		return -1;
	memcpy(buf, "in\n", n);
	fx.console_in += n;
	return (long)n;
}

void console_start_input(struct console *c)
{
	fx.input_started++;
}

void crash_report(struct domain *d, const char *what, const struct kvm_regs *regs,
		  uint64_t cr2, uint64_t vector, uint64_t error_code)
{
	if (!what || !regs)
		abort();
	fx.crashes++;
}

void crash_report_from_vcpu(struct vcpu *v, const char *what)
{
	fx.crashes++;
}

void domain_finish(struct domain *d, enum domain_outcome outcome, int status)
{
	if (d->outcome == OUTCOME_RUNNING)
		d->outcome = outcome;
	fx.finishes++;
}

int vcpu_set_timer(struct vcpu *v, uint64_t deadline)
{
	v->timer_deadline = deadline;
	fx.timer++;
	return 0;
}

long vcpu_block(struct vcpu *v, uint64_t deadline)
{
	fx.blocks++;
	return 0;
}

uint64_t pvclock_now(const struct pvclock *c)
{
	return 1000000;
}

int gmem_flush_tlb(struct guest_memory *gm)
{
	fx.flushes++;
	return 0;
}

/* The host takes the page back: it reads as zeroes afterwards. */
int gmem_discard_page(struct guest_memory *gm, uint64_t pfn)
{
	if (pfn >= NR_PAGES)
		abort();
	memset(gm->base + pfn * PAGE_SIZE, 0, PAGE_SIZE);
	fx.discards++;
	return 0;
}

static void notify(void *arg, unsigned vcpu)
{
	fx.notifies++;
}

/* A bus with one device that holds pinned_pfn. */
static bool bus_pins_pfn(void *bus, uint64_t pfn)
{
	return pfn == pinned_pfn;
}

static long bus_device_op(void *bus, uint64_t cmd, uint64_t index)
{
	return index == 0 && cmd < 4 ? 0 : -PVISOR_EINVAL;
}

static const struct bus_ops fake_bus = {
	.name = "fake", .pins_pfn = bus_pins_pfn, .device_op = bus_device_op,
};

/* ---- Setup --------------------------------------------------------------------------- */

/* RAM identity-mapped but pfn 0, as domain.c's map_ram: the hypercall
 * page read-only, the rest writable. */
static void map_ram(void)
{
	bool flush = false;

	for (uint64_t pfn = 1; pfn < NR_PAGES; pfn++) {
		uint64_t gpa = pfn << PAGE_SHIFT;
		uint64_t pte = gpa | PTE_P | PTE_U | (gpa == PVISOR_HYPERCALL_PAGE_GVA ? 0 : PTE_W | PTE_NX);

		if (pv_mmu_set(&dom.mmu, gpa, pte, &flush) < 0)
			abort();
	}
}

static void domain_setup(uint8_t flags, uint8_t pool_extra, uint8_t pinned)
{
	uint64_t pool_pages = POOL_MIN + pool_extra % (POOL_MAX - POOL_MIN + 1);

	if (!block && !(block = malloc(BLOCK)))
		abort();
	memset(block, 0, BLOCK);
	memset(&dom, 0, sizeof(dom));
	memset(&fx, 0, sizeof(fx));
	cfg.mode = (flags & 1) ? DOMAIN_MODE_HYBRID : DOMAIN_MODE_PV;
	dom.cfg = &cfg;
	dom.gm.base = block;
	dom.gm.ram_size = RAM_BYTES;
	dom.gm.hv = block + RAM_BYTES;
	dom.gm.pt = block + RAM_BYTES + HV_AREA_SIZE;
	dom.gm.pt_pages = pool_pages;
	dom.gm.memfd = dom.gm.vm_fd = -1;
	if (pv_mmu_init(&dom.mmu, dom.gm.pt, PT_AREA_GPA, pool_pages, NR_PAGES) < 0 ||
	    x86_build_hv_area(dom.gm.hv, &dom.mmu) < 0)
		abort();
	map_ram();
	memcpy(hv_built, dom.gm.hv, HV_AREA_SIZE);
	dom.view = (struct guest_view){ &dom.mmu, &dom.gm };
	dom.shared = (struct pvisor_shared_info *)(block + PVISOR_SHARED_INFO_GVA);
	evtchn_init(&dom.evtchn, dom.shared, 1, notify, NULL);
	pthread_mutex_init(&dom.held_lock, NULL);
	dom.nr_vcpus = 1;
	dom.vcpus[0].dom = &dom;
	dom.vcpus[0].run = &run_page.run;
	run_page.run.io.data_offset = 256;
	pinned_pfn = pinned % NR_PAGES;
	if (domain_add_bus(&dom, &fake_bus, NULL) < 0)
		abort();
}

static void domain_teardown(void)
{
	evtchn_destroy(&dom.evtchn);
	pthread_mutex_destroy(&dom.held_lock);
	pv_mmu_destroy(&dom.mmu);
}

/* ---- Walking the page tables ----------------------------------------------------------- */

struct leaf {
	uint64_t va, pte;
};

/* The tables of a pool whose pages start at host (the live pool or a
 * copy of it). */
struct tables {
	const uint8_t *host;
	uint64_t used;
};

static const uint64_t *table_at(const struct tables *t, uint64_t entry)
{
	uint64_t gpa = entry & PTE_FRAME_MASK;

	if (gpa < PT_AREA_GPA || gpa >= PT_AREA_GPA + t->used * PAGE_SIZE)
		abort();   /* a table entry points outside the pool */
	return (const uint64_t *)(t->host + (gpa - PT_AREA_GPA));
}

static uint64_t canonical(uint64_t va)
{
	return (va & (1ull << 47)) ? va | 0xffff000000000000ull : va;
}

static void walk(const struct tables *t, const uint64_t *table, int level, uint64_t va,
		 struct leaf *out, unsigned *n)
{
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t e = table[i], at = va | i << (PAGE_SHIFT + 9 * level);

		if (!(e & PTE_P))
			continue;
		if (level == 0) {
			if (*n == MAX_LEAVES)
				abort();
			out[(*n)++] = (struct leaf){ canonical(at), e };
		} else {
			walk(t, table_at(t, e), level - 1, at, out, n);
		}
	}
}

static unsigned leaves_of(const struct tables *t, struct leaf *out)
{
	unsigned n = 0;

	walk(t, (const uint64_t *)t->host, 3, 0, out, &n);
	return n;
}

/* ---- Invariants that always hold --------------------------------------------------------- */

static bool in_hv_area(uint64_t gpa)
{
	return gpa >= HV_AREA_GPA && gpa < HV_AREA_GPA + HV_AREA_SIZE;
}

static bool in_pool(uint64_t gpa)
{
	return gpa >= PT_AREA_GPA && gpa < PT_AREA_GPA + dom.mmu.pool.pages * PAGE_SIZE;
}

/* What a leaf may map: guest RAM that is not ballooned out, a hypervisor
 * page read-only for the guest, or writable only where the hypervisor
 * put it (its own area, supervisor-only); never a page-table page
 * writable. */
static void check_leaf(const struct leaf *l)
{
	uint64_t gpa = l->pte & PTE_FRAME_MASK, pfn = gpa >> PAGE_SHIFT;
	bool hv_own = l->va - HV_AREA_VA == gpa - HV_AREA_GPA && !(l->pte & PTE_U);

	if ((l->va >> 63) && (l->pte & PTE_U))
		abort();   /* the upper half is the hypervisor's */
	if (pfn < NR_PAGES) {
		if (dom.mmu.ballooned[pfn])
			abort();   /* a ballooned-out page is still mapped */
	} else if (in_pool(gpa)) {
		if (l->pte & PTE_W)
			abort();   /* a page table mapped writable */
	} else if (in_hv_area(gpa)) {
		if ((l->pte & PTE_W) && !hv_own)
			abort();   /* a hypervisor page mapped writable */
	} else {
		abort();   /* a frame that is neither RAM nor the hypervisor's */
	}
}

static struct leaf now[MAX_LEAVES], before[MAX_LEAVES];
static unsigned nnow, nbefore;

static void check_mappings(void)
{
	uint32_t count[NR_PAGES] = { 0 };
	uint64_t ballooned = 0;
	struct tables t = { dom.mmu.pool.host, dom.mmu.pool.used };

	nnow = leaves_of(&t, now);
	for (unsigned i = 0; i < nnow; i++) {
		uint64_t pfn = (now[i].pte & PTE_FRAME_MASK) >> PAGE_SHIFT;

		check_leaf(&now[i]);
		if (pfn < NR_PAGES)
			count[pfn]++;
	}
	for (unsigned pfn = 0; pfn < NR_PAGES; pfn++) {
		if (count[pfn] != dom.mmu.mapcount[pfn])
			abort();   /* map counts disagree with the tables */
		ballooned += dom.mmu.ballooned[pfn];
	}
	if (ballooned != dom.mmu.ballooned_pages || dom.mmu.pool.used > dom.mmu.pool.pages)
		abort();
}

static void check_event_channels(void)
{
	const struct evtchn_table *t = &dom.evtchn;

	for (unsigned v = 0; v < PVISOR_NR_VIRQS; v++) {
		uint32_t p = t->virq_port[v];

		if (p && (p >= PVISOR_NR_EVENT_PORTS || t->ports[p].virq != v || t->ports[p].state == 0))
			abort();
	}
	for (unsigned p = 1; p < PVISOR_NR_EVENT_PORTS; p++) {
		const struct evtchn_port *e = &t->ports[p];

		if (e->remote_port && e->remote_port >= PVISOR_NR_EVENT_PORTS)
			abort();
		if (e->state == 2 /* interdomain */ && t->ports[e->remote_port].remote_port != p)
			abort();   /* a pair that does not point back */
	}
	if (t->ports[0].state)
		abort();
}

static void check_invariants(void)
{
	check_mappings();
	check_event_channels();
	if (memcmp(dom.gm.hv, hv_built, HV_AREA_SIZE))
		abort();   /* the hypervisor area changed */
}

/* ---- "A hypercall that fails has had no effect" ------------------------------------------- */

struct snapshot {
	uint8_t ram[RAM_BYTES];
	uint8_t pool[POOL_MAX * PAGE_SIZE];
	uint64_t pool_used;
	uint32_t mapcount[NR_PAGES];
	uint8_t ballooned[NR_PAGES];
	struct evtchn_port ports[PVISOR_NR_EVENT_PORTS];
	uint32_t virq_port[PVISOR_NR_VIRQS];
	uint64_t upcall_entry, trap_entry, trap_stack, trap_mask, timer_deadline;
	enum domain_outcome outcome;
	struct effects fx;
};

static struct snapshot snap;

static void take_snapshot(void)
{
	const struct vcpu *v = &dom.vcpus[0];

	memcpy(snap.ram, dom.gm.base, RAM_BYTES);
	snap.pool_used = dom.mmu.pool.used;
	memcpy(snap.pool, dom.mmu.pool.host, snap.pool_used * PAGE_SIZE);
	memcpy(snap.mapcount, dom.mmu.mapcount, sizeof(snap.mapcount));
	memcpy(snap.ballooned, dom.mmu.ballooned, sizeof(snap.ballooned));
	memcpy(snap.ports, dom.evtchn.ports, sizeof(snap.ports));
	memcpy(snap.virq_port, dom.evtchn.virq_port, sizeof(snap.virq_port));
	snap.upcall_entry = v->upcall_entry;
	snap.trap_entry = v->trap_entry;
	snap.trap_stack = v->trap_stack;
	snap.trap_mask = v->trap_mask;
	snap.timer_deadline = v->timer_deadline;
	snap.outcome = dom.outcome;
	snap.fx = fx;
}

/* The guest's view as it was before the call (its RAM and tables). */
static void snapshot_view(struct pv_mmu *mmu, struct guest_memory *gm, struct guest_view *g)
{
	*mmu = dom.mmu;
	mmu->pool.host = snap.pool;
	mmu->pool.used = snap.pool_used;
	*gm = dom.gm;
	gm->base = snap.ram;
	*g = (struct guest_view){ mmu, gm };
}

/* The page-table leaves of the snapshot. */
static void snapshot_leaves(void)
{
	struct tables t = { snap.pool, snap.pool_used };

	nbefore = leaves_of(&t, before);
}

static bool same_leaves(void)
{
	return nnow == nbefore && !memcmp(now, before, nnow * sizeof(now[0]));
}

static void check_no_effect(void)
{
	const struct vcpu *v = &dom.vcpus[0];

	snapshot_leaves();
	if (memcmp(snap.ram, dom.gm.base, RAM_BYTES) || !same_leaves() ||
	    memcmp(snap.mapcount, dom.mmu.mapcount, sizeof(snap.mapcount)) ||
	    memcmp(snap.ballooned, dom.mmu.ballooned, sizeof(snap.ballooned)) ||
	    memcmp(snap.ports, dom.evtchn.ports, sizeof(snap.ports)) ||
	    memcmp(snap.virq_port, dom.evtchn.virq_port, sizeof(snap.virq_port)) ||
	    snap.upcall_entry != v->upcall_entry || snap.trap_entry != v->trap_entry ||
	    snap.trap_stack != v->trap_stack || snap.trap_mask != v->trap_mask ||
	    snap.timer_deadline != v->timer_deadline || snap.outcome != dom.outcome ||
	    memcmp(&snap.fx, &fx, sizeof(fx)))
		abort();   /* a hypercall that failed had an effect */
}

/* The leaf for va in a sorted list, or 0. */
static uint64_t leaf_pte(const struct leaf *l, unsigned n, uint64_t va)
{
	for (unsigned i = 0; i < n; i++)
		if (l[i].va == va)
			return l[i].pte;
	return 0;
}

/* Sets (pte 0: removes) the leaf for va in a sorted list. */
static void set_leaf(struct leaf *l, unsigned *n, uint64_t va, uint64_t pte)
{
	unsigned i = 0;

	while (i < *n && l[i].va < va)
		i++;
	if (i < *n && l[i].va == va) {
		if (pte)
			l[i].pte = pte;
		else
			memmove(&l[i], &l[i + 1], (--*n - i) * sizeof(*l));
	} else if (pte) {
		if (*n == MAX_LEAVES)
			abort();
		memmove(&l[i + 1], &l[i], (*n - i) * sizeof(*l));
		l[i] = (struct leaf){ va, pte };
		(*n)++;
	}
}

static struct pvisor_mmu_update reqs[PVISOR_MMU_BATCH_MAX];

static bool requested(uint64_t va, uint64_t count)
{
	for (uint64_t k = 0; k < count; k++)
		if (reqs[k].va == va)
			return true;
	return false;
}

/* Reads the uint64_t the guest had at gva before the call (through its
 * tables then; the batch may have unmapped it) from RAM as it is now,
 * and puts it into the snapshot, so that it is the one change allowed. */
static uint64_t read_done(const struct guest_view *g, uint64_t gva)
{
	uint64_t done = 0;

	for (unsigned i = 0; i < 8; i++) {
		uint64_t at = gva + i;
		uint64_t gpa = (pt_lookup(&g->mmu->pool, at & PAGE_MASK) & PTE_FRAME_MASK) + (at & ~PAGE_MASK);

		if (gpa >= RAM_BYTES)
			abort();
		done |= (uint64_t)dom.gm.base[gpa] << (8 * i);
		snap.ram[gpa] = dom.gm.base[gpa];
	}
	return done;
}

/* A failed MMU batch: the requests before the failing one applied (the
 * user bit added), their count stored at `done`, nothing else changed. */
static void check_failed_batch(const uint64_t a[5])
{
	static struct leaf model[MAX_LEAVES];
	unsigned nmodel = 0;
	struct pv_mmu mmu;
	struct guest_memory gm;
	struct guest_view g;
	uint64_t done;

	snapshot_view(&mmu, &gm, &g);
	snapshot_leaves();
	if (a[1] > PVISOR_MMU_BATCH_MAX || guest_copy_from(&g, reqs, a[0], a[1] * sizeof(reqs[0])) < 0 ||
	    (a[2] && guest_check(&g, a[2], 8, 1) < 0))
		abort();   /* it should have failed with -EFAULT */
	done = a[2] ? read_done(&g, a[2]) : a[1];
	if (memcmp(snap.ram, dom.gm.base, RAM_BYTES) || done > a[1] || (a[2] && done == a[1]))
		abort();   /* RAM changed beyond `done`, or a wrong count */
	if (a[2]) {
		memcpy(model, before, nbefore * sizeof(model[0]));
		nmodel = nbefore;
		for (uint64_t k = 0; k < done; k++)
			set_leaf(model, &nmodel, reqs[k].va, reqs[k].pte ? reqs[k].pte | PTE_U : 0);
		if (nmodel != nnow || memcmp(model, now, nnow * sizeof(now[0])))
			abort();   /* the mappings are not those of the applied requests */
		return;
	}
	for (unsigned i = 0; i < nnow; i++)
		if (leaf_pte(before, nbefore, now[i].va) != now[i].pte && !requested(now[i].va, done))
			abort();   /* a mapping changed that no request asked for */
	for (unsigned i = 0; i < nbefore; i++)
		if (leaf_pte(now, nnow, before[i].va) != before[i].pte && !requested(before[i].va, done))
			abort();
}

/* ---- Running the input ---------------------------------------------------------------------- */

static const uint64_t special[] = {
	0, 1, ~0ull, PVISOR_GUEST_VA_END - 8, PVISOR_GUEST_VA_END, HV_AREA_VA, HV_AREA_GPA,
	PT_AREA_GPA, PVISOR_MMU_BATCH_MAX, PVISOR_MMU_BATCH_MAX + 1ull, PVISOR_MEMORY_OP_MAX,
	1ull << 63, PVISOR_SHARED_INFO_GVA, PVISOR_HYPERCALL_PAGE_GVA, RAM_BYTES - 8, RAM_BYTES,
	PVISOR_GUEST_VA_MIN, 0x7ffffffff000ull, PVISOR_DOMID_SELF, PVISOR_DOMID_BACKEND,
	PVISOR_NR_EVENT_PORTS - 1, PVISOR_NR_EVENT_PORTS,
};

struct input {
	const uint8_t *data;
	size_t size, pos;
};

static uint8_t u8(struct input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static uint64_t le(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)u8(in) << (8 * i);
	return v;
}

static uint64_t argument(struct input *in)
{
	uint8_t tag = u8(in);

	switch (tag % 4) {
	case 0:  return u8(in);
	case 1:  return le(in, 2) * 8;
	case 2:  return le(in, 8);
	default: return special[u8(in) % (sizeof(special) / sizeof(special[0]))];
	}
}

/* A pte from the input: a flags byte (bit 0 P, 1 W, 2 U, 3 A, 4 D, 5 NX,
 * 6 a bit outside PVISOR_PTE_ALLOWED, 7 the pte is 0), then a frame: tag
 * % 4 = 0: RAM pfn u8 % (pages + 4), 1: a hypervisor page, 2: a pool
 * page, 3: le64. */
static uint64_t guest_pte(struct input *in)
{
	static const uint64_t bits[7] = { PTE_P, PTE_W, PTE_U, 1ull << 5, 1ull << 6, PTE_NX, PTE_PS };
	uint8_t flags = u8(in), tag = u8(in);
	uint64_t pte = 0;

	for (unsigned i = 0; i < 7; i++)
		if (flags >> i & 1)
			pte |= bits[i];
	switch (tag % 4) {
	case 0:  pte |= (uint64_t)(u8(in) % (NR_PAGES + 4)) << PAGE_SHIFT; break;
	case 1:  pte |= HV_AREA_GPA + (uint64_t)(u8(in) % 17) * PAGE_SIZE; break;
	case 2:  pte |= PT_AREA_GPA + (uint64_t)(u8(in) % (POOL_MAX + 1)) * PAGE_SIZE; break;
	default: pte = le(in, 8); break;
	}
	return (flags & 0x80) ? 0 : pte;
}

static void guest_store(struct input *in)
{
	uint64_t gpa = le(in, 2) * 4 % RAM_BYTES;
	unsigned n = u8(in);

	for (unsigned i = 0; i < n; i++) {
		uint8_t b = u8(in);

		if (gpa + i < RAM_BYTES)
			dom.gm.base[gpa + i] = b;
	}
}

static void guest_mmu_request(struct input *in)
{
	uint64_t gpa = le(in, 2) * 16 % RAM_BYTES;
	struct pvisor_mmu_update req;

	req.va = le(in, 2) << PAGE_SHIFT;
	req.pte = guest_pte(in);
	memcpy(dom.gm.base + gpa, &req, sizeof(req));
}

static void hypercall(struct input *in, uint8_t op)
{
	uint32_t nr = op % (PVISOR_HC_COUNT + 2);
	struct kvm_regs regs;
	uint64_t a[5];
	long rc;

	for (int i = 0; i < 5; i++)
		a[i] = argument(in);
	memset(&regs, 0, sizeof(regs));
	regs.rdi = a[0];
	regs.rsi = a[1];
	regs.rdx = a[2];
	regs.r10 = a[3];
	regs.r8 = a[4];
	memcpy(run_page.bytes + run_page.run.io.data_offset, &nr, sizeof(nr));
	take_snapshot();
	hypercall_dispatch(&dom.vcpus[0], &regs);
	rc = (long)regs.rax;
	check_invariants();
	if (rc >= 0)
		return;
	if (nr == PVISOR_HC_MMU_UPDATE && cfg.mode == DOMAIN_MODE_PV && rc != -PVISOR_EFAULT &&
	    rc != -PVISOR_E2BIG)
		check_failed_batch(a);
	else
		check_no_effect();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };
	uint8_t flags = u8(&in), pool_extra = u8(&in), pinned = u8(&in);

	domain_setup(flags, pool_extra, pinned);
	check_invariants();
	for (int i = 0; i < MAX_OPS && in.pos < in.size; i++) {
		uint8_t op = u8(&in);

		if (op >= 0xf8)
			guest_mmu_request(&in);
		else if (op >= 0xf0)
			guest_store(&in);
		else
			hypercall(&in, op);
	}
	domain_teardown();
	return 0;
}

/* modes.c: one workload of the mode comparison (bench/modes.sh), run the
 * same way in PV, hybrid and full mode (docs/full-virt.md). It uses only
 * the portable pv_* interfaces and does not know which mode it runs in;
 * exits are counted outside, by `pvisor run --stats`.
 *
 * argv: WORKLOAD N [SLEEP_US]. Sets up, reads the clock, runs N operations of
 * WORKLOAD, reads the clock, prints
 *
 *	RESULT <workload> ops=<ops> ns=<guest ns for the ops>
 *
 * and exits 0. N = 0 runs the same boot and setup and no operation: the
 * script subtracts that run's exits. Workloads (op = ...):
 *
 *   null      one `outb` to the PV null port 0xe5 (an unowned port in
 *             hybrid and full mode): one exit each, the exit baseline
 *   cpu       one iteration of a 6-instruction arithmetic loop
 *   clock     one pv_clock_ns()
 *   timer     one sleep of 500 µs (argv[3] µs): program a timer, take its
 *             interrupt or event, switch back; the RESULT line adds
 *             slept_ns = N * 500 µs, and the tick's cost is ns - slept_ns
 *   console   one byte, written 4 KiB at a time, flushed at the end
 *             (N defaults to 1 MiB)
 *   blk_qd1   one random 4 KiB read, synchronous
 *   blk_qd32  one random 4 KiB read, 32 kept in flight (pv_blk_submit /
 *             pv_blk_wait_any)
 *   blk_seq   one sequential 128 KiB read, synchronous
 *   net_tx    one 64-byte frame to the broadcast MAC (pv_net_send)
 *   mmu       one page mapped and unmapped: N rounds of mapping 10,000
 *             pages into a reserved vmap range and unmapping them
 *             (ops = 10,000 * N)
 *   ctxsw     one switch between two threads ping-ponging through two
 *             semaphores (ops = N rounded down to even)
 *
 * A missing device, or any failing call, prints "modes: WORKLOAD: ..." and
 * exits 2 (1 for a bad command line).
 *
 * No SIMD in this file: in hybrid and full mode it runs at CPL0, which
 * nested-PVM hosts emulate, and their emulator stops the domain at SSE
 * arithmetic (guest/guest.mk); gcc would vectorize the loops here. */
#pragma GCC target("general-regs-only")
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pv/blk.h>
#include <pv/net.h>
#include <pv/pv.h>

#define NULL_PORT	0xe5	/* PVISOR_PORT_NULL */
#define BLK_SMALL	4096u
#define BLK_LARGE	(128u * 1024)
#define BLK_DEPTH	32u
#define CONSOLE_CHUNK	4096u
#define MMU_PAGES	10000u
#define MMU_FRAMES	256u	/* distinct frames the 10,000 pages cycle over */

static const char *workload;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static int fail(const char *what, long err)
{
	printf("modes: %s: %s (%ld)\n", workload, what, err);
	return 2;
}

static void result(uint64_t ops, uint64_t ns)
{
	printf("\nRESULT %s ops=%llu ns=%llu\n", workload, (unsigned long long)ops,
	       (unsigned long long)ns);
}

/* ---- exits and CPU ---------------------------------------------------------- */

static int run_null(uint64_t n)
{
	uint64_t t0 = pv_clock_ns();

	for (uint64_t i = 0; i < n; i++)
		__asm__ volatile("outb %%al, %0" : : "i"(NULL_PORT), "a"(0) : "memory");
	result(n, pv_clock_ns() - t0);
	return 0;
}

/* Exactly six instructions per iteration, whatever the compiler does. */
static int run_cpu(uint64_t n)
{
	uint64_t a = 1, d = 0x2545f4914f6cdd1dull, c = n, t0 = pv_clock_ns();

	if (c)
		__asm__ volatile("1:\n\t"
				 "imul %%rdx, %%rax\n\t"
				 "add $7, %%rax\n\t"
				 "xor %%rax, %%rdx\n\t"
				 "ror $13, %%rdx\n\t"
				 "dec %%rcx\n\t"
				 "jnz 1b"
				 : "+a"(a), "+d"(d), "+c"(c) : : "cc");
	result(n, pv_clock_ns() - t0);
	printf("modes: cpu: 6 instructions per iteration, result %llx\n",
	       (unsigned long long)(a ^ d));
	return 0;
}

static volatile uint64_t sink;

static int run_clock(uint64_t n)
{
	uint64_t t0 = pv_clock_ns();

	for (uint64_t i = 0; i < n; i++)
		sink += pv_clock_ns();
	result(n, pv_clock_ns() - t0);
	return 0;
}

/* The sleep must outlast the path to the timer: at CPL0 on a nested host
 * that path alone takes tens of µs, and a deadline already past arms no
 * timer (a 1 µs sleep then measures the sleep call, no interrupt). So the
 * op sleeps timer_sleep_us (default 500) and "slept_ns" tells the script
 * how much of ns was asked-for sleep: the rest is the tick's cost. */
static uint64_t timer_sleep_us = 500;

static int run_timer(uint64_t n)
{
	uint64_t t0 = pv_clock_ns();

	for (uint64_t i = 0; i < n; i++)
		pv_sleep_us(timer_sleep_us);
	uint64_t ns = pv_clock_ns() - t0;

	printf("\nRESULT %s ops=%llu ns=%llu slept_ns=%llu\n", workload, (unsigned long long)n,
	       (unsigned long long)ns, (unsigned long long)(n * timer_sleep_us * 1000));
	return 0;
}

/* ---- console ------------------------------------------------------------------ */

static char chunk[CONSOLE_CHUNK];

static int run_console(uint64_t n)
{
	uint64_t t0;

	memset(chunk, '.', sizeof(chunk));
	chunk[sizeof(chunk) - 1] = '\n';
	pv_console_flush();
	t0 = pv_clock_ns();
	for (uint64_t done = 0; done < n;) {
		size_t len = n - done < CONSOLE_CHUNK ? (size_t)(n - done) : CONSOLE_CHUNK;
		long rc = pv_console_write(chunk, len);

		if (rc < 0)
			return fail("pv_console_write failed", rc);
		done += len;
	}
	pv_console_flush();
	result(n, pv_clock_ns() - t0);
	return 0;
}

/* ---- block ---------------------------------------------------------------------- */

static struct pv_blk *disk;

static int open_disk(void)
{
	int rc = pv_blk_open(0, &disk);

	if (rc < 0)
		return fail("no disk (pv_blk_open failed: run with --disk IMAGE)", rc);
	if (pv_blk_sectors(disk) < 2 * BLK_LARGE / PV_BLK_SECTOR)
		return fail("disk too small, sectors", (long)pv_blk_sectors(disk));
	return 0;
}

static uint64_t random_4k_sector(void)
{
	uint64_t per = BLK_SMALL / PV_BLK_SECTOR;

	return (rnd() % (pv_blk_sectors(disk) / per)) * per;
}

static int run_blk_qd1(uint64_t n)
{
	uint8_t *buf;
	uint64_t t0;
	int rc = open_disk();

	if (rc)
		return rc;
	buf = aligned_alloc(PV_PAGE_SIZE, BLK_SMALL);
	if (!buf)
		return fail("out of memory", 0);
	t0 = pv_clock_ns();
	for (uint64_t i = 0; i < n; i++) {
		rc = pv_blk_read(disk, random_4k_sector(), buf, BLK_SMALL);
		if (rc < 0)
			return fail("pv_blk_read failed", rc);
	}
	result(n, pv_clock_ns() - t0);
	pv_blk_close(disk);
	return 0;
}

struct qd_state {
	struct pv_blk_req reqs[BLK_DEPTH];
	struct pv_blk_req *finished[BLK_DEPTH];
	unsigned nr_finished;
	int error;
};

static void qd_done(struct pv_blk_req *req)
{
	struct qd_state *s = req->arg;

	if (req->status && !s->error)
		s->error = req->status;
	s->finished[s->nr_finished++] = req;
}

static int run_blk_qd32(uint64_t n)
{
	static struct qd_state s;
	uint64_t submitted = 0, completed = 0, t0;
	int rc = open_disk();

	if (rc)
		return rc;
	for (unsigned i = 0; i < BLK_DEPTH; i++) {
		s.reqs[i] = (struct pv_blk_req){ .op = PV_BLK_READ, .len = BLK_SMALL,
						 .on_done = qd_done, .arg = &s };
		s.reqs[i].buf = aligned_alloc(PV_PAGE_SIZE, BLK_SMALL);
		if (!s.reqs[i].buf)
			return fail("out of memory", 0);
	}
	t0 = pv_clock_ns();
	for (unsigned i = 0; i < BLK_DEPTH && submitted < n; i++, submitted++) {
		s.reqs[i].sector = random_4k_sector();
		rc = pv_blk_submit(disk, &s.reqs[i]);
		if (rc < 0)
			return fail("pv_blk_submit failed", rc);
	}
	while (completed < n) {
		unsigned got;

		rc = pv_blk_wait_any(disk);
		if (rc < 0)
			return fail("pv_blk_wait_any failed", rc);
		if (s.error)
			return fail("a read failed", s.error);
		got = s.nr_finished;
		s.nr_finished = 0;
		completed += got;
		for (unsigned i = 0; i < got && submitted < n; i++, submitted++) {
			s.finished[i]->sector = random_4k_sector();
			rc = pv_blk_submit(disk, s.finished[i]);
			if (rc < 0)
				return fail("pv_blk_submit failed", rc);
		}
	}
	result(n, pv_clock_ns() - t0);
	pv_blk_close(disk);
	return 0;
}

static int run_blk_seq(uint64_t n)
{
	uint64_t per = BLK_LARGE / PV_BLK_SECTOR, blocks, t0;
	uint8_t *buf;
	int rc = open_disk();

	if (rc)
		return rc;
	blocks = pv_blk_sectors(disk) / per;
	buf = aligned_alloc(PV_PAGE_SIZE, BLK_LARGE);
	if (!buf)
		return fail("out of memory", 0);
	t0 = pv_clock_ns();
	for (uint64_t i = 0; i < n; i++) {
		rc = pv_blk_read(disk, (i % blocks) * per, buf, BLK_LARGE);
		if (rc < 0)
			return fail("pv_blk_read failed", rc);
	}
	result(n, pv_clock_ns() - t0);
	pv_blk_close(disk);
	return 0;
}

/* ---- network ---------------------------------------------------------------------- */

static int run_net_tx(uint64_t n)
{
	uint8_t frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct pv_net *net;
	uint64_t t0, until;
	int rc = pv_net_open(&net, 0);

	if (rc < 0)
		return fail("no NIC (pv_net_open failed: run with --net tap=NAME)", rc);
	pv_net_mac(net, frame + PV_NET_ALEN);
	frame[12] = 0x88;	/* ethertype 0x88b5: local experimental */
	frame[13] = 0xb5;
	for (size_t i = PV_NET_HLEN; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	/* The script brings the link up before the guest starts; wait in case. */
	until = pv_clock_ns() + 5 * PV_NSEC_PER_SEC;
	while (!pv_net_link_up(net) && pv_clock_ns() < until)
		pv_sleep_ms(10);
	t0 = pv_clock_ns();
	for (uint64_t i = 0; i < n; i++) {
		rc = pv_net_send(net, frame, sizeof(frame));
		if (rc < 0)
			return fail("pv_net_send failed", rc);
	}
	result(n, pv_clock_ns() - t0);
	pv_net_close(net);
	return 0;
}

/* ---- memory mapping ------------------------------------------------------------------ */

static uint64_t mmu_pfns[MMU_PAGES];

static int run_mmu(uint64_t n)
{
	uint8_t *frames = pv_pages_alloc(MMU_FRAMES);
	void *va = pv_vmap_reserve(MMU_PAGES);
	uint64_t t0;
	int rc;

	if (!frames || !va)
		return fail("cannot get frames or vmap space", 0);
	for (unsigned i = 0; i < MMU_PAGES; i++)
		mmu_pfns[i] = pv_virt_to_pfn(frames) + i % MMU_FRAMES;
	t0 = pv_clock_ns();
	for (uint64_t r = 0; r < n; r++) {
		rc = pv_map_pages(va, mmu_pfns, MMU_PAGES, PV_MAP_WRITE);
		if (rc < 0)
			return fail("pv_map_pages failed", rc);
		rc = pv_unmap_pages(va, MMU_PAGES);
		if (rc < 0)
			return fail("pv_unmap_pages failed", rc);
	}
	result(n * MMU_PAGES, pv_clock_ns() - t0);
	pv_vmap_release(va, MMU_PAGES);
	pv_pages_free(frames, MMU_FRAMES);
	return 0;
}

/* ---- context switches -------------------------------------------------------------------- */

static struct pv_sem ping, pong;
static uint64_t rounds;

static void *ponger(void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < rounds; i++) {
		pv_sem_wait(&ping);
		pv_sem_post(&pong);
	}
	return NULL;
}

/* Each round is two switches: main posts and blocks (-> ponger), ponger
 * posts and blocks (-> main). */
static int run_ctxsw(uint64_t n)
{
	pv_thread_t *t;
	uint64_t t0;

	rounds = n / 2;
	pv_sem_init(&ping, 0);
	pv_sem_init(&pong, 0);
	t = pv_thread_create(ponger, NULL, NULL);
	if (!t)
		return fail("pv_thread_create failed", 0);
	pv_thread_yield();	/* let it start and block on ping */
	t0 = pv_clock_ns();
	for (uint64_t i = 0; i < rounds; i++) {
		pv_sem_post(&ping);
		pv_sem_wait(&pong);
	}
	result(2 * rounds, pv_clock_ns() - t0);
	pv_thread_join(t, NULL);
	return 0;
}

/* ---- main ------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*run)(uint64_t n);
	uint64_t default_n;
} workloads[] = {
	{ "null", run_null, 1000 },
	{ "cpu", run_cpu, 1000000 },
	{ "clock", run_clock, 100000 },
	{ "timer", run_timer, 1000 },
	{ "console", run_console, 1u << 20 },
	{ "blk_qd1", run_blk_qd1, 1000 },
	{ "blk_qd32", run_blk_qd32, 1000 },
	{ "blk_seq", run_blk_seq, 100 },
	{ "net_tx", run_net_tx, 10000 },
	{ "mmu", run_mmu, 1 },
	{ "ctxsw", run_ctxsw, 10000 },
};

int main(int argc, char **argv)
{
	for (size_t i = 0; argc > 1 && i < sizeof(workloads) / sizeof(workloads[0]); i++) {
		if (strcmp(argv[1], workloads[i].name))
			continue;
		workload = workloads[i].name;
		if (argc > 3)
			timer_sleep_us = strtoull(argv[3], NULL, 0);
		return workloads[i].run(argc > 2 ? strtoull(argv[2], NULL, 0) : workloads[i].default_n);
	}
	printf("modes: usage: WORKLOAD [N]; WORKLOAD is one of");
	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		printf(" %s", workloads[i].name);
	printf("\n");
	return 1;
}

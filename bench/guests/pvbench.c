/* pvbench.c: the PV foundation benchmarks, run inside a guest. Each line
 * "RESULT name value unit exits_per_op" is one median figure; bench/run
 * turns them into docs/benchmarks.md. Each comparison is taken in this one
 * run, interleaved, so host noise hits both sides alike. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pv/hypercall.h>
#include <pv/pv.h>

#include "cpu_work.h"

#define REPEATS 9

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_u64);
	return v[n / 2];
}

static uint64_t exits(void)
{
	return (uint64_t)pv_hypercall1(PVISOR_HC_VCPU_INFO, PVISOR_VCPU_INFO_EXITS);
}

static void result(const char *name, double value, const char *unit, double exits_per_op)
{
	printf("RESULT %s %.3f %s %.5f\n", name, value, unit, exits_per_op);
}

/* ---- null hypercall vs the bare trapping instruction -------------------- */

static void bare_exit(void)
{
	__asm__ volatile("out %%al, %0" : : "i"(PVISOR_PORT_NULL), "a"(0) : "memory");
}

static void null_hypercall(void)
{
	pv_hypercall1(PVISOR_HC_VERSION, PVISOR_VERSION_ABI);
}

/* Average ns per call over `n` calls of fn; exits per call in *epo. */
static double time_calls(void (*fn)(void), int n, double *epo)
{
	uint64_t e0 = exits(), t0 = pv_clock_ns();

	for (int i = 0; i < n; i++)
		fn();
	uint64_t t1 = pv_clock_ns(), e1 = exits();
	*epo = (double)(e1 - e0 - 1) / n;
	return (double)(t1 - t0) / n;
}

static void bench_hypercall(void)
{
	uint64_t bare[REPEATS], hc[REPEATS];
	double epo_bare = 0, epo_hc = 0;
	const int n = 500;

	time_calls(null_hypercall, 50, &epo_hc);  /* warm up */
	for (int r = 0; r < REPEATS; r++) {
		bare[r] = (uint64_t)(time_calls(bare_exit, n, &epo_bare) * 1000);
		hc[r] = (uint64_t)(time_calls(null_hypercall, n, &epo_hc) * 1000);
	}
	double b = median(bare, REPEATS) / 1000.0, h = median(hc, REPEATS) / 1000.0;
	result("bare_exit_ns", b, "ns", epo_bare);
	result("null_hypercall_ns", h, "ns", epo_hc);
	result("null_hypercall_ratio", h / b, "x", 0);
}

/* ---- PV clock vs time through a hypercall --------------------------------- */

static volatile uint64_t sink;

static void read_pv_clock(void)
{
	sink += pv_clock_ns();
}

static void read_time_hypercall(void)
{
	sink += (uint64_t)pv_hypercall1(PVISOR_HC_VCPU_INFO, PVISOR_VCPU_INFO_TIME);
}

static void bench_clock(void)
{
	uint64_t pv[REPEATS], hc[REPEATS];
	double epo_pv = 0, epo_hc = 0;

	for (int r = 0; r < REPEATS; r++) {
		pv[r] = (uint64_t)(time_calls(read_pv_clock, 100000, &epo_pv) * 1000);
		hc[r] = (uint64_t)(time_calls(read_time_hypercall, 300, &epo_hc) * 1000);
	}
	double p = median(pv, REPEATS) / 1000.0, h = median(hc, REPEATS) / 1000.0;
	result("pv_clock_read_ns", p, "ns", epo_pv < 0 ? 0 : epo_pv);
	result("hypercall_clock_read_ns", h, "ns", epo_hc);
	result("pv_clock_advantage", h / p, "x", 0);
}

/* ---- CPU-bound work ---------------------------------------------------- */

static void bench_cpu(uint32_t limit, uint32_t rounds)
{
	uint8_t *scratch = malloc(limit);
	uint64_t t[7], hash = 0, e0 = exits();

	for (int i = 0; i < 7; i++) {
		uint64_t t0 = pv_clock_ns();

		hash ^= cpu_work(scratch, limit, rounds);
		t[i] = pv_clock_ns() - t0;
	}
	printf("RESULT guest_cpu_work_ms %.3f ms %.3f hash=%llx\n", median(t, 7) / 1e6,
	       (double)(exits() - e0 - 1) / 7, (unsigned long long)hash);
	free(scratch);
}

/* ---- upcalls ------------------------------------------------------------ */

static volatile uint64_t handled;
static volatile uint64_t handler_time;

static void loopback_handler(unsigned int port, void *arg)
{
	(void)port;
	(void)arg;
	handler_time = pv_clock_ns();
	handled++;
}

/* One event sent to ourselves over a loopback channel: the send exits and
 * the pending event comes back as an upcall on the way out. */
static void bench_upcall(void)
{
	int a = pv_evtchn_alloc_unbound(PVISOR_DOMID_SELF, NULL, NULL);
	int b = a > 0 ? pv_evtchn_bind_interdomain(PVISOR_DOMID_SELF, (unsigned)a, loopback_handler, NULL) : -1;
	uint64_t t[REPEATS];
	const int n = 300;
	double epo = 0;

	if (b <= 0) {
		printf("bench: cannot create a loopback event channel (%d, %d)\n", a, b);
		return;
	}
	for (int r = 0; r < REPEATS; r++) {
		uint64_t e0 = exits(), before = handled, t0 = pv_clock_ns();

		for (int i = 0; i < n; i++)
			pv_evtchn_send((unsigned)a);
		t[r] = (pv_clock_ns() - t0) / n;
		epo = (double)(exits() - e0 - 1) / n;
		if (handled - before != (uint64_t)n)
			printf("bench: %llu of %d events handled\n", (unsigned long long)(handled - before), n);
	}
	result("send_plus_upcall_ns", (double)median(t, REPEATS), "ns", epo);
}

/* Timer deadline -> handler, while a thread spins (asynchronous upcall)
 * and while the guest is idle (the block hypercall returns). */
static volatile int spinning;

static void *spinner(void *arg)
{
	(void)arg;
	while (spinning)
		sink++;
	return NULL;
}

static void bench_timer_latency(int busy)
{
	uint64_t lat[31];
	pv_thread_t *spin = NULL;
	struct pv_thread_attr attr;

	if (busy) {
		pv_thread_attr_init(&attr);
		attr.name = "spinner";
		attr.priority = PV_PRIO_MIN;
		spinning = 1;
		spin = pv_thread_create(spinner, NULL, &attr);
	}
	pv_thread_set_priority(pv_thread_self(), PV_PRIO_MAX);
	for (int i = 0; i < 31; i++) {
		uint64_t deadline = pv_clock_ns() + 2000000 + (uint64_t)i * 37000;

		pv_sleep_until(deadline);
		lat[i] = pv_clock_ns() - deadline;
	}
	if (busy) {
		spinning = 0;
		pv_thread_join(spin, NULL);
	}
	result(busy ? "timer_latency_busy_us" : "timer_latency_idle_us", median(lat, 31) / 1000.0, "us", 0);
}

/* ---- PV MMU: 10,000 updates batched vs one per hypercall ---------------- */

#define MMU_N 10000
#define MMU_BASE 0x0000200000000000ull

static struct pvisor_mmu_update reqs[MMU_N];

static void fill_reqs(uint64_t frame, uint64_t base)
{
	for (int i = 0; i < MMU_N; i++) {
		reqs[i].va = base + (uint64_t)i * PV_PAGE_SIZE;
		reqs[i].pte = frame | PVISOR_PTE_P | PVISOR_PTE_W | PVISOR_PTE_NX;
	}
}

static double mmu_run(int batched, uint64_t frame, uint64_t base, double *epo)
{
	uint64_t e0, t0, done = 0;

	fill_reqs(frame, base);
	e0 = exits();
	t0 = pv_clock_ns();
	if (batched) {
		hc_mmu_update(reqs, MMU_N, &done);
	} else {
		for (int i = 0; i < MMU_N; i++)
			hc_mmu_update(&reqs[i], 1, NULL);
	}
	uint64_t t = pv_clock_ns() - t0;
	*epo = (double)(exits() - e0 - 1) / MMU_N;
	return (double)t / MMU_N;
}

static void bench_mmu(void)
{
	uint8_t *page = pv_pages_alloc(2);
	uint64_t f1 = (uint64_t)(uintptr_t)page, f2 = f1 + PV_PAGE_SIZE;
	double epo_b = 0, epo_s = 0, epo_rb = 0, epo_rs = 0;

	/* new mappings (no flush needed), then remapping present entries (flush) */
	double batch_new = mmu_run(1, f1, MMU_BASE, &epo_b);
	double single_new = mmu_run(0, f1, MMU_BASE + (1ull << 32), &epo_s);
	double batch_remap = mmu_run(1, f2, MMU_BASE, &epo_rb);
	double single_remap = mmu_run(0, f2, MMU_BASE + (1ull << 32), &epo_rs);
	result("mmu_batched_map_ns_per_update", batch_new, "ns", epo_b);
	result("mmu_single_map_ns_per_update", single_new, "ns", epo_s);
	result("mmu_map_batch_advantage", single_new / batch_new, "x", 0);
	result("mmu_batched_remap_ns_per_update", batch_remap, "ns", epo_rb);
	result("mmu_single_remap_ns_per_update", single_remap, "ns", epo_rs);
	result("mmu_remap_batch_advantage", single_remap / batch_remap, "x", 0);
}

int main(int argc, char **argv)
{
	uint32_t limit = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 2000000;
	uint32_t rounds = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 20;

	bench_hypercall();
	bench_clock();
	bench_upcall();
	bench_timer_latency(0);
	bench_timer_latency(1);
	bench_mmu();
	bench_cpu(limit, rounds);
	return 0;
}

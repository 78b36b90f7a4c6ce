/* blkbench.c: block I/O benchmarks through the virtio-blk frontend
 * (pv/blk.h), run inside a guest by bench/blk.sh, which runs
 * bench/blk_host.c on the same file for comparison.
 *
 * Each line "RESULT blk_NAME VALUE UNIT EXITS_PER_REQ" is one figure:
 * 4 KiB random read and write IOPS at QD1 and QD32, 128 KiB sequential
 * read and write MB/s (QD8), and the QD1 4 KiB read latency (median and
 * p99). Exits per request are the vCPU's exits (PVISOR_HC_VCPU_INFO)
 * during the measurement divided by its requests.
 *
 * argv: [MILLISECONDS_PER_TEST (default 1000)] [POLL_NS (driver default)]
 *       [ONLY: run only the tests whose name contains this] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pv/blk.h>
#include <pv/hypercall.h>
#include <pv/pv.h>

#define MAX_DEPTH	32
#define SMALL		4096u
#define LARGE		(128u * 1024)
#define SEQ_DEPTH	8
#define LAT_SAMPLES	20000

static struct pv_blk *disk;
static uint64_t test_ns = 1000 * PV_NSEC_PER_MSEC;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static const char *only;

static bool selected(const char *name)
{
	return !only || strstr(name, only);
}

static uint64_t exits(void)
{
	return (uint64_t)pv_hypercall1(PVISOR_HC_VCPU_INFO, PVISOR_VCPU_INFO_EXITS);
}

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void result(const char *name, double value, const char *unit, double exits_per_req)
{
	printf("RESULT blk_%s %.3f %s %.4f\n", name, value, unit, exits_per_req);
}

/* ---- A loop that keeps `depth` requests in flight ----------------------- */

struct slot {
	struct pv_blk_req req;
	uint8_t *buf;
};

struct job {
	enum pv_blk_op op;
	uint32_t len;
	bool sequential;
	uint64_t next_sector;		/* sequential: where the next request goes */
	struct slot slots[MAX_DEPTH];
	struct pv_blk_req *finished[MAX_DEPTH];
	unsigned nr_finished;
	uint64_t errors;
};

static void on_done(struct pv_blk_req *req)
{
	struct job *j = req->arg;

	if (req->status)
		j->errors++;
	j->finished[j->nr_finished++] = req;
}

static uint64_t next_sector(struct job *j)
{
	uint64_t per = j->len / PV_BLK_SECTOR, blocks = pv_blk_sectors(disk) / per;
	uint64_t block;

	if (!j->sequential)
		return (rnd() % blocks) * per;
	block = j->next_sector++ % blocks;
	return block * per;
}

static void aim(struct job *j, struct pv_blk_req *req)
{
	req->sector = next_sector(j);
}

struct measure {
	uint64_t requests, ns, exits;
};

/* Runs the job for test_ns with `depth` requests in flight. */
static struct measure run_depth(struct job *j, unsigned depth)
{
	struct pv_blk_req *batch[MAX_DEPTH];
	struct measure m = { 0 };
	uint64_t t0, e0, end;

	for (unsigned i = 0; i < depth; i++) {
		struct slot *s = &j->slots[i];

		s->req = (struct pv_blk_req){ .op = j->op, .buf = s->buf, .len = j->len,
					      .on_done = on_done, .arg = j };
		aim(j, &s->req);
		batch[i] = &s->req;
	}
	e0 = exits();
	t0 = pv_clock_ns();
	end = t0 + test_ns;
	pv_blk_submit_batch(disk, batch, depth);
	for (;;) {
		unsigned n;

		if (pv_blk_wait_any(disk) < 0)
			break;
		n = j->nr_finished;
		j->nr_finished = 0;
		m.requests += n;
		if (pv_clock_ns() >= end)
			break;
		for (unsigned i = 0; i < n; i++)
			aim(j, j->finished[i]);
		pv_blk_submit_batch(disk, j->finished, n);
	}
	m.ns = pv_clock_ns() - t0;
	m.exits = exits() - e0 - 1;
	while (pv_blk_in_flight(disk))
		pv_blk_wait_any(disk);
	j->nr_finished = 0;
	return m;
}

static struct job *job_new(enum pv_blk_op op, uint32_t len, bool sequential)
{
	struct job *j = calloc(1, sizeof(*j));

	for (unsigned i = 0; j && i < MAX_DEPTH; i++) {
		j->slots[i].buf = aligned_alloc(PV_PAGE_SIZE, len);
		if (!j->slots[i].buf)
			return NULL;
		memset(j->slots[i].buf, (int)i, len);
	}
	if (j) {
		j->op = op;
		j->len = len;
		j->sequential = sequential;
	}
	return j;
}

static void job_free(struct job *j)
{
	for (unsigned i = 0; i < MAX_DEPTH; i++)
		free(j->slots[i].buf);
	free(j);
}

static void bench_depth(const char *name, enum pv_blk_op op, uint32_t len, bool sequential,
			unsigned depth)
{
	struct job *j;
	struct measure m;
	double seconds, epr;

	if (!selected(name))
		return;
	j = job_new(op, len, sequential);
	if (!j) {
		printf("blkbench: %s: out of memory\n", name);
		return;
	}
	m = run_depth(j, depth);
	seconds = (double)m.ns / 1e9;
	epr = m.requests ? (double)m.exits / (double)m.requests : 0;
	if (j->errors)
		printf("blkbench: %s: %lu requests failed\n", name, j->errors);
	else if (sequential)
		result(name, (double)m.requests * len / 1e6 / seconds, "MB/s", epr);
	else
		result(name, (double)m.requests / seconds, "IOPS", epr);
	job_free(j);
}

/* ---- QD1 latency -------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void bench_latency(void)
{
	uint64_t *lat = malloc(LAT_SAMPLES * sizeof(*lat));
	uint8_t *buf = aligned_alloc(PV_PAGE_SIZE, SMALL);
	uint64_t blocks = pv_blk_sectors(disk) / (SMALL / PV_BLK_SECTOR), e0, end;
	unsigned n = 0;

	if (!selected("lat_4k_qd1") || !lat || !buf)
		return;
	e0 = exits();
	end = pv_clock_ns() + test_ns;
	while (n < LAT_SAMPLES && pv_clock_ns() < end) {
		uint64_t sector = (rnd() % blocks) * (SMALL / PV_BLK_SECTOR), t0 = pv_clock_ns();

		if (pv_blk_read(disk, sector, buf, SMALL)) {
			printf("blkbench: latency read failed\n");
			return;
		}
		lat[n++] = pv_clock_ns() - t0;
	}
	double epr = (double)(exits() - e0 - 1) / n;

	qsort(lat, n, sizeof(*lat), cmp_u64);
	result("lat_4k_qd1_median_us", (double)lat[n / 2] / 1000, "us", epr);
	result("lat_4k_qd1_p99_us", (double)lat[n * 99 / 100] / 1000, "us", epr);
	free(lat);
	free(buf);
}

/* ---- Main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct pv_blk_stats st;
	int rc;

	if (argc > 1)
		test_ns = strtoull(argv[1], NULL, 0) * PV_NSEC_PER_MSEC;
	rc = pv_blk_open(0, &disk);
	if (rc) {
		printf("blkbench: no disk (%d)\n", rc);
		return 1;
	}
	if (argc > 2 && strcmp(argv[2], "-") != 0)
		pv_blk_set_poll_ns(disk, (uint32_t)strtoul(argv[2], NULL, 0));
	if (argc > 3)
		only = argv[3];
	bench_depth("randread_4k_qd1_iops", PV_BLK_READ, SMALL, false, 1);
	bench_depth("randread_4k_qd32_iops", PV_BLK_READ, SMALL, false, 32);
	bench_depth("randwrite_4k_qd1_iops", PV_BLK_WRITE, SMALL, false, 1);
	bench_depth("randwrite_4k_qd32_iops", PV_BLK_WRITE, SMALL, false, 32);
	bench_depth("seqread_128k_mbs", PV_BLK_READ, LARGE, true, SEQ_DEPTH);
	bench_depth("seqwrite_128k_mbs", PV_BLK_WRITE, LARGE, true, SEQ_DEPTH);
	bench_latency();
	pv_blk_stats(disk, &st);
	printf("blkbench: %lu requests, %lu kicks, %lu sleeps, %lu events, %lu poll hits\n",
	       st.submitted, st.kicks, st.sleeps, st.events, st.poll_hits);
	return pv_blk_close(disk) ? 1 : 0;
}

/* blk_host.c: the host side of the block benchmarks: the same I/O as
 * bench/guests/blkbench.c (4 KiB random read/write at QD1 and QD32,
 * 128 KiB sequential read/write at QD8, QD1 4 KiB read latency), done
 * natively with io_uring (liburing) on the same file, through the page
 * cache (warm), so bench/blk.sh can compare the guest against the host.
 *
 *   blk_host FILE [MILLISECONDS_PER_TEST]
 *
 * Prints "RESULT blk_NAME VALUE UNIT 0" lines, as blkbench does. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH	32
#define SMALL		4096u
#define LARGE		(128u * 1024)
#define SEQ_DEPTH	8
#define LAT_SAMPLES	20000
#define SECTOR		512u

static int fd;
static uint64_t file_bytes;
static uint64_t test_ns = 1000000000ull;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void result(const char *name, double value, const char *unit)
{
	printf("RESULT blk_%s %.3f %s 0\n", name, value, unit);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "blk_host: %s: %s\n", what, strerror(err));
	exit(1);
}

/* ---- A loop that keeps `depth` requests in flight ----------------------- */

struct job {
	bool write, sequential;
	uint32_t len;
	uint64_t next_block;
	void *bufs[MAX_DEPTH];
	uint64_t errors;
};

static uint64_t next_offset(struct job *j)
{
	uint64_t blocks = file_bytes / j->len;

	return (j->sequential ? j->next_block++ % blocks : rnd() % blocks) * j->len;
}

static void queue_one(struct io_uring *ring, struct job *j, unsigned slot)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	uint64_t off = next_offset(j);

	if (j->write)
		io_uring_prep_write(sqe, fd, j->bufs[slot], j->len, off);
	else
		io_uring_prep_read(sqe, fd, j->bufs[slot], j->len, off);
	io_uring_sqe_set_data64(sqe, slot);
}

/* Takes every completion that is ready and queues a new request in each
 * slot (unless time is up); returns how many completed. */
static unsigned reap_and_requeue(struct io_uring *ring, struct job *j, bool requeue)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(ring, head, cqe) {
		if (cqe->res != (int)j->len)
			j->errors++;
		if (requeue)
			queue_one(ring, j, (unsigned)io_uring_cqe_get_data64(cqe));
		n++;
	}
	io_uring_cq_advance(ring, n);
	return n;
}

static void bench_depth(const char *name, bool write, uint32_t len, bool sequential, unsigned depth)
{
	struct job j = { .write = write, .sequential = sequential, .len = len };
	struct io_uring ring;
	uint64_t requests = 0, t0, end, in_flight = depth;
	int rc = io_uring_queue_init(2 * MAX_DEPTH, &ring, 0);

	if (rc < 0)
		die("io_uring_queue_init", -rc);
	for (unsigned i = 0; i < depth; i++) {
		if (posix_memalign(&j.bufs[i], 4096, len))
			die("posix_memalign", ENOMEM);
		memset(j.bufs[i], (int)i, len);
		queue_one(&ring, &j, i);
	}
	t0 = now_ns();
	end = t0 + test_ns;
	while (in_flight) {
		bool more = now_ns() < end;
		unsigned n;

		rc = io_uring_submit_and_wait(&ring, 1);
		if (rc < 0 && rc != -EINTR)
			die("io_uring_submit_and_wait", -rc);
		n = reap_and_requeue(&ring, &j, more);
		requests += n;
		if (!more)
			in_flight -= n;
	}
	double seconds = (double)(now_ns() - t0) / 1e9;

	if (j.errors)
		fprintf(stderr, "blk_host: %s: %lu requests failed\n", name, (unsigned long)j.errors);
	else if (sequential)
		result(name, (double)requests * len / 1e6 / seconds, "MB/s");
	else
		result(name, (double)requests / seconds, "IOPS");
	io_uring_queue_exit(&ring);
	for (unsigned i = 0; i < depth; i++)
		free(j.bufs[i]);
}

/* ---- QD1 latency -------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void bench_latency(void)
{
	struct job j = { .len = SMALL };
	uint64_t *lat = calloc(LAT_SAMPLES, sizeof(*lat)), end;
	struct io_uring ring;
	unsigned n = 0;

	if (!lat || posix_memalign(&j.bufs[0], 4096, SMALL) || io_uring_queue_init(4, &ring, 0) < 0)
		die("setting up the latency test", ENOMEM);
	end = now_ns() + test_ns;
	while (n < LAT_SAMPLES && now_ns() < end) {
		uint64_t t0 = now_ns();

		queue_one(&ring, &j, 0);
		if (io_uring_submit_and_wait(&ring, 1) < 0)
			die("io_uring_submit_and_wait", errno);
		reap_and_requeue(&ring, &j, false);
		lat[n++] = now_ns() - t0;
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	result("lat_4k_qd1_median_us", (double)lat[n / 2] / 1000, "us");
	result("lat_4k_qd1_p99_us", (double)lat[n * 99 / 100] / 1000, "us");
	io_uring_queue_exit(&ring);
	free(j.bufs[0]);
	free(lat);
}

int main(int argc, char **argv)
{
	struct stat st;

	if (argc < 2) {
		fprintf(stderr, "usage: blk_host FILE [MILLISECONDS_PER_TEST]\n");
		return 2;
	}
	if (argc > 2)
		test_ns = strtoull(argv[2], NULL, 0) * 1000000ull;
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || fstat(fd, &st) < 0)
		die(argv[1], errno);
	file_bytes = (uint64_t)st.st_size / SECTOR * SECTOR;
	if (file_bytes < LARGE)
		die(argv[1], EINVAL);
	bench_depth("randread_4k_qd1_iops", false, SMALL, false, 1);
	bench_depth("randread_4k_qd32_iops", false, SMALL, false, 32);
	bench_depth("randwrite_4k_qd1_iops", true, SMALL, false, 1);
	bench_depth("randwrite_4k_qd32_iops", true, SMALL, false, 32);
	bench_depth("seqread_128k_mbs", false, LARGE, true, SEQ_DEPTH);
	bench_depth("seqwrite_128k_mbs", true, LARGE, true, SEQ_DEPTH);
	bench_latency();
	close(fd);
	return 0;
}

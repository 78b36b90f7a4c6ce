/* host_cpu.c: runs cpu_work natively on the host and prints the median
 * time of several runs, for the guest/host CPU comparison. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cpu_work.h"

#define RUNS 7

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uint32_t limit = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 2000000;
	uint32_t rounds = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 20;
	uint8_t *scratch = malloc(limit);
	uint64_t t[RUNS], hash = 0;

	if (!scratch)
		return 1;
	for (int i = 0; i < RUNS; i++) {
		uint64_t t0 = now_ns();

		hash ^= cpu_work(scratch, limit, rounds);
		t[i] = now_ns() - t0;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_u64);
	printf("RESULT host_cpu_work_ms %.3f hash=%llx\n", t[RUNS / 2] / 1e6, (unsigned long long)hash);
	free(scratch);
	return 0;
}

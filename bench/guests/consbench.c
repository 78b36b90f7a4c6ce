/* consbench.c: console output throughput, inside a guest: 1 MiB written
 * as 64-byte lines and as 4 KiB writes, through the virtio console's ring
 * (pv_console_write, then pv_console_flush so the time covers the backend
 * taking every byte) and through the console hypercall (one exit per
 * write), interleaved, median of REPEATS. Prints "RESULT name MiB/s unit
 * exits_per_KiB" lines among the bulk output; bench/run keeps only those. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pv/console.h>
#include <pv/hypercall.h>
#include <pv/pv.h>

#define TOTAL   (1u << 20)
#define REPEATS 5

static char chunk[4096];

static uint64_t exits(void)
{
	return (uint64_t)pv_hypercall1(PVISOR_HC_VCPU_INFO, PVISOR_VCPU_INFO_EXITS);
}

static void write_ring(size_t size)
{
	for (size_t done = 0; done < TOTAL; done += size)
		pv_console_write(chunk, size);
	pv_console_flush();
}

static void write_hypercall(size_t size)
{
	for (size_t done = 0; done < TOTAL; done += size)
		pv_hypercall3(PVISOR_HC_CONSOLE_IO, PVISOR_CONSOLE_WRITE, (unsigned long)chunk, size);
}

struct run { double mibs, exits_per_kib; };

static int cmp_run(const void *a, const void *b)
{
	double x = ((const struct run *)a)->mibs, y = ((const struct run *)b)->mibs;

	return x < y ? -1 : x > y;
}

static struct run measure(void (*fn)(size_t), size_t size)
{
	uint64_t t0 = pv_clock_ns(), e0 = exits();
	struct run r;

	fn(size);
	r.mibs = (double)TOTAL / (1 << 20) / ((double)(pv_clock_ns() - t0) / 1e9);
	r.exits_per_kib = (double)(exits() - e0) / (TOTAL / 1024);
	return r;
}

int main(void)
{
	static const size_t sizes[2] = { 64, 4096 };
	struct run ring[2][REPEATS], hcall[2][REPEATS];

	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
	for (int r = 0; r < REPEATS; r++) {
		for (int s = 0; s < 2; s++) {
			ring[s][r] = measure(write_ring, sizes[s]);
			hcall[s][r] = measure(write_hypercall, sizes[s]);
		}
	}
	for (int s = 0; s < 2; s++) {
		qsort(ring[s], REPEATS, sizeof(struct run), cmp_run);
		qsort(hcall[s], REPEATS, sizeof(struct run), cmp_run);
		printf("\nRESULT console_ring_%zu %.3f MiB/s %.5f\n", sizes[s], ring[s][REPEATS / 2].mibs,
		       ring[s][REPEATS / 2].exits_per_kib);
		printf("RESULT console_hcall_%zu %.3f MiB/s %.5f\n", sizes[s], hcall[s][REPEATS / 2].mibs,
		       hcall[s][REPEATS / 2].exits_per_kib);
	}
	return 0;
}

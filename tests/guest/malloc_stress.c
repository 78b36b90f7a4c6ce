/* pvisor-test: exit=0 timeout=60 */
/* malloc_stress.c: four threads allocate, fill, check, resize and free
 * blocks of random sizes (16 B to 96 KiB) concurrently while the scheduler
 * preempts them; every block keeps its own pattern. calloc returns zeroed
 * memory, and when everything is freed the page allocator gets its pages
 * back. */
#define TEST_NAME "malloc_stress"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "pvtest.h"

#define THREADS 4
#define SLOTS 64
#define OPS 6000

struct block {
	unsigned char *p;
	size_t size;
	unsigned char fill;
};

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t random_size(uint64_t *s)
{
	uint64_t r = rng_next(s);

	switch (r % 8) {
	case 0:
		return 4096 + r % (96 * 1024);	/* multi-page */
	case 1:
	case 2:
		return 256 + r % 3000;
	default:
		return 1 + r % 200;
	}
}

static bool block_ok(const struct block *b)
{
	size_t i;

	for (i = 0; i < b->size; i++)
		if (b->p[i] != (unsigned char)(b->fill + i))
			return false;
	return true;
}

static void block_fill(struct block *b)
{
	size_t i;

	for (i = 0; i < b->size; i++)
		b->p[i] = (unsigned char)(b->fill + i);
}

static void *stress(void *arg)
{
	struct block blocks[SLOTS] = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ull * ((uint64_t)(long)arg + 1);
	int op, i;

	for (op = 0; op < OPS && !test_failure[0]; op++) {
		struct block *b = &blocks[rng_next(&seed) % SLOTS];

		if (b->p && !block_ok(b)) {
			test_note_failure("block %p (%zu bytes) was corrupted", b->p, b->size);
			break;
		}
		if (b->p && rng_next(&seed) % 3 == 0) {
			size_t keep, size = random_size(&seed);
			unsigned char *q = realloc(b->p, size);

			if (!q) {
				test_note_failure("realloc to %zu failed", size);
				break;
			}
			keep = size < b->size ? size : b->size;
			b->p = q;
			b->size = keep;
			if (!block_ok(b)) {
				test_note_failure("realloc lost the contents");
				break;
			}
			b->size = size;
			block_fill(b);
		} else if (b->p) {
			free(b->p);
			b->p = NULL;
		} else {
			b->size = random_size(&seed);
			b->fill = (unsigned char)rng_next(&seed);
			b->p = malloc(b->size);
			if (!b->p) {
				test_note_failure("malloc(%zu) failed", b->size);
				break;
			}
			block_fill(b);
		}
	}
	for (i = 0; i < SLOTS; i++)
		free(blocks[i].p);
	return NULL;
}

int main(void)
{
	pv_thread_t *t[THREADS];
	size_t before, after, i;
	unsigned char *z;
	int k;

	z = calloc(3000, 7);
	CHECK(z, "calloc failed");
	for (i = 0; i < 21000; i++)
		CHECK(z[i] == 0, "calloc memory not zeroed at %zu", i);
	free(z);

	before = pv_pages_free_count();
	for (k = 0; k < THREADS; k++)
		CHECK((t[k] = pv_thread_create(stress, (void *)(long)k, NULL)), "create failed");
	for (k = 0; k < THREADS; k++)
		pv_thread_join(t[k], NULL);
	after = pv_pages_free_count();
	printf("malloc_stress: free pages before %zu, after %zu\n", before, after);
	if (!test_failure[0] && after + 64 < before)
		test_note_failure("%zu pages not given back after freeing everything",
				  before - after);
	return test_result();
}

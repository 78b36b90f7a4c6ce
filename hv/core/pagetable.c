/* pagetable.c: 4-level x86-64 page tables in a page pool (see pagetable.h). */
#include <string.h>

#include "core/layout.h"
#include "core/pagetable.h"

void pt_pool_init(struct pt_pool *pool, void *host, uint64_t gpa, uint64_t pages)
{
	pool->host = host;
	pool->gpa = gpa;
	pool->pages = pages;
	pool->used = 1;
	memset(host, 0, PAGE_SIZE);
}

/* Host pointer to the table that entry points at, or NULL if the entry
 * does not point into the pool (which the hypervisor never writes). */
static uint64_t *pt_table_of(const struct pt_pool *pool, uint64_t entry)
{
	uint64_t gpa = entry & PTE_FRAME_MASK;

	if (!(entry & PTE_P) || gpa < pool->gpa || gpa >= pool->gpa + pool->used * PAGE_SIZE)
		return NULL;
	return (uint64_t *)(pool->host + (gpa - pool->gpa));
}

static uint64_t pt_alloc_table(struct pt_pool *pool)
{
	uint64_t page;

	if (pool->used == pool->pages)
		return 0;
	page = pool->used++;
	memset(pool->host + page * PAGE_SIZE, 0, PAGE_SIZE);
	return pool->gpa + page * PAGE_SIZE;
}

static unsigned pt_index(uint64_t va, int level)
{
	return (va >> (PAGE_SHIFT + 9 * level)) & 511;
}

/* Intermediate entries carry every permission; the leaf decides. The upper
 * half belongs to the hypervisor and is never user-accessible. */
static uint64_t pt_dir_flags(uint64_t va)
{
	return (va >> 63) ? (PTE_P | PTE_W) : (PTE_P | PTE_W | PTE_U);
}

uint64_t *pt_leaf(struct pt_pool *pool, uint64_t va, bool create)
{
	uint64_t *table = (uint64_t *)pool->host;

	for (int level = 3; level > 0; level--) {
		uint64_t *entry = &table[pt_index(va, level)];
		uint64_t *next = pt_table_of(pool, *entry);

		if (!next) {
			uint64_t gpa;

			if (!create || !(gpa = pt_alloc_table(pool)))
				return NULL;
			*entry = gpa | pt_dir_flags(va);
			next = pt_table_of(pool, *entry);
		}
		table = next;
	}
	return &table[pt_index(va, 0)];
}

uint64_t pt_lookup(const struct pt_pool *pool, uint64_t va)
{
	uint64_t *entry = pt_leaf((struct pt_pool *)pool, va, false);

	return entry ? *entry : 0;
}

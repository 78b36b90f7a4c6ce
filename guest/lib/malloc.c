/* malloc.c: the guest C library's memory allocator.
 *
 * Small requests (up to 2016 bytes) are served from per-size-class slabs:
 * one 4 KiB page from __pages_alloc() with a 64-byte header followed by
 * equal-sized objects, tracked by a bitmap. Each class keeps a list of its
 * slabs that still have free objects; a slab that becomes empty is given
 * back to the page provider unless it is the class's last one. Larger
 * requests get whole pages with a 64-byte header in front, and go straight
 * back to __pages_free() on free().
 *
 * The header of any block is found by rounding (ptr - 1) down to a page
 * boundary, which is why __pages_alloc() must return page-aligned memory.
 * free() and realloc() check the header magic and the slab bitmap, so
 * double frees and foreign pointers end in __assert_fail() with a message
 * instead of silent corruption. Every returned pointer is 16-byte aligned.
 * Shared state is touched only between __malloc_lock() and
 * __malloc_unlock(), which the kernel overrides for thread safety. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__pages_alloc(unsigned long npages);
void __pages_free(void *p, unsigned long npages);
void __malloc_lock(void);
void __malloc_unlock(void);

__attribute__((__weak__)) void __malloc_lock(void)
{
}

__attribute__((__weak__)) void __malloc_unlock(void)
{
}

#define PAGE_SIZE	4096UL
#define HEADER_SIZE	64		/* slab and large-block headers */
#define MIN_ALIGN	16
#define MAX_ALLOC	((size_t)1 << 46)

#define SLAB_MAGIC	0x42414c53u	/* "SLAB" */
#define LARGE_MAGIC	0x4752414cu	/* "LARG" */
#define LARGE_FREED	0x45455246u	/* "FREE" */

/* Sizes chosen so that (4096 - 64) / size objects waste little of a page;
 * all are multiples of 16. */
static const uint16_t class_sizes[] = {
	16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 288, 336,
	400, 448, 496, 576, 672, 800, 1008, 1344, 2016,
};

#define NCLASSES	((int)(sizeof(class_sizes) / sizeof(class_sizes[0])))
#define SMALL_MAX	2016

struct slab {
	uint32_t magic;
	uint16_t cls;
	uint16_t nobj;
	uint16_t inuse;
	uint16_t unused[3];
	struct slab *next;	/* list of slabs with free objects */
	struct slab *prev;
	uint64_t used[4];	/* bit set: object allocated (or absent) */
};

struct large {
	uint32_t magic;
	uint32_t unused;
	void *base;		/* what __pages_alloc() returned */
	size_t npages;
	void *user;		/* the pointer handed out */
};

_Static_assert(sizeof(struct slab) == HEADER_SIZE, "slab header size");
_Static_assert(sizeof(struct large) <= HEADER_SIZE, "large header size");
_Static_assert((PAGE_SIZE - HEADER_SIZE) / 16 <= 4 * 64, "slab bitmap size");

static struct slab *partial[NCLASSES];

/* ---- diagnostics ---------------------------------------------------------- */

static __attribute__((__noreturn__)) void
malloc_die(const char *func, const char *what, const void *p)
{
	static char msg[96];

	snprintf(msg, sizeof(msg), "%s(): %s %p", func, what, p);
	__assert_fail(msg, __FILE__, __LINE__, func);
}

/* ---- helpers ---------------------------------------------------------------- */

static void *header_page(const void *p)
{
	return (void *)(((uintptr_t)p - 1) & ~(PAGE_SIZE - 1));
}

/* Smallest class that fits size and whose objects are align-aligned, or
 * -1. Objects sit at page + 64 + i * size, so a class size that is a
 * multiple of align (<= 64) gives aligned objects. */
static int class_for(size_t size, size_t align)
{
	int c;

	for (c = 0; c < NCLASSES; c++)
		if (class_sizes[c] >= size && !(class_sizes[c] & (align - 1)))
			return c;
	return -1;
}

/* ---- slabs (called with the lock held) --------------------------------- */

static void partial_push(struct slab *s)
{
	s->prev = NULL;
	s->next = partial[s->cls];
	if (s->next)
		s->next->prev = s;
	partial[s->cls] = s;
}

static void partial_remove(struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		partial[s->cls] = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static struct slab *slab_new(int cls)
{
	struct slab *s = __pages_alloc(1);
	unsigned i;

	if (!s)
		return NULL;
	if ((uintptr_t)s & (PAGE_SIZE - 1)) {
		__malloc_unlock();
		malloc_die("malloc", "__pages_alloc returned unaligned", s);
	}
	s->magic = SLAB_MAGIC;
	s->cls = cls;
	s->nobj = (PAGE_SIZE - HEADER_SIZE) / class_sizes[cls];
	s->inuse = 0;
	s->next = s->prev = NULL;
	for (i = 0; i < 4; i++)
		s->used[i] = 0;
	/* Mark the bits past the last object as permanently taken. */
	for (i = s->nobj; i < 4 * 64; i++)
		s->used[i / 64] |= 1ull << (i % 64);
	return s;
}

static unsigned slab_take(struct slab *s)
{
	unsigned w, bit = 0;

	for (w = 0; w < 4; w++) {
		if (~s->used[w]) {
			bit = __builtin_ctzll(~s->used[w]);
			s->used[w] |= 1ull << bit;
			break;
		}
	}
	s->inuse++;
	return w * 64 + bit;
}

static void *small_alloc(int cls)
{
	struct slab *s;
	unsigned idx;

	__malloc_lock();
	s = partial[cls];
	if (!s) {
		s = slab_new(cls);
		if (!s) {
			__malloc_unlock();
			errno = ENOMEM;
			return NULL;
		}
		partial_push(s);
	}
	idx = slab_take(s);
	if (s->inuse == s->nobj)
		partial_remove(s);
	__malloc_unlock();
	return (char *)s + HEADER_SIZE + (size_t)idx * class_sizes[cls];
}

/* Index of p's object in s, or dies if p is not the start of one. */
static unsigned slab_index(const struct slab *s, const void *p,
			   const char *func)
{
	size_t off = (const char *)p - ((const char *)s + HEADER_SIZE);
	size_t size;

	if (s->cls >= NCLASSES)
		malloc_die(func, "corrupt slab header for", p);
	size = class_sizes[s->cls];
	if (off % size || off / size >= s->nobj)
		malloc_die(func, "invalid pointer", p);
	return off / size;
}

static int slab_is_used(const struct slab *s, unsigned idx)
{
	return (s->used[idx / 64] >> (idx % 64)) & 1;
}

static void small_free(struct slab *s, void *p)
{
	unsigned idx = slab_index(s, p, "free");

	__malloc_lock();
	if (!slab_is_used(s, idx)) {
		__malloc_unlock();
		malloc_die("free", "double free of", p);
	}
	s->used[idx / 64] &= ~(1ull << (idx % 64));
	if (s->inuse-- == s->nobj)
		partial_push(s);
	if (s->inuse == 0 && (s->prev || s->next)) {
		partial_remove(s);
		s->magic = 0;
		__pages_free(s, 1);
	}
	__malloc_unlock();
}

/* ---- large blocks ----------------------------------------------------------- */

static void *large_alloc(size_t size, size_t align)
{
	size_t span, npages;
	uintptr_t base, user;
	struct large *h;

	if (size > MAX_ALLOC || align > MAX_ALLOC) {
		errno = ENOMEM;
		return NULL;
	}
	span = (align <= HEADER_SIZE ? HEADER_SIZE : align) + size;
	npages = (span + PAGE_SIZE - 1) / PAGE_SIZE;
	base = (uintptr_t)__pages_alloc(npages);
	if (!base) {
		errno = ENOMEM;
		return NULL;
	}
	if (align <= HEADER_SIZE)
		user = base + HEADER_SIZE;
	else	/* the first multiple of align past base + HEADER_SIZE */
		user = (base + HEADER_SIZE + align - 1) & ~(align - 1);

	h = header_page((void *)user);
	h->magic = LARGE_MAGIC;
	h->base = (void *)base;
	h->npages = npages;
	h->user = (void *)user;
	return (void *)user;
}

static size_t large_usable(const struct large *h)
{
	return (uintptr_t)h->base + h->npages * PAGE_SIZE - (uintptr_t)h->user;
}

/* ---- lookup ------------------------------------------------------------------ */

/* Usable size of the live block p; dies if p is not one. */
static size_t block_size(void *p, const char *func)
{
	void *hdr = header_page(p);
	uint32_t magic;

	if ((uintptr_t)p & (MIN_ALIGN - 1))
		malloc_die(func, "invalid pointer", p);
	magic = *(uint32_t *)hdr;
	if (magic == SLAB_MAGIC) {
		struct slab *s = hdr;
		unsigned idx = slab_index(s, p, func);
		int used;

		__malloc_lock();
		used = slab_is_used(s, idx);
		__malloc_unlock();
		if (!used)
			malloc_die(func, "use after free of", p);
		return class_sizes[s->cls];
	}
	if (magic == LARGE_MAGIC && ((struct large *)hdr)->user == p)
		return large_usable(hdr);
	if (magic == LARGE_FREED && ((struct large *)hdr)->user == p)
		malloc_die(func, "use after free of", p);
	malloc_die(func, "invalid pointer", p);
}

/* ---- public interface ------------------------------------------------------ */

void *malloc(size_t size)
{
	if (size <= SMALL_MAX)
		return small_alloc(class_for(size, MIN_ALIGN));
	return large_alloc(size, MIN_ALIGN);
}

void free(void *p)
{
	void *hdr;
	uint32_t magic;
	struct large *h;

	if (!p)
		return;
	if ((uintptr_t)p & (MIN_ALIGN - 1))
		malloc_die("free", "invalid pointer", p);
	hdr = header_page(p);
	magic = *(uint32_t *)hdr;
	if (magic == SLAB_MAGIC) {
		small_free(hdr, p);
		return;
	}
	h = hdr;
	if (magic == LARGE_MAGIC && h->user == p) {
		h->magic = LARGE_FREED;
		__pages_free(h->base, h->npages);
		return;
	}
	if (magic == LARGE_FREED && h->user == p)
		malloc_die("free", "double free of", p);
	malloc_die("free", "invalid pointer", p);
}

void *calloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	p = malloc(total);
	if (p)
		memset(p, 0, total);
	return p;
}

/* Like glibc, realloc(p, 0) frees p and returns NULL. A block is kept in
 * place when the new size fits and does not waste more than half of it. */
void *realloc(void *p, size_t size)
{
	size_t old;
	void *q;

	if (!p)
		return malloc(size);
	old = block_size(p, "realloc");
	if (size == 0) {
		free(p);
		return NULL;
	}
	if (size <= old && (size > old / 2 || old <= 64))
		return p;
	q = malloc(size);
	if (!q)
		return NULL;
	memcpy(q, p, size < old ? size : old);
	free(p);
	return q;
}

void *aligned_alloc(size_t align, size_t size)
{
	int cls;

	if (align == 0 || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	if (align <= MIN_ALIGN)
		return malloc(size);
	if (align <= HEADER_SIZE && size <= SMALL_MAX) {
		cls = class_for(size, align);
		if (cls >= 0)
			return small_alloc(cls);
	}
	return large_alloc(size, align);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	int saved = errno;
	void *p;

	if (align == 0 || align % sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = aligned_alloc(align, size);
	if (!p) {
		errno = saved;
		return ENOMEM;
	}
	*out = p;
	return 0;
}

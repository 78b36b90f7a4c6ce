/* stdlib.h: number conversion, sorting, random numbers and memory
 * allocation for the pvisor guest C library. exit(), abort() and getenv()
 * are provided by the guest kernel; everything else lives in guest/lib. */
#ifndef PVISOR_GUEST_STDLIB_H
#define PVISOR_GUEST_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS	0
#define EXIT_FAILURE	1
#define RAND_MAX	0x7fffffff

typedef struct { int quot, rem; } div_t;
typedef struct { long quot, rem; } ldiv_t;
typedef struct { long long quot, rem; } lldiv_t;

long strtol(const char *restrict s, char **restrict end, int base);
long long strtoll(const char *restrict s, char **restrict end, int base);
unsigned long strtoul(const char *restrict s, char **restrict end, int base);
unsigned long long strtoull(const char *restrict s, char **restrict end,
			    int base);
int atoi(const char *s);
long atol(const char *s);
long long atoll(const char *s);

int abs(int x) __attribute__((__const__));
long labs(long x) __attribute__((__const__));
long long llabs(long long x) __attribute__((__const__));
div_t div(int num, int den);
ldiv_t ldiv(long num, long den);
lldiv_t lldiv(long long num, long long den);

void qsort(void *base, size_t n, size_t size,
	   int (*cmp)(const void *, const void *));
void *bsearch(const void *key, const void *base, size_t n, size_t size,
	      int (*cmp)(const void *, const void *));

int rand(void);
void srand(unsigned int seed);

void *malloc(size_t size)
	__attribute__((__malloc__, __alloc_size__(1), __warn_unused_result__));
void *calloc(size_t n, size_t size)
	__attribute__((__malloc__, __alloc_size__(1, 2), __warn_unused_result__));
void *realloc(void *p, size_t size)
	__attribute__((__alloc_size__(2), __warn_unused_result__));
void *aligned_alloc(size_t align, size_t size)
	__attribute__((__malloc__, __alloc_align__(1), __alloc_size__(2),
		       __warn_unused_result__));
int posix_memalign(void **out, size_t align, size_t size);
void free(void *p);

/* Provided by the guest kernel. */
void exit(int status) __attribute__((__noreturn__));
void abort(void) __attribute__((__noreturn__));
char *getenv(const char *name);

#endif

/* stdlib.c: string-to-integer conversion, integer helpers, qsort/bsearch
 * and the rand() generator for the pvisor guest C library. malloc and
 * friends live in malloc.c; exit/abort/getenv come from the kernel. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

/* ---- strtol family ------------------------------------------------------ */

struct parsed_int {
	unsigned long long magnitude;	/* saturated at ULLONG_MAX */
	int negative;
	int overflow;			/* magnitude did not fit */
};

static int digit_value(int c)
{
	if (isdigit(c))
		return c - '0';
	if (isalpha(c))
		return tolower(c) - 'a' + 10;
	return 99;
}

/* Parses the text shared by every strto*: whitespace, sign, optional 0x/0
 * prefix, digits. Returns the position just past the number, or s itself
 * (with magnitude 0) when there are no digits. */
static const char *parse_int(const char *s, int base, struct parsed_int *out)
{
	const char *p = s;
	const char *digits;
	unsigned long long limit;

	out->magnitude = 0;
	out->negative = 0;
	out->overflow = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '+' || *p == '-')
		out->negative = *p++ == '-';
	if ((base == 0 || base == 16) && p[0] == '0' &&
	    (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = *p == '0' ? 8 : 10;
	}

	limit = __UINT64_MAX__ / (unsigned)base;
	for (digits = p; digit_value((unsigned char)*p) < base; p++) {
		unsigned d = digit_value((unsigned char)*p);

		if (out->magnitude > limit ||
		    out->magnitude * base > __UINT64_MAX__ - d) {
			out->overflow = 1;
			out->magnitude = __UINT64_MAX__;
		} else if (!out->overflow) {
			out->magnitude = out->magnitude * base + d;
		}
	}
	if (p == digits) {
		out->negative = 0;
		return s;
	}
	return p;
}

/* strto*() bases are 0 or 2..36; for any other, *end = s and EINVAL. */
static int valid_base(const char *s, char **end, int base)
{
	if (base == 0 || (base >= 2 && base <= 36))
		return 1;
	if (end)
		*end = (char *)s;
	errno = EINVAL;
	return 0;
}

/* Parses with range checking for a signed type whose maximum is max. */
static long long strto_signed(const char *s, char **end, int base,
			      long long max)
{
	struct parsed_int v;
	const char *stop;
	unsigned long long max_mag;

	if (!valid_base(s, end, base))
		return 0;
	stop = parse_int(s, base, &v);
	if (end)
		*end = (char *)stop;

	max_mag = (unsigned long long)max + v.negative;
	if (v.overflow || v.magnitude > max_mag) {
		errno = ERANGE;
		return v.negative ? -max - 1 : max;
	}
	if (v.negative)
		return v.magnitude == max_mag ? -max - 1 : -(long long)v.magnitude;
	return v.magnitude;
}

/* Parses with range checking for an unsigned type whose maximum is max.
 * As the standard requires, "-N" yields the negation of N in that type. */
static unsigned long long strto_unsigned(const char *s, char **end, int base,
					 unsigned long long max)
{
	struct parsed_int v;
	const char *stop;

	if (!valid_base(s, end, base))
		return 0;
	stop = parse_int(s, base, &v);
	if (end)
		*end = (char *)stop;

	if (v.overflow || v.magnitude > max) {
		errno = ERANGE;
		return max;
	}
	return v.negative ? (0 - v.magnitude) & max : v.magnitude;
}

long strtol(const char *restrict s, char **restrict end, int base)
{
	return strto_signed(s, end, base, __LONG_MAX__);
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
	return strto_signed(s, end, base, __LONG_LONG_MAX__);
}

intmax_t strtoimax(const char *restrict s, char **restrict end, int base)
{
	return strto_signed(s, end, base, __INTMAX_MAX__);
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
	return strto_unsigned(s, end, base, __LONG_MAX__ * 2UL + 1);
}

unsigned long long strtoull(const char *restrict s, char **restrict end,
			    int base)
{
	return strto_unsigned(s, end, base, __LONG_LONG_MAX__ * 2ULL + 1);
}

uintmax_t strtoumax(const char *restrict s, char **restrict end, int base)
{
	return strto_unsigned(s, end, base, __UINTMAX_MAX__);
}

int atoi(const char *s)
{
	return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
	return strtol(s, NULL, 10);
}

long long atoll(const char *s)
{
	return strtoll(s, NULL, 10);
}

/* ---- integer arithmetic helpers ------------------------------------------ */

int abs(int x)
{
	return x < 0 ? -x : x;
}

long labs(long x)
{
	return x < 0 ? -x : x;
}

long long llabs(long long x)
{
	return x < 0 ? -x : x;
}

intmax_t imaxabs(intmax_t x)
{
	return x < 0 ? -x : x;
}

div_t div(int num, int den)
{
	return (div_t){ num / den, num % den };
}

ldiv_t ldiv(long num, long den)
{
	return (ldiv_t){ num / den, num % den };
}

lldiv_t lldiv(long long num, long long den)
{
	return (lldiv_t){ num / den, num % den };
}

imaxdiv_t imaxdiv(intmax_t num, intmax_t den)
{
	return (imaxdiv_t){ num / den, num % den };
}

/* ---- qsort: introsort (quicksort, heapsort fallback, insertion sort) ---- */

typedef int (*cmp_fn)(const void *, const void *);

#define INSERTION_SORT_MAX 12

static void swap_elems(char *a, char *b, size_t size)
{
	while (size >= sizeof(uint64_t)) {
		uint64_t x, y;

		__builtin_memcpy(&x, a, sizeof(x));
		__builtin_memcpy(&y, b, sizeof(y));
		__builtin_memcpy(a, &y, sizeof(y));
		__builtin_memcpy(b, &x, sizeof(x));
		a += sizeof(x);
		b += sizeof(x);
		size -= sizeof(x);
	}
	while (size--) {
		char t = *a;

		*a++ = *b;
		*b++ = t;
	}
}

static void insertion_sort(char *base, size_t n, size_t size, cmp_fn cmp)
{
	size_t i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0; j--) {
			char *cur = base + j * size;

			if (cmp(cur - size, cur) <= 0)
				break;
			swap_elems(cur - size, cur, size);
		}
}

/* Restores the max-heap property below node i of an n-element heap. */
static void sift_down(char *base, size_t i, size_t n, size_t size, cmp_fn cmp)
{
	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= n)
			return;
		if (child + 1 < n &&
		    cmp(base + child * size, base + (child + 1) * size) < 0)
			child++;
		if (cmp(base + i * size, base + child * size) >= 0)
			return;
		swap_elems(base + i * size, base + child * size, size);
		i = child;
	}
}

static void heap_sort(char *base, size_t n, size_t size, cmp_fn cmp)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(base, i, n, size, cmp);
	for (i = n; i-- > 1;) {
		swap_elems(base, base + i * size, size);
		sift_down(base, 0, i, size, cmp);
	}
}

/* Orders *a <= *b <= *c. */
static void sort3(char *a, char *b, char *c, size_t size, cmp_fn cmp)
{
	if (cmp(b, a) < 0)
		swap_elems(a, b, size);
	if (cmp(c, b) < 0) {
		swap_elems(b, c, size);
		if (cmp(b, a) < 0)
			swap_elems(a, b, size);
	}
}

/* Hoare partition around the median of three, which is parked at index 0
 * during the scan. Returns the pivot's final index; everything before it
 * compares <= and everything after it compares >=. */
static size_t partition(char *base, size_t n, size_t size, cmp_fn cmp)
{
	size_t i = 0, j = n;

	sort3(base, base + n / 2 * size, base + (n - 1) * size, size, cmp);
	swap_elems(base, base + n / 2 * size, size);
	for (;;) {
		do
			i++;
		while (i < n && cmp(base + i * size, base) < 0);
		do
			j--;
		while (cmp(base + j * size, base) > 0);
		if (i >= j)
			break;
		swap_elems(base + i * size, base + j * size, size);
	}
	swap_elems(base, base + j * size, size);
	return j;
}

/* Recurses into the smaller side only, so stack depth is O(log n); after
 * depth_left bad splits it switches to heapsort, so time is O(n log n). */
static void introsort(char *base, size_t n, size_t size, cmp_fn cmp,
		      int depth_left)
{
	while (n > INSERTION_SORT_MAX) {
		size_t p, left, right;

		if (depth_left-- == 0) {
			heap_sort(base, n, size, cmp);
			return;
		}
		p = partition(base, n, size, cmp);
		left = p;
		right = n - p - 1;
		if (left < right) {
			introsort(base, left, size, cmp, depth_left);
			base += (p + 1) * size;
			n = right;
		} else {
			introsort(base + (p + 1) * size, right, size, cmp,
				  depth_left);
			n = left;
		}
	}
	insertion_sort(base, n, size, cmp);
}

void qsort(void *base, size_t n, size_t size, cmp_fn cmp)
{
	int depth = 0;
	size_t m;

	if (n < 2 || size == 0)
		return;
	for (m = n; m > 1; m >>= 1)
		depth += 2;
	introsort(base, n, size, cmp, depth);
}

void *bsearch(const void *key, const void *base, size_t n, size_t size,
	      cmp_fn cmp)
{
	const char *lo = base;

	while (n > 0) {
		const char *mid = lo + (n / 2) * size;
		int c = cmp(key, mid);

		if (c == 0)
			return (void *)mid;
		if (c > 0) {
			lo = mid + size;
			n -= n / 2 + 1;
		} else {
			n /= 2;
		}
	}
	return NULL;
}

/* ---- rand: xorshift64* ----------------------------------------------------- */

static uint64_t rand_state = 0x9e3779b97f4a7c15ull;

/* srand() runs the seed through splitmix64 so that nearby seeds give
 * unrelated sequences and the state is never zero. */
void srand(unsigned int seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	rand_state = z ? z : 0x9e3779b97f4a7c15ull;
}

int rand(void)
{
	uint64_t x = rand_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rand_state = x;
	return (int)((x * 0x2545f4914f6cdd1dull) >> 33);
}

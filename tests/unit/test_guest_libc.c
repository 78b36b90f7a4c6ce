/* test_guest_libc.c: host unit test of the guest C library (guest/lib).
 *
 * build_guest_libc_test.sh compiles string.c, ctype.c, stdlib.c, printf.c
 * and malloc.c with the guest flags, links them into one object and
 * prefixes every symbol with pv_, so the guest's snprintf is pv_snprintf
 * here and glibc's snprintf stays the reference. This file supplies the
 * prefixed kernel hooks (console, page provider, errno, assert) and checks
 * the library against glibc wherever glibc defines the expected answer. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "check.h"

#define PV_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- the guest library, renamed ------------------------------------------ */

int pv_snprintf(char *buf, size_t size, const char *fmt, ...) PV_PRINTF(3, 4);
int pv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	PV_PRINTF(3, 0);
int pv_sprintf(char *buf, const char *fmt, ...) PV_PRINTF(2, 3);
int pv_vsprintf(char *buf, const char *fmt, va_list ap) PV_PRINTF(2, 0);
int pv_printf(const char *fmt, ...) PV_PRINTF(1, 2);
int pv_vprintf(const char *fmt, va_list ap) PV_PRINTF(1, 0);
int pv_fprintf(void *f, const char *fmt, ...) PV_PRINTF(2, 3);
int pv_vfprintf(void *f, const char *fmt, va_list ap) PV_PRINTF(2, 0);
int pv_puts(const char *s);
int pv_putchar(int c);
int pv_fputs(const char *s, void *f);
int pv_fputc(int c, void *f);
int pv_putc(int c, void *f);
int pv_fflush(void *f);
extern void *pv_stdout, *pv_stderr;

long pv_strtol(const char *s, char **end, int base);
long long pv_strtoll(const char *s, char **end, int base);
unsigned long pv_strtoul(const char *s, char **end, int base);
unsigned long long pv_strtoull(const char *s, char **end, int base);
intmax_t pv_strtoimax(const char *s, char **end, int base);
uintmax_t pv_strtoumax(const char *s, char **end, int base);
int pv_atoi(const char *s);
long pv_atol(const char *s);
long long pv_atoll(const char *s);
int pv_abs(int x);
long pv_labs(long x);
long long pv_llabs(long long x);
intmax_t pv_imaxabs(intmax_t x);
div_t pv_div(int a, int b);
ldiv_t pv_ldiv(long a, long b);
lldiv_t pv_lldiv(long long a, long long b);
imaxdiv_t pv_imaxdiv(intmax_t a, intmax_t b);
void pv_qsort(void *base, size_t n, size_t size,
	      int (*cmp)(const void *, const void *));
void *pv_bsearch(const void *key, const void *base, size_t n, size_t size,
		 int (*cmp)(const void *, const void *));
int pv_rand(void);
void pv_srand(unsigned seed);

void *pv_malloc(size_t size);
void *pv_calloc(size_t n, size_t size);
void *pv_realloc(void *p, size_t size);
void *pv_aligned_alloc(size_t align, size_t size);
int pv_posix_memalign(void **out, size_t align, size_t size);
void pv_free(void *p);

int pv_isalnum(int), pv_isalpha(int), pv_isblank(int), pv_iscntrl(int);
int pv_isdigit(int), pv_isgraph(int), pv_islower(int), pv_isprint(int);
int pv_ispunct(int), pv_isspace(int), pv_isupper(int), pv_isxdigit(int);
int pv_tolower(int), pv_toupper(int);

void *pv_memcpy(void *dst, const void *src, size_t n);
void *pv_mempcpy(void *dst, const void *src, size_t n);
void *pv_memccpy(void *dst, const void *src, int c, size_t n);
void *pv_memmove(void *dst, const void *src, size_t n);
void *pv_memset(void *dst, int c, size_t n);
int pv_memcmp(const void *a, const void *b, size_t n);
void *pv_memchr(const void *s, int c, size_t n);
void *pv_memrchr(const void *s, int c, size_t n);
size_t pv_strlen(const char *s);
size_t pv_strnlen(const char *s, size_t max);
char *pv_strcpy(char *dst, const char *src);
char *pv_stpcpy(char *dst, const char *src);
char *pv_strncpy(char *dst, const char *src, size_t n);
char *pv_strcat(char *dst, const char *src);
char *pv_strncat(char *dst, const char *src, size_t n);
size_t pv_strlcpy(char *dst, const char *src, size_t size);
size_t pv_strlcat(char *dst, const char *src, size_t size);
int pv_strcmp(const char *a, const char *b);
int pv_strncmp(const char *a, const char *b, size_t n);
int pv_strcoll(const char *a, const char *b);
int pv_strcasecmp(const char *a, const char *b);
int pv_strncasecmp(const char *a, const char *b, size_t n);
char *pv_strchr(const char *s, int c);
char *pv_strchrnul(const char *s, int c);
char *pv_strrchr(const char *s, int c);
char *pv_strstr(const char *h, const char *n);
size_t pv_strspn(const char *s, const char *a);
size_t pv_strcspn(const char *s, const char *r);
char *pv_strpbrk(const char *s, const char *a);
char *pv_strtok(char *s, const char *d);
char *pv_strtok_r(char *s, const char *d, char **save);
char *pv_strsep(char **sp, const char *d);
char *pv_strdup(const char *s);
char *pv_strndup(const char *s, size_t n);
char *pv_strerror(int e);

/* ---- hooks the guest kernel would provide ------------------------------------ */

static char console_buf[1 << 16];
static size_t console_len;
static int console_calls;
static size_t console_max_write;
static int console_fail;

long pv___console_write(const char *buf, unsigned long len)
{
	console_calls++;
	if (console_fail)
		return -1;
	if (len > console_max_write)
		console_max_write = len;
	if (console_len + len <= sizeof(console_buf)) {
		memcpy(console_buf + console_len, buf, len);
		console_len += len;
	}
	return (long)len;
}

static void console_reset(void)
{
	console_len = 0;
	console_calls = 0;
	console_max_write = 0;
	console_fail = 0;
}

#define PAGE 4096UL

static long pages_outstanding;	/* pages handed out and not returned */
static long pages_bad_free;	/* __pages_free calls with wrong arguments */
static int pages_fail;		/* make __pages_alloc fail */
static int pages_keep_freed;	/* leave freed pages mapped */

/* Each allocation gets a bookkeeping page in front recording its size, so
 * __pages_free can verify it is handed back exactly what was allocated. */
void *pv___pages_alloc(unsigned long npages)
{
	char *base;

	if (pages_fail)
		return NULL;
	base = mmap(NULL, (npages + 1) * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	*(unsigned long *)base = npages;
	pages_outstanding += npages;
	return base + PAGE;
}

void pv___pages_free(void *p, unsigned long npages)
{
	char *base = (char *)p - PAGE;

	if (((uintptr_t)p & (PAGE - 1)) || *(unsigned long *)base != npages) {
		pages_bad_free++;
		return;
	}
	pages_outstanding -= npages;
	if (!pages_keep_freed)
		munmap(base, (npages + 1) * PAGE);
}

static int pv_errno;

int *pv___errno_location(void)
{
	return &pv_errno;
}

static jmp_buf assert_jmp;
static int assert_armed;
static char assert_msg[256];

__attribute__((noreturn)) void pv___assert_fail(const char *expr,
						const char *file, int line,
						const char *func)
{
	snprintf(assert_msg, sizeof(assert_msg), "%s", expr);
	if (assert_armed) {
		assert_armed = 0;
		longjmp(assert_jmp, 1);
	}
	fprintf(stderr, "unexpected guest assertion: %s (%s:%d, %s)\n", expr,
		file, line, func);
	abort();
}

/* Runs stmt expecting the guest library to call __assert_fail with a
 * message containing what. */
#define EXPECT_DIE(stmt, what)                                             \
	do {                                                               \
		assert_msg[0] = '\0';                                      \
		assert_armed = 1;                                          \
		if (setjmp(assert_jmp) == 0) {                             \
			stmt;                                              \
			assert_armed = 0;                                  \
			CHECK(!"no abort from: " #stmt);                   \
		} else {                                                   \
			CHECK(strstr(assert_msg, what) != NULL);           \
		}                                                          \
	} while (0)

/* ---- deterministic randomness ------------------------------------------------ */

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/* ---- snprintf against glibc ------------------------------------------------ */

static char got[8192], want[8192];
static char got_t[128], want_t[128];
static int diffs_shown;

/* g and w hold up to cap bytes and need not be terminated. */
static void show_diff(int line, const char *fmt, const char *what, int rg,
		      const char *g, int rw, const char *w, size_t cap)
{
	int gl = strnlen(g, cap < 200 ? cap : 200);
	int wl = strnlen(w, cap < 200 ? cap : 200);

	if (diffs_shown++ >= 25)
		return;
	printf("# line %d: fmt \"%s\" (%s): got %d \"%.*s\", glibc %d \"%.*s\"\n",
	       line, fmt, what, rg, gl, g, rw, wl, w);
}

/* Compares full outputs and one truncated output at size tsize. */
static void compare_formatted(int line, const char *fmt, int rg, int rw,
			      size_t tsize, int rtg, int rtw)
{
	size_t n = rw < 0 ? 0 : (size_t)rw;

	if (n >= sizeof(got))
		n = sizeof(got) - 1;
	if (rg != rw || memcmp(got, want, n + 1) != 0) {
		show_diff(line, fmt, "full", rg, got, rw, want, sizeof(got));
		CHECK(!"snprintf differs from glibc");
	}
	if (rtg != rtw || memcmp(got_t, want_t, sizeof(got_t)) != 0) {
		char what[48];

		snprintf(what, sizeof(what), "truncated to %zu", tsize);
		show_diff(line, fmt, what, rtg, got_t, rtw, want_t,
			  sizeof(got_t));
		CHECK(!"truncated snprintf differs from glibc");
	}
}

/* Formats with both libraries, in full and truncated to a random size
 * (buffers are pre-filled with a canary, so overruns show up too). */
#define UNPAREN(...) __VA_ARGS__
#define CMP_SPLIT(fmt, ref_fmt, args, ref_args)                            \
	do {                                                               \
		size_t ts_ = rnd_below(48);                                \
		int rg_, rw_, rtg_, rtw_;                                  \
		rg_ = pv_snprintf(got, sizeof(got), fmt, UNPAREN args);    \
		rw_ = snprintf(want, sizeof(want), ref_fmt,                \
			       UNPAREN ref_args);                          \
		memset(got_t, 0x5a, sizeof(got_t));                        \
		memset(want_t, 0x5a, sizeof(want_t));                      \
		rtg_ = pv_snprintf(got_t, ts_, fmt, UNPAREN args);         \
		rtw_ = snprintf(want_t, ts_, ref_fmt, UNPAREN ref_args);   \
		compare_formatted(__LINE__, fmt, rg_, rw_, ts_, rtg_, rtw_); \
	} while (0)
#define CMP(fmt, ...) CMP_SPLIT(fmt, fmt, (__VA_ARGS__), (__VA_ARGS__))

#define IGNORED_FLAGS_BEGIN                                                \
	_Pragma("GCC diagnostic push")                                     \
	_Pragma("GCC diagnostic ignored \"-Wformat\"")
#define IGNORED_FLAGS_END _Pragma("GCC diagnostic pop")

static void test_printf_integers(void)
{
	CMP("%d", 0);
	CMP("%d|%d|%d|%d", 1, -1, INT_MAX, INT_MIN);
	CMP("%i %i", 123, -456);
	CMP("%u %u", 0u, UINT_MAX);
	CMP("%x %X %o", 0xdeadbeefu, 0xdeadbeefu, 0777u);
	CMP("%#x %#X %#o", 255u, 255u, 8u);
	CMP("%#x %#X %#o", 0u, 0u, 0u);
	CMP("%.0d|%.0i|%.0u|%.0x|%.0o|%#.0o|%#.0x", 0, 0, 0u, 0u, 0u, 0u, 0u);
	CMP("%.0d|%.0x", 7, 7u);
	CMP("[%5d][%-5d][%05d][%05d]", 42, 42, 42, -42);
	CMP("[%+d][% d][%+d]", 42, 42, -42);
	CMP("[%+05d][%-+5d][% 05d]", 42, 42, 42);
	CMP("[%.5d][%8.5d][%-8.5d][%+.3d]", -42, 42, 42, 7);
	/* Flags that C says are ignored in these combinations. */
	IGNORED_FLAGS_BEGIN
	CMP("[%+ d][% +d][%-05d][%08.5d][%-08x]", 42, 42, 42, 42, 42u);
	CMP("[%-010.3f][%+ e][%- 012g]", -3.14159, 2.5, 1e-7);
	IGNORED_FLAGS_END
	CMP("[%#08x][%#-8x][%#8.4x][%#08o][%#.5o][%#5o]", 255u, 255u, 255u,
	    8u, 8u, 8u);
	CMP("%hhd %hhd %hhu %hhx", 300, -129, 257, 0x1ff);
	CMP("%hd %hd %hu %hx", 70000, -32769, 65537, 0x12345);
	CMP("%ld %ld %lu %lx", LONG_MAX, LONG_MIN, ULONG_MAX, ULONG_MAX);
	CMP("%lld %lld %llu %llo", LLONG_MAX, LLONG_MIN, ULLONG_MAX, ULLONG_MAX);
	CMP("%zu %zx %zd", SIZE_MAX, (size_t)0x1234, (ssize_t)-5);
	CMP("%jd %jd %ju %jx", INTMAX_MAX, INTMAX_MIN, UINTMAX_MAX, UINTMAX_MAX);
	CMP("%td %td %tx", (ptrdiff_t)-7, PTRDIFF_MAX, (ptrdiff_t)0x7f);
	CMP("%" PRId64 " %" PRIu32 " %" PRIx8, INT64_MIN, UINT32_MAX,
	    (uint8_t)0xab);
	CMP("[%*d][%*d][%.*d][%.*d][%*.*d]", 10, 42, -10, 42, 5, 42, -1, 42,
	    8, 3, 42);
	CMP("[%-*d][%0*d][%*d]", 6, 1, 6, -1, 0, 5);
	CMP("[%600d]", 1);
	CMP("[%.600d]", -1);
	CMP("[%c][%5c][%-5c][%c]", 'A', 'x', 'y', 255);
	CMP("a%cb", 0);
}

static void test_printf_strings(void)
{
	const char *volatile null_str = NULL;
	void *volatile null_ptr = NULL;

	CMP("%s", "hello");
	CMP("[%10s][%-10s][%.3s][%10.3s][%-10.3s][%.0s][%.10s]", "hello",
	    "hello", "hello", "hello", "hello", "hello", "hello");
	CMP("[%*s][%-*s][%.*s][%.*s]", 8, "ab", 8, "ab", 1, "ab", -1, "ab");
	CMP("[%s][%10s][%.6s][%.10s][%.3s][%-8.2s]", null_str, null_str,
	    null_str, null_str, null_str, null_str);
	CMP("%s%s%s", "", "x", "");
	CMP("[%p][%20p][%-20p]", (void *)0x1234, (void *)0xffff8000deadbeef,
	    (void *)1);
	CMP("[%p][%10p][%-10p]", null_ptr, null_ptr, null_ptr);
	CMP("100%% %%d %5.2s|%-6d|%+.3e|%c", "abc", 17, 2.5, 'z');
	CMP("%s=%d, %s=%u, %s=%#x", "a", 1, "b", 2u, "c", 3u);
	CMP("%ls|%5ls|%.2ls", L"wide", L"ab", L"xyz");
}

/* Unsupported or malformed directives are copied through verbatim. */
static void test_printf_unsupported(void)
{
	const char *volatile odd = "%y|%5k|%a|%n|tail %";
	const char *volatile cut = "%-5";

	CHECK_EQ(pv_snprintf(got, sizeof(got), odd, 1.0), 19);
	CHECK_STR(got, "%y|%5k|%a|%n|tail %");
	CHECK_EQ(pv_snprintf(got, sizeof(got), cut, 0), 3);
	CHECK_STR(got, "%-5");
}

static void test_printf_floats(void)
{
	volatile double nan_ = NAN;

	CMP("%f %f %f %f", 0.0, -0.0, 1.0, -1.5);
	CMP("%f %f %f", 0.1, 1e-7, 123456789.123456789);
	CMP("%f", 1e300);
	CMP("%f %f", DBL_MAX, -DBL_MAX);
	CMP("%f %.30f %.400f", DBL_MIN, DBL_MIN, DBL_MIN);
	CMP("%.1100f", DBL_TRUE_MIN);
	CMP("%.0f %.0f %.0f %.0f %.0f %.0f", 0.5, 1.5, 2.5, -0.5, 3.5, 0.49999);
	CMP("%.1f %.1f %.2f %.2f %.2f %.2f", 0.25, 0.35, 0.125, 0.375, 1.005,
	    2.675);
	CMP("%.3f %.3f %.1f", 9.9995, 0.0005, 0.05);
	CMP("%e %e %e %e %e", 0.0, 1.0, 12345.678, 1e-300, DBL_MAX);
	CMP("%E %.0e %#.0e %.3e %.3e", 1e-10, 5e10, 5.0, 9.9995, 9.9994);
	CMP("%#.0f %#f %#.0e %#g %#.0g %#.3g", 5.0, 1.0, 1.0, 1.0, 0.0, 100.0);
	CMP("%g %g %g %g %g", 0.0, 100000.0, 1000000.0, 1e-4, 1e-5);
	CMP("%g %g %g %G", 0.0001234, 123456789.0, 999999.5, 1e-10);
	CMP("%.0g %.1g %.2g %.20g %.17g", 0.5, 0.05, 99.5, 0.1, 1.0 / 3);
	CMP("%g %g %g", 9.9999995, 0.00009999995, 1e15);
	CMP("%.17g %.17g %.17g %.17g", DBL_MAX, DBL_MIN, DBL_TRUE_MIN, M_PI);
	CMP("%f %F %e %E %g %G", INFINITY, INFINITY, -INFINITY, -INFINITY,
	    INFINITY, -INFINITY);
	CMP("%f %F %e %E %g %G", nan_, nan_, -nan_, -nan_, nan_, -nan_);
	CMP("[%10f][%-10f][%010f][%+f][% f][%+010.3e]", INFINITY, INFINITY,
	    -INFINITY, INFINITY, nan_, -INFINITY);
	CMP("[%010.3f][%-+10.2e][% .3g][%+#.0f][%012g][%-12g]", -3.14159,
	    2.71828, 1.5, 7.0, -1e-7, 1e-7);
	CMP("[%*.*f][%-*.*e][%.*g]", 12, 3, 3.14159, 12, 2, 31415.9, -5,
	    0.000123456789);
	CMP("%Lf %.10Le %Lg", (long double)1.5, (long double)1e100,
	    (long double)-0.1);
	CMP("%.60f %.60e", 0.1, 0.1);
	CMP("%.3f", 1e300);
	CMP("%.400e", DBL_MAX);
	CMP("%5.1f%%", 99.95);

	/* Where glibc is wrong (see alt_g_reference), the C11 answer. */
	CHECK_EQ(pv_snprintf(got, sizeof(got), "%#.3g|%#g|%#.2G", 999.9,
			     999999.5, -99.9), 29);
	CHECK_STR(got, "1.00e+03|1.00000e+06|-1.0E+02");
}

static const char *const int_lengths[] = { "hh", "h", "", "l", "ll", "z",
					   "j", "t" };

/* A random integer with a random number of significant bits. */
static uint64_t random_int_value(void)
{
	uint64_t v = rnd();

	switch (rnd_below(4)) {
	case 0:
		return v;
	case 1:
		return v >> rnd_below(64);
	case 2:
		return -(v >> rnd_below(64));
	default:
		return rnd_below(3) - 1;
	}
}

#define CMP_STARS(fmt, nstar, st, v)                                       \
	do {                                                               \
		if ((nstar) == 0)                                          \
			CMP(fmt, v);                                       \
		else if ((nstar) == 1)                                     \
			CMP(fmt, (st)[0], v);                              \
		else                                                       \
			CMP(fmt, (st)[0], (st)[1], v);                     \
	} while (0)

/* What a random width/precision means once '*' arguments are applied:
 * width < 0 means none (a negative '*' width sets left_from_star). */
struct width_prec {
	int width;
	int left_from_star;
	int prec;		/* -1: none */
};

/* Appends random width and precision (possibly '*') to *f. */
static char *random_width_prec(char *f, int *stars, int *nstar, int maxprec,
			       struct width_prec *wp)
{
	int v;

	wp->width = -1;
	wp->left_from_star = 0;
	wp->prec = -1;
	switch (rnd_below(4)) {
	case 0:
		break;
	case 3:
		*f++ = '*';
		v = stars[(*nstar)++] = (int)rnd_below(81) - 40;
		wp->width = abs(v);
		wp->left_from_star = v < 0;
		break;
	default:
		wp->width = rnd_below(41);
		f += sprintf(f, "%d", wp->width);
		break;
	}
	switch (rnd_below(6)) {
	case 0:
	case 1:
		break;
	case 2:
		*f++ = '.';
		wp->prec = 0;
		break;
	case 3:
		*f++ = '.';
		*f++ = '*';
		v = stars[(*nstar)++] = (int)rnd_below(maxprec + 11) - 10;
		wp->prec = v < 0 ? -1 : v;
		break;
	default:
		wp->prec = rnd_below(maxprec + 1);
		f += sprintf(f, ".%d", wp->prec);
		break;
	}
	return f;
}

static void random_int_case(void)
{
	char fmt[64], *f = fmt;
	char conv = "diuoxX"[rnd_below(6)];
	int is_signed = conv == 'd' || conv == 'i';
	int len = rnd_below(8), stars[2], nstar = 0;
	uint64_t v = random_int_value();
	struct width_prec wp;

	*f++ = '%';
	if (rnd_below(4) == 0)
		*f++ = '-';
	if (is_signed && rnd_below(4) == 0)
		*f++ = '+';
	if (is_signed && rnd_below(4) == 0)
		*f++ = ' ';
	if (rnd_below(3) == 0)
		*f++ = '0';
	if ((conv == 'o' || conv == 'x' || conv == 'X') && rnd_below(3) == 0)
		*f++ = '#';
	f = random_width_prec(f, stars, &nstar, 30, &wp);
	f = stpcpy(f, int_lengths[len]);
	*f++ = conv;
	*f = '\0';

	switch (len * 2 + is_signed) {
	case 0: CMP_STARS(fmt, nstar, stars, (unsigned char)v); break;
	case 1: CMP_STARS(fmt, nstar, stars, (signed char)v); break;
	case 2: CMP_STARS(fmt, nstar, stars, (unsigned short)v); break;
	case 3: CMP_STARS(fmt, nstar, stars, (short)v); break;
	case 4: CMP_STARS(fmt, nstar, stars, (unsigned)v); break;
	case 5: CMP_STARS(fmt, nstar, stars, (int)v); break;
	case 6: CMP_STARS(fmt, nstar, stars, (unsigned long)v); break;
	case 7: CMP_STARS(fmt, nstar, stars, (long)v); break;
	case 8: CMP_STARS(fmt, nstar, stars, (unsigned long long)v); break;
	case 9: CMP_STARS(fmt, nstar, stars, (long long)v); break;
	case 10: CMP_STARS(fmt, nstar, stars, (size_t)v); break;
	case 11: CMP_STARS(fmt, nstar, stars, (ssize_t)v); break;
	case 12: CMP_STARS(fmt, nstar, stars, (uintmax_t)v); break;
	case 13: CMP_STARS(fmt, nstar, stars, (intmax_t)v); break;
	default: CMP_STARS(fmt, nstar, stars, (ptrdiff_t)v); break;
	}
}

static void test_printf_random_integers(void)
{
	int i;

	for (i = 0; i < 200000; i++)
		random_int_case();
}

static double double_from_bits(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

static const double powers_of_ten[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6,
					1e7, 1e8, 1e9, 1e10, 1e15, 1e20 };

/* Doubles from several distributions: arbitrary bit patterns (including
 * subnormals, infinities and NaNs), moderate magnitudes, integers,
 * short decimals, exact binary fractions (rounding ties) and values just
 * around powers of ten. */
static double random_double(void)
{
	double v;
	int k = rnd_below(13);

	switch (rnd_below(8)) {
	case 0:
		v = double_from_bits(rnd());
		break;
	case 1:
		v = double_from_bits((rnd() & 0x800fffffffffffffull) |
				     ((uint64_t)(1023 - 70 + rnd_below(141)) << 52));
		break;
	case 2:
		v = (double)(rnd() >> rnd_below(64));
		break;
	case 3:
		v = (double)rnd_below(10000000) / powers_of_ten[k];
		break;
	case 4:
		v = (double)rnd_below(1 << 20) / (double)(1 << rnd_below(21));
		break;
	case 5:
		v = nextafter(powers_of_ten[k] * (rnd_below(2) ? 1 : 1e-12),
			      rnd_below(2) ? 0 : INFINITY);
		break;
	case 6:
		v = double_from_bits(rnd() >> (12 + rnd_below(52)));
		break;
	default:
		v = ((double)rnd_below(100000) + 0.5) / powers_of_ten[k % 8];
		break;
	}
	return rnd_below(2) ? -v : v;
}

/* glibc 2.36 drops the zeros that '#' must keep when %#g rounding carries
 * into the next power of ten: %#.3g of 999.9 gives "1.e+03", not
 * "1.00e+03" (1e3 itself is fine). So %#g is checked against its C11
 * definition (7.21.6.1p8) built from glibc's %#e and %#f: with P
 * significant digits and X the exponent %e would print, it is
 * %#.(P-1-X)f if P > X >= -4, else %#.(P-1)e. Builds that format. */
static void alt_g_reference(char *ref, const char *flags,
			    const struct width_prec *wp, int is_long,
			    char conv, double v)
{
	int p = wp->prec < 0 ? 6 : wp->prec == 0 ? 1 : wp->prec;
	char tmp[512];
	int x = 0;
	char *e;

	snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
	e = strchr(tmp, 'e');
	if (e)
		x = atoi(e + 1);
	ref += sprintf(ref, "%%%s%s", flags, wp->left_from_star ? "-" : "");
	if (wp->width >= 0)
		ref += sprintf(ref, "%d", wp->width);
	if (p > x && x >= -4)
		sprintf(ref, ".%d%s%c", p - 1 - x, is_long ? "L" : "",
			conv == 'G' ? 'F' : 'f');
	else
		sprintf(ref, ".%d%s%c", p - 1, is_long ? "L" : "",
			conv == 'G' ? 'E' : 'e');
}

#define CMP_STARS_REF(fmt, ref, nstar, st, v)                              \
	do {                                                               \
		if ((nstar) == 0)                                          \
			CMP_SPLIT(fmt, ref, (v), (v));                     \
		else if ((nstar) == 1)                                     \
			CMP_SPLIT(fmt, ref, ((st)[0], v), (v));            \
		else                                                       \
			CMP_SPLIT(fmt, ref, ((st)[0], (st)[1], v), (v));   \
	} while (0)

static void random_float_case(void)
{
	char fmt[64], ref[64], flags[8], *f = fmt, *fl = flags;
	int stars[2], nstar = 0, is_long = rnd_below(10) == 0;
	double v = random_double();
	char conv = "fFeEgG"[rnd_below(6)];
	struct width_prec wp;
	const char *flag;

	for (flag = "-+ 0#"; *flag; flag++)
		if (rnd_below(4) == 0)
			*fl++ = *flag;
	*fl = '\0';
	f += sprintf(f, "%%%s", flags);
	f = random_width_prec(f, stars, &nstar, rnd_below(10) ? 20 : 70, &wp);
	if (is_long)
		*f++ = 'L';
	*f++ = conv;
	*f = '\0';

	if ((conv == 'g' || conv == 'G') && strchr(flags, '#') && isfinite(v)) {
		alt_g_reference(ref, flags, &wp, is_long, conv, v);
		if (is_long)
			CMP_STARS_REF(fmt, ref, nstar, stars, (long double)v);
		else
			CMP_STARS_REF(fmt, ref, nstar, stars, v);
	} else if (is_long) {
		CMP_STARS(fmt, nstar, stars, (long double)v);
	} else {
		CMP_STARS(fmt, nstar, stars, v);
	}
}

static void test_printf_random_floats(void)
{
	int i;

	for (i = 0; i < 200000; i++)
		random_float_case();
}

/* Every size from 0 past the end, checking the canary after the buffer. */
static void test_printf_truncation(void)
{
	static const char *const words[] = { "", "a", "hello, world",
					     "a fairly long string to cut" };
	size_t w, size;

	for (w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		size_t len = strlen(words[w]) + 8;

		for (size = 0; size <= len + 2; size++) {
			char a[64], b[64];
			int ra, rb;

			memset(a, 0x5a, sizeof(a));
			memset(b, 0x5a, sizeof(b));
			ra = pv_snprintf(a, size, "[%s|%5d]", words[w], -12);
			rb = snprintf(b, size, "[%s|%5d]", words[w], -12);
			CHECK_EQ(ra, rb);
			CHECK(memcmp(a, b, sizeof(a)) == 0);
		}
	}
	CHECK_EQ(pv_snprintf(NULL, 0, "%d-%s", 12345, "abc"), 9);
	CHECK_EQ(pv_snprintf(NULL, 0, "%.500f", 1.0), 502);
}

static int call_vsnprintf(char *buf, size_t n, const char *fmt, ...)
	PV_PRINTF(3, 4);
static int call_vsnprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pv_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

static int call_vsprintf(char *buf, const char *fmt, ...) PV_PRINTF(2, 3);
static int call_vsprintf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pv_vsprintf(buf, fmt, ap);
	va_end(ap);
	return r;
}

static void test_printf_variants(void)
{
	volatile int huge = INT_MAX;
	char buf[64];

	CHECK_EQ(call_vsnprintf(buf, sizeof(buf), "%d:%s", 7, "x"), 3);
	CHECK_STR(buf, "7:x");
	CHECK_EQ(call_vsnprintf(buf, 3, "%d%d%d", 1, 2, 3), 3);
	CHECK_STR(buf, "12");
	CHECK_EQ(pv_sprintf(buf, "%05.1f|%x", 3.14159, 255u), 8);
	CHECK_STR(buf, "003.1|ff");
	CHECK_EQ(call_vsprintf(buf, "%s-%c", "ab", 'c'), 4);
	CHECK_STR(buf, "ab-c");

	/* A total that does not fit in an int is an error (EOVERFLOW). */
	pv_errno = 0;
	CHECK_EQ(pv_snprintf(NULL, 0, "%*d%*d", huge, 1, huge, 1), -1);
	CHECK_EQ(pv_errno, EOVERFLOW);
	CHECK_EQ(pv_snprintf(NULL, 0, "%*d", huge, 1), INT_MAX);
}

/* ---- console output ------------------------------------------------------------ */

static int call_vprintf(const char *fmt, ...) PV_PRINTF(1, 2);
static int call_vprintf(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pv_vprintf(fmt, ap);
	va_end(ap);
	return r;
}

static int console_is(const char *s)
{
	return console_len == strlen(s) && memcmp(console_buf, s, console_len) == 0;
}

static void test_console_output(void)
{
	char expect[6000];
	const char *empty = "";

	console_reset();
	CHECK_EQ(pv_printf("hello %s %d\n", "world", 42), 15);
	CHECK_EQ(console_calls, 1);
	CHECK(console_is("hello world 42\n"));

	console_reset();
	CHECK_EQ(pv_printf("%s", empty), 0);
	CHECK_EQ(console_calls, 0);

	/* Up to 512 bytes is one write; beyond that, 512-byte chunks. */
	console_reset();
	CHECK_EQ(pv_printf("%512d", 5), 512);
	CHECK_EQ(console_calls, 1);
	console_reset();
	CHECK_EQ(pv_printf("%513d", 5), 513);
	CHECK_EQ(console_calls, 2);
	console_reset();
	CHECK_EQ(pv_printf("<%5000d>", 77), 5002);
	snprintf(expect, sizeof(expect), "<%5000d>", 77);
	CHECK(console_is(expect));
	CHECK_EQ(console_calls, 10);
	CHECK(console_max_write <= 512);

	console_reset();
	CHECK_EQ(call_vprintf("%x-%x", 10u, 11u), 3);
	CHECK(console_is("a-b"));
	CHECK_EQ(console_calls, 1);

	console_reset();
	CHECK_EQ(pv_fprintf(pv_stderr, "err %d", 1), 5);
	CHECK_EQ(pv_fprintf(pv_stdout, "out %d", 2), 5);
	CHECK(console_is("err 1out 2"));
	CHECK_EQ(console_calls, 2);

	console_reset();
	CHECK(pv_puts("abc") >= 0);
	CHECK(console_is("abc\n"));
	CHECK_EQ(console_calls, 1);
	console_reset();
	memset(expect, 'q', 700);
	expect[700] = '\0';
	CHECK(pv_puts(expect) >= 0);
	CHECK_EQ(console_calls, 2);
	CHECK_EQ(console_len, 701);
	CHECK(console_buf[700] == '\n');

	console_reset();
	CHECK_EQ(pv_putchar('x'), 'x');
	CHECK_EQ(pv_fputc(0xe9, pv_stdout), 0xe9);
	CHECK_EQ(pv_putc('y', pv_stderr), 'y');
	CHECK(pv_fputs("zz", pv_stdout) >= 0);
	CHECK_EQ(console_calls, 4);
	CHECK(console_is("x\xe9yzz"));
	CHECK_EQ(pv_fflush(pv_stdout), 0);

	/* A failing console turns into -1/EIO and EOF. */
	console_reset();
	console_fail = 1;
	pv_errno = 0;
	CHECK_EQ(pv_printf("x%d", 1), -1);
	CHECK_EQ(pv_errno, EIO);
	CHECK_EQ(pv_puts("x"), EOF);
	CHECK_EQ(pv_putchar('x'), EOF);
	console_reset();
}

/* ---- strtol family ----------------------------------------------------------------- */

static const char *const strto_inputs[] = {
	"", "   ", "0", "-0", "+0", "1", "123", "  -123", "\t\n\v\f\r +42",
	"0x1f", "0X1F", "0x", "0xg", "-0x10", "+0x7fz", "077", "08", "09",
	"0b101", "1010", "z", "Z", "zz", "1z", "+-1", "-+1", "- 1", "  +",
	"12abc", "abc", "  0x", "0x0x1", "00000000000000000000000000000001",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808",
	"-9223372036854775809", "18446744073709551615",
	"18446744073709551616", "-18446744073709551615",
	"-18446744073709551616", "99999999999999999999999999999",
	"-99999999999999999999999999999", "0x7fffffffffffffff",
	"0x8000000000000000", "-0x8000000000000000", "-0x8000000000000001",
	"0xffffffffffffffff", "0x10000000000000000",
	"1777777777777777777777", "2000000000000000000000",
	"01777777777777777777777", "3w5e11264sgsf", "3w5e11264sgsg",
	"1y2p0ij32e8e7", "1y2p0ij32e8e8", "-1y2p0ij32e8e8", "1e5", "12.5",
	"\x80" "1", "1\xff",
};

static const int strto_bases[] = { 0, 2, 8, 10, 16, 36 };

struct strto_result {
	unsigned long long value;
	ptrdiff_t end;
	int err;
};

/* Prints the first few disagreements to make failures easy to read. */
static void strto_compare(const char *fn, const char *s, int base,
			  struct strto_result g, struct strto_result w)
{
	static int shown;

	if (g.value == w.value && g.end == w.end && g.err == w.err)
		return;
	if (shown++ < 20)
		printf("# %s(\"%s\", %d): got %llu end %td errno %d, glibc %llu end %td errno %d\n",
		       fn, s, base, g.value, g.end, g.err, w.value, w.end,
		       w.err);
	CHECK(!"strto* differs from glibc");
}

#define STRTO_BOTH(fn, s, base)                                            \
	do {                                                               \
		struct strto_result g_, w_;                                \
		char *e_;                                                  \
		pv_errno = 0;                                              \
		g_.value = (unsigned long long)pv_##fn(s, &e_, base);      \
		g_.end = e_ - (s);                                         \
		g_.err = pv_errno;                                         \
		errno = 0;                                                 \
		w_.value = (unsigned long long)fn(s, &e_, base);           \
		w_.end = e_ - (s);                                         \
		w_.err = errno;                                            \
		strto_compare(#fn, s, base, g_, w_);                       \
	} while (0)

static void strto_all(const char *s, int base)
{
	STRTO_BOTH(strtol, s, base);
	STRTO_BOTH(strtoul, s, base);
	STRTO_BOTH(strtoll, s, base);
	STRTO_BOTH(strtoull, s, base);
	STRTO_BOTH(strtoimax, s, base);
	STRTO_BOTH(strtoumax, s, base);
}

static void test_strtol_table(void)
{
	size_t i, b;

	for (i = 0; i < sizeof(strto_inputs) / sizeof(strto_inputs[0]); i++)
		for (b = 0; b < sizeof(strto_bases) / sizeof(strto_bases[0]); b++)
			strto_all(strto_inputs[i], strto_bases[b]);
}

static void test_strtol_errors(void)
{
	char *end = NULL;
	const char *s = "123";

	pv_errno = 0;
	CHECK_EQ(pv_strtol(s, &end, 1), 0);
	CHECK_EQ(pv_errno, EINVAL);
	CHECK(end == s);
	pv_errno = 0;
	CHECK_EQ(pv_strtoul(s, &end, 37), 0);
	CHECK_EQ(pv_errno, EINVAL);
	pv_errno = 0;
	CHECK_EQ(pv_strtoll(s, NULL, -2), 0);
	CHECK_EQ(pv_errno, EINVAL);

	/* errno is left alone on success; endptr may be NULL. */
	pv_errno = 1234;
	CHECK_EQ(pv_strtol("077", NULL, 0), 63);
	CHECK_EQ(pv_errno, 1234);

	CHECK_EQ(pv_atoi("  -42xyz"), -42);
	CHECK_EQ(pv_atoi("2147483647"), INT_MAX);
	CHECK_EQ(pv_atol("-9223372036854775808"), LONG_MIN);
	CHECK_EQ(pv_atoll("9223372036854775807"), LLONG_MAX);
	CHECK_EQ(pv_atoi("junk"), 0);
}

/* Random numbers written in random bases, with decoration. */
static void test_strtol_random(void)
{
	int i;

	for (i = 0; i < 50000; i++) {
		char s[160], *p = s;
		int base = rnd_below(4) == 0 ? 0 : 2 + (int)rnd_below(35);
		int radix = base ? base : (int[]){ 8, 10, 16 }[rnd_below(3)];
		int ndig = 1 + rnd_below(rnd_below(4) == 0 ? 90 : 22);
		int k;

		while (rnd_below(3) == 0)
			*p++ = " \t\n"[rnd_below(3)];
		if (rnd_below(2))
			*p++ = "+-"[rnd_below(2)];
		if (radix == 16 && rnd_below(2)) {
			*p++ = '0';
			*p++ = rnd_below(2) ? 'x' : 'X';
		} else if (base == 0 && radix == 8) {
			*p++ = '0';
		}
		for (k = 0; k < ndig; k++) {
			int d = rnd_below(radix);
			char c = d < 10 ? '0' + d : 'a' + d - 10;

			*p++ = rnd_below(2) ? c : toupper(c);
		}
		if (rnd_below(2))
			*p++ = "xz.9 "[rnd_below(5)];
		*p = '\0';
		strto_all(s, base);
	}
}

/* ---- ctype ---------------------------------------------------------------------- */

static void test_ctype(void)
{
	static const struct {
		int (*pv)(int);
		int (*libc)(int);
	} fns[] = {
		{ pv_isalnum, isalnum }, { pv_isalpha, isalpha },
		{ pv_isblank, isblank }, { pv_iscntrl, iscntrl },
		{ pv_isdigit, isdigit }, { pv_isgraph, isgraph },
		{ pv_islower, islower }, { pv_isprint, isprint },
		{ pv_ispunct, ispunct }, { pv_isspace, isspace },
		{ pv_isupper, isupper }, { pv_isxdigit, isxdigit },
	};
	size_t f;
	int c;

	for (c = EOF; c <= 255; c++) {
		for (f = 0; f < sizeof(fns) / sizeof(fns[0]); f++)
			CHECK(!fns[f].pv(c) == !fns[f].libc(c));
		CHECK_EQ(pv_tolower(c), tolower(c));
		CHECK_EQ(pv_toupper(c), toupper(c));
	}
}

/* ---- string functions -------------------------------------------------------------- */

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

/* Fills s with n random bytes from a small alphabet (so matches happen),
 * including bytes >= 0x80, and terminates it. */
static void random_string(char *s, size_t n)
{
	static const char alphabet[] = "aabcABC,; \x80\xff";
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = alphabet[rnd_below(sizeof(alphabet) - 1)];
	s[n] = '\0';
}

static void test_string_compare_search(void)
{
	int i;

	for (i = 0; i < 30000; i++) {
		char a[64], b[64], set[8];
		size_t la = rnd_below(40), lb = rnd_below(40), n = rnd_below(50);
		int c = (unsigned char)"abC\x80\xff"[rnd_below(5)];

		random_string(a, la);
		if (rnd_below(3) == 0)
			memcpy(b, a, la + 1), lb = la;
		else
			random_string(b, lb);
		if (rnd_below(4) == 0 && lb > 0)
			b[rnd_below(lb)] ^= 0x20;
		random_string(set, rnd_below(4));

		CHECK_EQ(sign(pv_strcmp(a, b)), sign(strcmp(a, b)));
		CHECK_EQ(sign(pv_strcoll(a, b)), sign(strcmp(a, b)));
		CHECK_EQ(sign(pv_strncmp(a, b, n)), sign(strncmp(a, b, n)));
		CHECK_EQ(sign(pv_strcasecmp(a, b)), sign(strcasecmp(a, b)));
		CHECK_EQ(sign(pv_strncasecmp(a, b, n)),
			 sign(strncasecmp(a, b, n)));
		CHECK_EQ(sign(pv_memcmp(a, b, la < lb ? la : lb)),
			 sign(memcmp(a, b, la < lb ? la : lb)));
		CHECK_EQ(pv_strlen(a), strlen(a));
		CHECK_EQ(pv_strnlen(a, n), strnlen(a, n));
		CHECK(pv_strchr(a, c) == strchr(a, c));
		CHECK(pv_strchr(a, c + 256) == strchr(a, c + 256));
		CHECK(pv_strchr(a, 0) == strchr(a, 0));
		CHECK(pv_strchrnul(a, c) == strchrnul(a, c));
		CHECK(pv_strrchr(a, c) == strrchr(a, c));
		CHECK(pv_strrchr(a, 0) == strrchr(a, 0));
		CHECK(pv_memchr(a, c, la) == memchr(a, c, la));
		CHECK(pv_memrchr(a, c, la) == memrchr(a, c, la));
		CHECK(pv_strspn(a, set) == strspn(a, set));
		CHECK(pv_strcspn(a, set) == strcspn(a, set));
		CHECK(pv_strpbrk(a, set) == strpbrk(a, set));
		if (lb > 0 && rnd_below(2)) {	/* a needle taken from a */
			size_t off = la ? rnd_below(la) : 0;

			memcpy(b, a + off, lb = rnd_below(la - off + 1));
			b[lb] = '\0';
		} else {
			size_t cut = rnd_below(5);

			if (cut < lb)
				b[cut] = '\0';
		}
		CHECK(pv_strstr(a, b) == strstr(a, b));
	}
	CHECK_EQ(sign(pv_strcmp("a", "\xff")), -1);
	CHECK_EQ(sign(pv_memcmp("\x01", "\xfe", 1)), -1);
	CHECK_EQ(pv_strcasecmp("HeLLo", "hello"), 0);
	CHECK(pv_strstr("abc", "") != NULL);
}

/* memcpy/memmove/memset at every small offset and length, with guard
 * bytes around the destination; memmove within one buffer both ways. */
static void test_string_memory(void)
{
	unsigned char src[600], dst[700], ref[700];
	int i;

	for (i = 0; i < 600; i++)
		src[i] = rnd();
	for (i = 0; i < 20000; i++) {
		size_t n = rnd_below(rnd_below(8) == 0 ? 520 : 40);
		size_t so = rnd_below(40), d_off = rnd_below(40);
		int c = rnd();

		memset(dst, 0xa5, sizeof(dst));
		memset(ref, 0xa5, sizeof(ref));
		CHECK(pv_memcpy(dst + d_off, src + so, n) == dst + d_off);
		memcpy(ref + d_off, src + so, n);
		CHECK(memcmp(dst, ref, sizeof(dst)) == 0);

		CHECK(pv_mempcpy(dst + d_off, src + so, n) == dst + d_off + n);

		CHECK(pv_memset(dst + d_off, c, n) == dst + d_off);
		memset(ref + d_off, c, n);
		CHECK(memcmp(dst, ref, sizeof(dst)) == 0);

		memcpy(dst, src, 600);
		memcpy(ref, src, 600);
		CHECK(pv_memmove(dst + d_off, dst + so, n) == dst + d_off);
		memmove(ref + d_off, ref + so, n);
		CHECK(memcmp(dst, ref, sizeof(dst)) == 0);
	}
}

/* strlcpy/strlcat have no glibc 2.36 counterpart: small references. */
static size_t ref_strlcpy(char *d, const char *s, size_t size)
{
	size_t len = strlen(s);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(d, s, n);
		d[n] = '\0';
	}
	return len;
}

static size_t ref_strlcat(char *d, const char *s, size_t size)
{
	size_t used = strnlen(d, size);

	if (used == size)
		return size + strlen(s);
	return used + ref_strlcpy(d + used, s, size - used);
}

static void test_string_copy(void)
{
	int i;

	for (i = 0; i < 20000; i++) {
		char s[48], base[48], d1[128], d2[128];
		size_t ls = rnd_below(40), lb = rnd_below(40), n = rnd_below(50);
		int c = (unsigned char)"abC\x80"[rnd_below(4)];
		void *r1, *r2;

		random_string(s, ls);
		random_string(base, lb);

#define PREP() (memset(d1, 0x33, sizeof(d1)), memset(d2, 0x33, sizeof(d2)), \
		strcpy(d1, base), strcpy(d2, base))
#define SAME() CHECK(memcmp(d1, d2, sizeof(d1)) == 0)
		PREP();
		CHECK(pv_strcpy(d1, s) == d1);
		strcpy(d2, s);
		SAME();
		PREP();
		CHECK(pv_stpcpy(d1, s) == stpcpy(d2, s) - d2 + d1);
		SAME();
		PREP();
		CHECK(pv_strncpy(d1, s, n) == d1);
		strncpy(d2, s, n);
		SAME();
		PREP();
		CHECK(pv_strcat(d1, s) == d1);
		strcat(d2, s);
		SAME();
		PREP();
		CHECK(pv_strncat(d1, s, n) == d1);
		strncat(d2, s, n);
		SAME();
		PREP();
		CHECK_EQ(pv_strlcpy(d1, s, n), ref_strlcpy(d2, s, n));
		SAME();
		PREP();
		CHECK_EQ(pv_strlcat(d1, s, n), ref_strlcat(d2, s, n));
		SAME();
		PREP();
		r1 = pv_memccpy(d1, s, c, ls);
		r2 = memccpy(d2, s, c, ls);
		CHECK(r1 == (r2 ? (char *)r2 - d2 + d1 : NULL));
		SAME();
#undef PREP
#undef SAME
	}
}

static void test_string_tokens(void)
{
	int i;

	for (i = 0; i < 5000; i++) {
		/* a and b are compared whole: no uninitialized tail. */
		char s[48], a[48] = { 0 }, b[48] = { 0 }, delim[4];
		char *sa, *sb, *ta, *tb, *pa = a, *pb = b;

		random_string(s, rnd_below(40));
		random_string(delim, rnd_below(3) + 1);
		strcpy(a, s);
		strcpy(b, s);
		ta = pv_strtok_r(a, delim, &sa);
		tb = strtok_r(b, delim, &sb);
		for (;;) {
			CHECK((ta ? ta - a : -1) == (tb ? tb - b : -1));
			if (!ta || !tb)
				break;
			ta = pv_strtok_r(NULL, delim, &sa);
			tb = strtok_r(NULL, delim, &sb);
		}
		CHECK(memcmp(a, b, sizeof(a)) == 0);

		strcpy(a, s);
		strcpy(b, s);
		ta = pv_strtok(a, delim);
		tb = strtok(b, delim);
		for (;;) {
			CHECK((ta ? ta - a : -1) == (tb ? tb - b : -1));
			if (!ta || !tb)
				break;
			ta = pv_strtok(NULL, delim);
			tb = strtok(NULL, delim);
		}

		strcpy(a, s);
		strcpy(b, s);
		for (;;) {
			ta = pv_strsep(&pa, delim);
			tb = strsep(&pb, delim);
			CHECK((ta ? ta - a : -1) == (tb ? tb - b : -1));
			CHECK((pa ? pa - a : -1) == (pb ? pb - b : -1));
			if (!ta || !tb)
				break;
		}
		CHECK(memcmp(a, b, sizeof(a)) == 0);
	}
}

static void test_string_dup_and_errors(void)
{
	static const int known[] = {
		0, EPERM, ENOENT, ESRCH, EINTR, EIO, ENXIO, E2BIG, ENOEXEC,
		EBADF, ECHILD, EAGAIN, ENOMEM, EACCES, EFAULT, ENOTBLK, EBUSY,
		EEXIST, EXDEV, ENODEV, ENOTDIR, EISDIR, EINVAL, ENFILE, EMFILE,
		ENOTTY, ETXTBSY, EFBIG, ENOSPC, ESPIPE, EROFS, EMLINK, EPIPE,
		EDOM, ERANGE, EDEADLK, ENAMETOOLONG, ENOLCK, ENOSYS, ENOTEMPTY,
		ELOOP, EOVERFLOW, EILSEQ, ENOTSUP, EOPNOTSUPP, ETIMEDOUT,
		EALREADY, EINPROGRESS, ECANCELED, EWOULDBLOCK,
		-1, 41, 58, 100000, INT_MIN,
	};
	size_t i;
	char *p;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		char want_msg[128];

		snprintf(want_msg, sizeof(want_msg), "%s", strerror(known[i]));
		if (strcmp(pv_strerror(known[i]), want_msg) != 0) {
			printf("# strerror(%d): got \"%s\", glibc \"%s\"\n",
			       known[i], pv_strerror(known[i]), want_msg);
			CHECK(!"strerror differs from glibc");
		}
	}

	p = pv_strdup("duplicate me");
	CHECK(p && strcmp(p, "duplicate me") == 0);
	pv_free(p);
	p = pv_strndup("duplicate me", 3);
	CHECK(p && strcmp(p, "dup") == 0);
	pv_free(p);
	p = pv_strndup("ab", 100);
	CHECK(p && strcmp(p, "ab") == 0);
	pv_free(p);
}

/* ---- qsort, bsearch, arithmetic, rand ---------------------------------------------- */

static long cmp_calls;

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	cmp_calls++;
	return (x > y) - (x < y);
}

struct rec {		/* 12 bytes: exercises the non-word-multiple swap */
	int key;
	int tag;
	int pad;
};

struct odd3 {
	unsigned char b[3];
};

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

static int cmp_rec_full(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->key != y->key)
		return (x->key > y->key) - (x->key < y->key);
	return (x->tag > y->tag) - (x->tag < y->tag);
}

static int cmp_odd3(const void *a, const void *b)
{
	return memcmp(a, b, 3);
}

/* Input shapes that trouble naive quicksorts. */
static void fill_pattern(int *v, size_t n, int pattern)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (pattern) {
		case 0: v[i] = (int)rnd(); break;
		case 1: v[i] = i; break;
		case 2: v[i] = n - i; break;
		case 3: v[i] = 7; break;
		case 4: v[i] = rnd_below(4); break;
		case 5: v[i] = i < n / 2 ? i : n - i; break;
		case 6: v[i] = i % 17; break;
		default: v[i] = (i & 1) ? (int)i : -(int)i; break;
		}
	}
}

static double log2_of(size_t n)
{
	double l = 0;

	while (n > 1) {
		n >>= 1;
		l++;
	}
	return l + 1;
}

static void test_qsort(void)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 4, 5, 7, 8, 12, 13, 16, 17,
					31, 100, 1000, 10000, 100000 };
	static int a[100000], b[100000];
	size_t s, i;
	int pattern;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];

		for (pattern = 0; pattern < 8; pattern++) {
			fill_pattern(a, n, pattern);
			memcpy(b, a, n * sizeof(int));
			cmp_calls = 0;
			pv_qsort(a, n, sizeof(int), cmp_int);
			CHECK(cmp_calls <= (long)(4 * n * log2_of(n)) + 32);
			qsort(b, n, sizeof(int), cmp_int);
			CHECK(memcmp(a, b, n * sizeof(int)) == 0);
		}
	}

	/* 12-byte records: sorted by key, and a permutation of the input. */
	for (s = 0; s < 200; s++) {
		static struct rec r[3000], copy[3000];
		size_t n = rnd_below(3000);

		for (i = 0; i < n; i++) {
			r[i].key = rnd_below(50);
			r[i].tag = i;
			r[i].pad = ~(int)i;
		}
		memcpy(copy, r, n * sizeof(r[0]));
		pv_qsort(r, n, sizeof(r[0]), cmp_rec);
		for (i = 1; i < n; i++)
			CHECK(r[i - 1].key <= r[i].key);
		for (i = 0; i < n; i++)
			CHECK(r[i].pad == ~r[i].tag);
		qsort(r, n, sizeof(r[0]), cmp_rec_full);
		qsort(copy, n, sizeof(r[0]), cmp_rec_full);
		CHECK(memcmp(r, copy, n * sizeof(r[0])) == 0);
	}

	/* 3-byte elements. */
	for (s = 0; s < 100; s++) {
		static struct odd3 x[2000], y[2000];
		size_t n = rnd_below(2000);

		for (i = 0; i < n; i++)
			for (int k = 0; k < 3; k++)
				x[i].b[k] = rnd_below(3);
		memcpy(y, x, n * 3);
		pv_qsort(x, n, 3, cmp_odd3);
		qsort(y, n, 3, cmp_odd3);
		CHECK(memcmp(x, y, n * 3) == 0);
	}
}

static void test_bsearch(void)
{
	int v[500];
	size_t n, i;
	int key;

	for (n = 0; n <= 500; n += (n < 20 ? 1 : 37)) {
		for (i = 0; i < n; i++)
			v[i] = 2 * (int)i + (int)(i > n / 2);
		for (key = -2; key <= 2 * (int)n + 2; key++) {
			int *g = pv_bsearch(&key, v, n, sizeof(int), cmp_int);
			int *w = bsearch(&key, v, n, sizeof(int), cmp_int);

			CHECK(g == w);
		}
	}
}

static void test_arith(void)
{
	int x[] = { 0, 1, -1, 7, -7, INT_MAX, INT_MIN + 1, 100, -100 };
	int y[] = { 1, -1, 2, -2, 3, -3, 7, INT_MAX };
	size_t i, j;

	for (i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		CHECK_EQ(pv_abs(x[i]), abs(x[i]));
		CHECK_EQ(pv_labs((long)x[i] * 1000000), labs((long)x[i] * 1000000));
		CHECK_EQ(pv_llabs(x[i] * 1048576LL), llabs(x[i] * 1048576LL));
		CHECK_EQ(pv_imaxabs(x[i]), imaxabs(x[i]));
		for (j = 0; j < sizeof(y) / sizeof(y[0]); j++) {
			div_t g = pv_div(x[i], y[j]), w = div(x[i], y[j]);
			ldiv_t lg = pv_ldiv(x[i] * 3L, y[j]);
			ldiv_t lw = ldiv(x[i] * 3L, y[j]);
			lldiv_t llg = pv_lldiv(x[i] * 5LL, y[j]);
			lldiv_t llw = lldiv(x[i] * 5LL, y[j]);
			imaxdiv_t ig = pv_imaxdiv(x[i] * 9LL, y[j]);
			imaxdiv_t iw = imaxdiv(x[i] * 9LL, y[j]);

			CHECK(g.quot == w.quot && g.rem == w.rem);
			CHECK(lg.quot == lw.quot && lg.rem == lw.rem);
			CHECK(llg.quot == llw.quot && llg.rem == llw.rem);
			CHECK(ig.quot == iw.quot && ig.rem == iw.rem);
		}
	}
}

static void test_rand(void)
{
	int first[16], i;
	long buckets[16] = { 0 };
	double sum = 0, chi = 0;
	const int samples = 1600000;

	pv_srand(1);
	for (i = 0; i < 16; i++)
		first[i] = pv_rand();
	pv_srand(1);
	for (i = 0; i < 16; i++)
		CHECK_EQ(pv_rand(), first[i]);
	pv_srand(2);
	CHECK(pv_rand() != first[0] || pv_rand() != first[1]);

	for (i = 0; i < samples; i++) {
		int r = pv_rand();

		CHECK(r >= 0 && r <= 0x7fffffff);
		sum += r;
		buckets[r & 15]++;
	}
	CHECK(fabs(sum / samples / 0x7fffffff - 0.5) < 0.002);
	for (i = 0; i < 16; i++) {
		double d = buckets[i] - samples / 16.0;

		chi += d * d / (samples / 16.0);
	}
	CHECK(chi < 50);	/* 15 degrees of freedom: p ~ 1e-5 */
}

/* ---- malloc ------------------------------------------------------------------------- */

static unsigned char pattern_byte(uint32_t seed, size_t i)
{
	return (unsigned char)(seed * 131 + i * 31 + (i >> 8));
}

static void fill(void *p, size_t n, uint32_t seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		c[i] = pattern_byte(seed, i);
}

static int intact(const void *p, size_t n, uint32_t seed)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != pattern_byte(seed, i))
			return 0;
	return 1;
}

static size_t random_alloc_size(void)
{
	switch (rnd_below(10)) {
	case 0:
		return 4097 + rnd_below(65536 - 4096);
	case 1:
	case 2:
		return 257 + rnd_below(4096 - 256);
	default:
		return 1 + rnd_below(256);
	}
}

#define SLOTS 3000

static void test_malloc_stress(void)
{
	static struct {
		unsigned char *p;
		size_t n;
		uint32_t seed;
	} slot[SLOTS];
	long ops;
	size_t i;

	for (ops = 0; ops < 300000; ops++) {
		size_t k = rnd_below(SLOTS);
		uint32_t seed = rnd();

		if (!slot[k].p) {
			size_t n = random_alloc_size();
			int use_calloc = rnd_below(8) == 0;

			slot[k].p = use_calloc ? pv_calloc(1, n) : pv_malloc(n);
			CHECK(slot[k].p != NULL);
			if (!slot[k].p)
				continue;
			CHECK(((uintptr_t)slot[k].p & 15) == 0);
			if (use_calloc)
				for (i = 0; i < n; i++)
					CHECK(slot[k].p[i] == 0);
			fill(slot[k].p, n, seed);
			slot[k].n = n;
			slot[k].seed = seed;
		} else if (rnd_below(3) == 0) {
			size_t n = random_alloc_size();
			size_t keep = n < slot[k].n ? n : slot[k].n;
			unsigned char *q = pv_realloc(slot[k].p, n);

			CHECK(q != NULL);
			if (!q)
				continue;
			CHECK(((uintptr_t)q & 15) == 0);
			CHECK(intact(q, keep, slot[k].seed));
			fill(q, n, seed);
			slot[k].p = q;
			slot[k].n = n;
			slot[k].seed = seed;
		} else {
			CHECK(intact(slot[k].p, slot[k].n, slot[k].seed));
			pv_free(slot[k].p);
			slot[k].p = NULL;
		}
	}
	for (i = 0; i < SLOTS; i++) {
		if (slot[i].p) {
			CHECK(intact(slot[i].p, slot[i].n, slot[i].seed));
			pv_free(slot[i].p);
			slot[i].p = NULL;
		}
	}
	/* Everything freed: at most one cached slab per size class remains. */
	CHECK(pages_outstanding <= 23);
	CHECK_EQ(pages_bad_free, 0);
}

static void test_malloc_reuse(void)
{
	static void *p[2000];
	long before;
	int i, round;

	for (round = 0; round < 3; round++) {
		before = pages_outstanding;
		for (i = 0; i < 2000; i++) {
			p[i] = pv_malloc(100);
			CHECK(p[i] != NULL);
		}
		CHECK(pages_outstanding > before);
		for (i = 0; i < 2000; i++)
			pv_free(p[i]);
		CHECK(pages_outstanding <= before + 1);
	}

	/* Same-size churn does not grow the heap. */
	before = pages_outstanding;
	for (i = 0; i < 100000; i++) {
		void *q = pv_malloc(1 + i % 2000);

		CHECK(q != NULL);
		pv_free(q);
	}
	CHECK(pages_outstanding <= before + 23);

	/* Large blocks go straight back to the page provider. */
	before = pages_outstanding;
	p[0] = pv_malloc(100000);
	CHECK(p[0] != NULL);
	CHECK_EQ(pages_outstanding, before + 25);	/* 64 + 100000 bytes */
	pv_free(p[0]);
	CHECK_EQ(pages_outstanding, before);
	CHECK_EQ(pages_bad_free, 0);
}

static void test_malloc_edges(void)
{
	void *p, *q;
	size_t n;

	/* malloc(0) gives distinct, freeable pointers. */
	p = pv_malloc(0);
	q = pv_malloc(0);
	CHECK(p && q && p != q);
	pv_free(p);
	pv_free(q);
	pv_free(NULL);

	for (n = 1; n <= 9000; n += (n < 300 ? 1 : 61)) {
		p = pv_malloc(n);
		CHECK(p && ((uintptr_t)p & 15) == 0);
		memset(p, 0xee, n);
		pv_free(p);
	}

	pv_errno = 0;
	CHECK(pv_malloc(SIZE_MAX) == NULL);
	CHECK_EQ(pv_errno, ENOMEM);
	CHECK(pv_malloc((size_t)1 << 50) == NULL);
	pv_errno = 0;
	CHECK(pv_calloc(SIZE_MAX / 2, 3) == NULL);
	CHECK_EQ(pv_errno, ENOMEM);
	CHECK(pv_calloc((size_t)1 << 33, (size_t)1 << 33) == NULL);
	CHECK(pv_calloc(SIZE_MAX, SIZE_MAX) == NULL);

	/* calloc really zeroes recycled memory. */
	p = pv_malloc(1000);
	memset(p, 0xff, 1000);
	pv_free(p);
	q = pv_calloc(10, 100);
	CHECK(q != NULL);
	for (n = 0; q && n < 1000; n++)
		CHECK(((unsigned char *)q)[n] == 0);
	pv_free(q);

	/* realloc: NULL, growth small -> large, shrink, zero. */
	p = pv_realloc(NULL, 10);
	CHECK(p != NULL);
	fill(p, 10, 5);
	p = pv_realloc(p, 50000);
	CHECK(p && intact(p, 10, 5));
	fill(p, 50000, 6);
	p = pv_realloc(p, 3000);
	CHECK(p && intact(p, 3000, 6));
	p = pv_realloc(p, 20);
	CHECK(p && intact(p, 20, 6));
	CHECK(pv_realloc(p, 0) == NULL);

	/* Page provider failure: NULL and ENOMEM, old block untouched. */
	p = pv_malloc(5000);
	fill(p, 5000, 9);
	pages_fail = 1;
	pv_errno = 0;
	CHECK(pv_malloc(100000) == NULL);
	CHECK_EQ(pv_errno, ENOMEM);
	CHECK(pv_realloc(p, 200000) == NULL);
	CHECK(intact(p, 5000, 9));
	{
		static void *held[64];
		int k, got_null = 0;

		pv_errno = 0;
		for (k = 0; k < 64; k++) {
			held[k] = pv_malloc(2000);
			if (!held[k]) {
				got_null = 1;
				break;
			}
		}
		CHECK(got_null);
		CHECK_EQ(pv_errno, ENOMEM);
		while (k-- > 0)
			pv_free(held[k]);
	}
	pages_fail = 0;
	pv_free(p);
	CHECK_EQ(pages_bad_free, 0);
}

static void test_malloc_aligned(void)
{
	static const size_t aligns[] = { 1, 2, 8, 16, 32, 64, 128, 256, 1024,
					 4096, 8192, 65536 };
	static const size_t sizes[] = { 0, 1, 17, 100, 1000, 1344, 2016, 3000,
					100000 };
	size_t a, s;
	void *p;

	for (a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t al = aligns[a], n = sizes[s];

			p = pv_aligned_alloc(al, n);
			CHECK(p != NULL);
			CHECK(((uintptr_t)p & (al - 1)) == 0);
			CHECK(((uintptr_t)p & 15) == 0);
			fill(p, n, 3);
			CHECK(intact(p, n, 3));
			p = pv_realloc(p, n + 10);
			CHECK(p && intact(p, n, 3));
			pv_free(p);

			if (al >= sizeof(void *)) {
				p = NULL;
				CHECK_EQ(pv_posix_memalign(&p, al, n), 0);
				CHECK(p && ((uintptr_t)p & (al - 1)) == 0);
				memset(p, 1, n);
				pv_free(p);
			}
		}
	}
	pv_errno = 0;
	CHECK(pv_aligned_alloc(3, 10) == NULL);
	CHECK_EQ(pv_errno, EINVAL);
	CHECK(pv_aligned_alloc(0, 10) == NULL);
	p = (void *)1;
	CHECK_EQ(pv_posix_memalign(&p, 4, 10), EINVAL);
	CHECK_EQ(pv_posix_memalign(&p, 24, 10), EINVAL);
	CHECK_EQ(pv_posix_memalign(&p, 0, 10), EINVAL);
	CHECK(p == (void *)1);
	CHECK_EQ(pages_bad_free, 0);
}

static void test_malloc_misuse(void)
{
	static _Alignas(4096) unsigned char foreign[8192];
	unsigned char *p, *big;

	pages_keep_freed = 1;	/* so freed headers stay readable */
	p = pv_malloc(40);	/* 48-byte class */
	EXPECT_DIE(pv_free(p + 8), "invalid pointer");
	EXPECT_DIE(pv_free(p + 16), "invalid pointer");
	EXPECT_DIE(pv_free(foreign + 4096 + 64), "invalid pointer");
	pv_free(p);
	EXPECT_DIE(pv_free(p), "double free");
	EXPECT_DIE((void)pv_realloc(p, 10), "use after free");

	big = pv_malloc(20000);
	EXPECT_DIE(pv_free(big + 4096), "invalid pointer");
	pv_free(big);
	EXPECT_DIE(pv_free(big), "double free");
	EXPECT_DIE((void)pv_realloc(big, 10), "use after free");
	pages_keep_freed = 0;

	/* The allocator still works afterwards. */
	p = pv_malloc(40);
	CHECK(p != NULL);
	pv_free(p);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);	/* keep results if we crash */
	RUN(test_printf_integers);
	RUN(test_printf_strings);
	RUN(test_printf_unsupported);
	RUN(test_printf_floats);
	RUN(test_printf_random_integers);
	RUN(test_printf_random_floats);
	RUN(test_printf_truncation);
	RUN(test_printf_variants);
	RUN(test_console_output);
	RUN(test_strtol_table);
	RUN(test_strtol_errors);
	RUN(test_strtol_random);
	RUN(test_ctype);
	RUN(test_string_compare_search);
	RUN(test_string_memory);
	RUN(test_string_copy);
	RUN(test_string_tokens);
	RUN(test_string_dup_and_errors);
	RUN(test_qsort);
	RUN(test_bsearch);
	RUN(test_arith);
	RUN(test_rand);
	RUN(test_malloc_stress);
	RUN(test_malloc_reuse);
	RUN(test_malloc_edges);
	RUN(test_malloc_aligned);
	RUN(test_malloc_misuse);
	CHECK_EXIT();
}

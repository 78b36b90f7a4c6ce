/* assert.h: assert() for the pvisor guest C library.
 *
 * Deliberately has no include guard: like the standard header, each
 * inclusion re-evaluates NDEBUG. __assert_fail is provided by the kernel
 * (lib/hooks.c has a weak default). */

#ifndef PVISOR_GUEST_ASSERT_FAIL_DECLARED
#define PVISOR_GUEST_ASSERT_FAIL_DECLARED
void __assert_fail(const char *expr, const char *file, int line,
		   const char *func) __attribute__((__noreturn__));
#endif

#undef assert
#ifdef NDEBUG
#define assert(expr) ((void)0)
#else
#define assert(expr)							\
	(__builtin_expect(!!(expr), 1) ? (void)0 :			\
	 __assert_fail(#expr, __FILE__, __LINE__, __func__))
#endif

#if !defined(__cplusplus) && !defined(static_assert)
#define static_assert _Static_assert
#endif

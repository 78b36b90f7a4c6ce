/* pvtest.h: the result line of a guest test.
 *
 * A test defines TEST_NAME before including this, prints exactly one
 * "PASS NAME" or "FAIL NAME: reason" line (through test_pass() or
 * test_fail()) and returns 0 or 1 from main. Other lines are diagnostics.
 * Threads record failures with test_note_failure(); main reports them. */
#ifndef PVTEST_H
#define PVTEST_H

#include <stdarg.h>
#include <stdio.h>
#include <pv/pv.h>

#ifndef TEST_NAME
#error "define TEST_NAME before including pvtest.h"
#endif

static char test_failure[256];

static inline int test_pass(void)
{
	printf("PASS %s\n", TEST_NAME);
	return 0;
}

__attribute__((__format__(__printf__, 1, 2)))
static inline int test_fail(const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	printf("FAIL %s: %s\n", TEST_NAME, reason);
	return 1;
}

/* Remembers the first failure seen by any thread. */
__attribute__((__format__(__printf__, 1, 2)))
static inline void test_note_failure(const char *fmt, ...)
{
	va_list ap;

	if (test_failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(test_failure, sizeof(test_failure), fmt, ap);
	va_end(ap);
}

/* PASS, or FAIL with the first noted failure. */
static inline int test_result(void)
{
	return test_failure[0] ? test_fail("%s", test_failure) : test_pass();
}

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond))						\
			return test_fail(__VA_ARGS__);			\
	} while (0)

#endif

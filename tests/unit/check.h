/* check.h: the minimal harness shared by pvisor's host unit tests.
 *
 * Each unit test is one executable made of TEST() cases. Every case prints
 * one line, "ok NAME" or "not ok NAME: file:line: expression", and the
 * binary exits non-zero if any case failed. tests/run counts these lines. */
#ifndef PVISOR_TESTS_CHECK_H
#define PVISOR_TESTS_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed_cases;
static int check_case_failed;

/* CHECK records a failure of the current case and keeps going. */
#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			if (!check_case_failed)                            \
				printf("not ok %s: %s:%d: %s\n",           \
				       check_case_name, __FILE__, __LINE__, \
				       #cond);                             \
			check_case_failed = 1;                             \
		}                                                          \
	} while (0)

#define CHECK_EQ(a, b) CHECK((a) == (b))
#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

static const char *check_case_name;

/* RUN executes one case function and prints its result line. */
#define RUN(fn)                                                            \
	do {                                                               \
		check_case_name = #fn;                                     \
		check_case_failed = 0;                                     \
		fn();                                                      \
		if (check_case_failed)                                     \
			check_failed_cases++;                              \
		else                                                       \
			printf("ok %s\n", #fn);                            \
	} while (0)

#define CHECK_EXIT() return check_failed_cases ? 1 : 0

/* xorshift64: a deterministic generator, so a failing random case
 * reproduces. Tests may set check_rng_state to pick their own sequence. */
static uint64_t check_rng_state __attribute__((unused)) = 0x9e3779b97f4a7c15ull;

static inline uint64_t check_rng(void)
{
	check_rng_state ^= check_rng_state << 13;
	check_rng_state ^= check_rng_state >> 7;
	check_rng_state ^= check_rng_state << 17;
	return check_rng_state;
}

#endif

/* pvisor-test: exit=126 stdout=pvisor-guest: assertion failed: value == 2 stderr=guest crashed stderr=check_value */
/* assert_fail.c: a failed assert() prints the expression, file, line and
 * function and ends the domain with a crash report whose registers and
 * backtrace are those of the failing function. */
#include <assert.h>
#include <stdio.h>

__attribute__((__noinline__)) static void check_value(volatile int value)
{
	assert(value == 2);
	printf("FAIL assert_fail: assert(%d == 2) returned\n", value);
}

int main(void)
{
	check_value(1);
	return 1;
}

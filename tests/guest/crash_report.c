/* pvisor-test: exit=126 stderr=guest crashed stderr=deadbeef stderr=write_to_bad_address */
/* crash_report.c: an unhandled page fault at 0xdeadbeef000 in a named
 * function ends the domain with the hypervisor's crash report, which names
 * the fault address and (from the symbol table) the function. */
#define TEST_NAME "crash_report"
#include "pvtest.h"

__attribute__((__noinline__)) static void write_to_bad_address(volatile uint64_t *p)
{
	*p = 0x1234;
}

int main(void)
{
	printf("crash_report: about to fault at 0xdeadbeef000\n");
	write_to_bad_address((volatile uint64_t *)0xdeadbeef000ull);
	return test_fail("the write to 0xdeadbeef000 returned");
}

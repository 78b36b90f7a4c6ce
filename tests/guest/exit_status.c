/* pvisor-test: exit=42 stdout=PASS exit_status */
/* exit_status.c: main's return value becomes pvisor's exit status. */
#define TEST_NAME "exit_status"
#include "pvtest.h"

int main(void)
{
	test_pass();
	return 42;
}

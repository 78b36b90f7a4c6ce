/* pvisor-test: exit=0 */
/* main_stack.c: a program can give main() a bigger stack by defining
 * pv_main_stack_size; here main uses 700 KiB of locals, more than the
 * default 256 KiB. */
#define TEST_NAME "main_stack"
#include "pvtest.h"

const size_t pv_main_stack_size = 1024 * 1024;

#define BIG (700 * 1024)

__attribute__((__noinline__)) static unsigned long use_big_stack(void)
{
	volatile unsigned char big[BIG];
	unsigned long sum = 0, i;

	for (i = 0; i < BIG; i += 512)
		big[i] = (unsigned char)i;
	for (i = 0; i < BIG; i += 512)
		sum += big[i];
	return sum;
}

int main(void)
{
	unsigned long want = 0, i;

	for (i = 0; i < BIG; i += 512)
		want += (unsigned char)i;
	CHECK(use_big_stack() == want, "big stack contents wrong");
	return test_pass();
}

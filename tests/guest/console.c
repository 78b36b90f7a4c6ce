/* pvisor-test: exit=0 stdout=console: formats 42 -17 0x2a |left  | right| 3.14 stdout=console: write() works stdout=console: LONG-WRITE-END */
/* console.c: console output: printf formats, several small writes, write(),
 * and one write longer than PVISOR_CONSOLE_IO_MAX (64 KiB) that
 * pv_console_write() must split into several hypercalls. */
#define TEST_NAME "console"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pvtest.h"

#define LONG_LEN (PVISOR_CONSOLE_IO_MAX + 12345)

int main(void)
{
	static const char end_marker[] = "\nconsole: LONG-WRITE-END\n";
	char buf[128];
	char *big;
	long n;
	size_t i;
	int r;

	r = printf("console: formats %d %d %#x |%-6s| %5s| %.2f\n", 42, -17, 42, "left",
		   "right", 3.14159);
	CHECK(r == (int)strlen("console: formats 42 -17 0x2a |left  | right| 3.14\n"),
	      "printf returned %d", r);

	snprintf(buf, sizeof(buf), "%lu %lld %llx %c %s %5.1f%%", 18446744073709551615ul,
		 -9223372036854775807ll - 1, 0xdeadbeefcafeull, 'x', "str", 99.44);
	CHECK(strcmp(buf, "18446744073709551615 -9223372036854775808 deadbeefcafe x str  99.4%") == 0,
	      "snprintf gave '%s'", buf);

	for (i = 0; i < 5; i++)
		printf("console: small write %zu\n", i);

	n = write(STDOUT_FILENO, "console: write() works\n", 23);
	CHECK(n == 23, "write() returned %ld", n);
	CHECK(pv_console_write("", 0) == 0, "empty write did not return 0");

	big = malloc(LONG_LEN + sizeof(end_marker));
	CHECK(big, "malloc of the long buffer failed");
	for (i = 0; i < LONG_LEN; i++)
		big[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
	memcpy(big + LONG_LEN, end_marker, sizeof(end_marker) - 1);
	n = pv_console_write(big, LONG_LEN + sizeof(end_marker) - 1);
	CHECK(n == (long)(LONG_LEN + sizeof(end_marker) - 1),
	      "long write returned %ld, expected %zu", n, LONG_LEN + sizeof(end_marker) - 1);
	free(big);
	return test_pass();
}

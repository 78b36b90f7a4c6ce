/* pvisor-test: exit=0 stdin=hello pvisor\nsecond line\n stdout=echo: second line */
/* console_input.c: bytes on pvisor's stdin reach the guest through the
 * console read hypercall and VIRQ_CONSOLE, in order, followed by end of
 * input (0) when stdin closes. A UART has no end of input: there, the
 * command line "bytes=25" ends the reading after that many bytes, and
 * input is sent once the guest says it is reading (bytes that arrive
 * while the driver switches the UART's FIFOs on are lost, as on any
 * 16550). */
#define TEST_NAME "console_input"
#include "pvtest.h"
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char buf[256], line[256];
	size_t len = 0, total = 0, limit = 0;
	long n = 0;

	if (argc > 1 && strncmp(argv[1], "bytes=", 6) == 0)
		limit = (size_t)atoi(argv[1] + 6);
	printf("console_input: reading\n");	/* a tester may wait for this */
	while ((!limit || total < limit) && (n = pv_console_read(buf, sizeof(buf))) > 0) {
		for (long i = 0; i < n; i++) {
			total++;
			if (buf[i] != '\n') {
				if (len < sizeof(line) - 1)
					line[len++] = buf[i];
				continue;
			}
			line[len] = '\0';
			printf("echo: %s\n", line);
			if (total == 12 && strcmp(line, "hello pvisor") != 0)
				return test_fail("first line was '%s'", line);
			len = 0;
		}
	}
	if (n < 0)
		return test_fail("console read failed: %ld", n);
	if (total != 25)
		return test_fail("read %zu bytes before end of input, expected 25", total);
	return test_pass();
}

/* bulk_output.c: writes a given number of numbered, checksummed lines to
 * the console as fast as it can (argv[1], default 20000), then "done N"
 * and the exits it took; the console suite checks every line arrived once,
 * in order, intact, and the console benchmark times it (the final line
 * counts only the time to queue the output, not to drain it). */
#include <stdio.h>
#include <stdlib.h>
#include <pv/hypercall.h>
#include <pv/time.h>

static unsigned line_sum(unsigned i)
{
	return (unsigned)(((uint64_t)i * 2654435761u + 12345u) % 4294967296u);
}

int main(int argc, char **argv)
{
	unsigned lines = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 20000;
	long exits0 = pv_hypercall1(PVISOR_HC_VCPU_INFO, PVISOR_VCPU_INFO_EXITS);
	uint64_t t0 = pv_clock_ns(), bytes = 0;

	for (unsigned i = 0; i < lines; i++)
		bytes += (uint64_t)printf("line %08u %08x the quick brown fox jumps over the lazy dog\n",
					  i, line_sum(i));
	printf("done %u: %llu bytes in %llu ns, %ld exits\n", lines, (unsigned long long)bytes,
	       (unsigned long long)(pv_clock_ns() - t0),
	       pv_hypercall1(PVISOR_HC_VCPU_INFO, PVISOR_VCPU_INFO_EXITS) - exits0);
	return 0;
}

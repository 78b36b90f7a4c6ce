/* options.c: pvisor run's option table, and parsing the sizes and durations
 * given on the command line. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "cli/options.h"

int parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long n;
	char *end;
	int shift = 20;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case '\0': break;
	default: return -1;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end || n > (~0ull >> shift))
		return -1;
	*bytes = (uint64_t)n << shift;
	return 0;
}

int parse_seconds(const char *s, double *seconds)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0 || v > 1e9)
		return -1;
	*seconds = v;
	return 0;
}

/* `pvisor run`'s options; main.c gives each letter its meaning. */
const struct option run_long_options[] = {
	{ "mem", required_argument, NULL, 'm' },
	{ "cmdline", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, 't' },
	{ "stats", no_argument, NULL, 's' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "no-seccomp", no_argument, NULL, 'Z' },
	{ "disk", required_argument, NULL, 'd' },
	{ "net", required_argument, NULL, 'n' },
	{ "mode", required_argument, NULL, 'M' },
	{ "config", required_argument, NULL, 'C' },
	{ "check", no_argument, NULL, 'K' },
	{ "domid", required_argument, NULL, 'D' },
	{ "console-log", required_argument, NULL, 'L' },
	{ "control-socket", required_argument, NULL, 'S' },
	{ "exit-file", required_argument, NULL, 'X' },
	{ "jail", optional_argument, NULL, 'J' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

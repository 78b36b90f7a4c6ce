/* fuzz_config.c: fuzzes the domain configuration file reader
 * (hv/cli/config_file.c) and the value parsers the `run` options it
 * produces go through (hv/cli/options.c, hv/disk/disk_spec.c,
 * hv/net/net_spec.c).
 *
 * The input is the whole configuration file: it is written to a memfd and
 * read back through /proc/self/fd/N, as `pvisor run --config FILE` reads a
 * file. An accepted file must give a NULL-terminated argv starting with
 * "run" and every argument a C string. That argv is then scanned with
 * getopt_long as `run` scans it, with run's own option table
 * (run_long_options[], hv/cli/options.c): every option it yields must be
 * one a configuration file may set (docs/config.md), never a command-line-only
 * one such as --no-seccomp or --control-socket. Each value then goes
 * through its option's parser. fuzz_config.dict holds the JSON keys and
 * the option names. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/config_file.h"
#include "cli/options.h"
#include "disk/disk_spec.h"
#include "net/net_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char path[64];

static void check_argv(const struct config_args *a)
{
	if (a->argc < 1 || !a->argv || strcmp(a->argv[0], "run") || a->argv[a->argc])
		abort();
	for (int i = 0; i < a->argc; i++)
		if (!a->argv[i])
			abort();
}

/* Runs one option's value through the parser `run` gives it. */
static void parse_value(int c, const char *value, unsigned *nets)
{
	struct disk_config disk;
	struct net_config net;
	uint64_t bytes;
	double seconds;
	char err[256];

	switch (c) {
	case 'm':
		parse_size(value, &bytes);
		break;
	case 't':
		if (parse_seconds(value, &seconds) == 0 && !(seconds > 0))
			abort();
		break;
	case 'd':
		if (disk_parse_spec(value, &disk, err, sizeof(err)) == 0 &&
		    (!memchr(disk.path, 0, sizeof(disk.path)) ||
		     !memchr(disk.overlay, 0, sizeof(disk.overlay))))
			abort();
		break;
	case 'n':
		if (net_parse_spec(value, (*nets)++, &net, err, sizeof(err)) == 0 &&
		    !memchr(net.ifname, 0, sizeof(net.ifname)))
			abort();
		break;
	}
}

/* getopt_long compares arguments with the option names inside glibc,
 * where libFuzzer does not see it; the same comparisons here let it learn
 * the names (its strncmp hook). The result is not used. */
static volatile int option_like;

static void show_comparisons(const struct config_args *a)
{
	for (int i = 1; i < a->argc; i++) {
		if (strncmp(a->argv[i], "--", 2))
			continue;
		for (const struct option *o = run_long_options; o->name; o++)
			option_like += !strncmp(a->argv[i] + 2, o->name, strlen(o->name));
	}
}

/* The argv as `run` sees it: only configuration keys may come out. */
static void scan_options(struct config_args *a)
{
	unsigned nets = 0;
	int c;

	show_comparisons(a);
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(a->argc, a->argv, "+:", run_long_options, NULL)) != -1) {
		if (strchr("ZCKDLSXh", c)) {
			fprintf(stderr, "fuzz_config: the file set the command-line-only option %s\n",
				a->argv[optind - 1]);
			abort();
		}
		if (c != '?' && c != ':')
			parse_value(c, optarg, &nets);
	}
}

static void setup(void)
{
	memfd = memfd_create("fuzz_config.json", MFD_CLOEXEC);
	if (memfd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
}

static void write_input(const uint8_t *data, size_t size)
{
	if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_args a;

	if (memfd < 0)
		setup();
	write_input(data, size);
	if (config_file_load(path, &a) == 0) {
		check_argv(&a);
		scan_options(&a);
		config_args_free(&a);
	} else if (a.argv || a.argc) {
		abort();        /* a refusal leaves nothing to free */
	}
	return 0;
}

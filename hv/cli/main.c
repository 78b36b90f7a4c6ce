/* main.c: the pvisor command line: `pvisor run [options] [GUEST]`. */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pvisor/abi.h>

#include "cli/options.h"
#include "core/domain.h"
#include "core/layout.h"
#include "core/log.h"

#define PVISOR_VERSION "0.1.0"
#define DEFAULT_GUEST_REL "guest/guest/apps/hello.elf"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pvisor run [options] [GUEST]\n"
		"       pvisor --help | --version\n"
		"\n"
		"Boots GUEST, an ELF image built against the pvisor guest kernel, as a\n"
		"paravirtualized domain at CPL3 on KVM. Without GUEST, boots the bundled\n"
		"default guest. pvisor exits with the guest's poweroff status.\n"
		"\n"
		"options:\n"
		"  --mem SIZE         guest RAM: 64M (default), 1G, 512K, or a number of MiB\n"
		"                     (%llu MiB to %llu GiB)\n"
		"  --cmdline STRING   command line passed to the guest (argv[1..])\n"
		"  --timeout SECONDS  stop the guest after SECONDS (exit %d)\n"
		"  --stats            print exits, hypercalls and events on exit\n"
		"  --verbose          log what pvisor does\n"
		"\n"
		"exit status: the guest's status, or %d guest timed out, %d pvisor error,\n"
		"%d guest crashed\n",
		(unsigned long long)(MEM_MIN >> 20), (unsigned long long)(MEM_MAX >> 30),
		PVISOR_EXIT_TIMEOUT, PVISOR_EXIT_TIMEOUT, PVISOR_EXIT_ERROR, PVISOR_EXIT_CRASH);
}

/* The bundled default guest, found next to the pvisor binary. */
static const char *default_guest(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	snprintf(buf, len, "%s/%s", dirname(exe), DEFAULT_GUEST_REL);
	return buf;
}

static int parse_run_options(int argc, char **argv, struct domain_config *cfg)
{
	static const struct option opts[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "stats", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_size(optarg, &cfg->mem_bytes) < 0) {
				log_error("--mem '%s' is not a size (try 64M or 1G)", optarg);
				return -1;
			}
			if (cfg->mem_bytes < MEM_MIN || cfg->mem_bytes > MEM_MAX ||
			    cfg->mem_bytes % PAGE_SIZE) {
				log_error("--mem '%s' is out of range: give %llu MiB to %llu GiB in whole "
					  "4 KiB pages", optarg, (unsigned long long)(MEM_MIN >> 20),
					  (unsigned long long)(MEM_MAX >> 30));
				return -1;
			}
			break;
		case 'c':
			if (strlen(optarg) >= PVISOR_CMDLINE_MAX) {
				log_error("--cmdline is longer than %u bytes", PVISOR_CMDLINE_MAX - 1);
				return -1;
			}
			cfg->cmdline = optarg;
			break;
		case 't':
			if (parse_seconds(optarg, &cfg->timeout_s) < 0) {
				log_error("--timeout '%s' is not a positive number of seconds", optarg);
				return -1;
			}
			break;
		case 's':
			cfg->stats = true;
			break;
		case 'v':
			log_verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			log_error("option '%s' needs a value (try 'pvisor --help')", argv[optind - 1]);
			return -1;
		default:
			log_error("unknown option '%s' (try 'pvisor --help')", argv[optind - 1]);
			return -1;
		}
	}
	if (argc - optind > 1) {
		log_error("run takes one guest image, got %d arguments", argc - optind);
		return -1;
	}
	if (optind < argc)
		cfg->image_path = argv[optind];
	return 0;
}

static int exit_code(const struct domain *d, enum domain_outcome outcome)
{
	switch (outcome) {
	case OUTCOME_POWEROFF: return d->exit_status;
	case OUTCOME_TIMEOUT:  return PVISOR_EXIT_TIMEOUT;
	case OUTCOME_CRASH:    return PVISOR_EXIT_CRASH;
	default:               return PVISOR_EXIT_ERROR;
	}
}

/* Boots the guest, again after each reboot it asks for. */
static int run_guest(struct domain_config *cfg)
{
	for (;;) {
		struct domain *d = domain_create(cfg);
		enum domain_outcome outcome;
		int code;

		if (!d)
			return PVISOR_EXIT_ERROR;
		outcome = domain_run(d);
		log_debug("domain finished");
		if (cfg->stats)
			stats_print(&d->stats, stderr, d->mmu.ballooned_pages);
		code = exit_code(d, outcome);
		domain_destroy(d);
		if (outcome != OUTCOME_REBOOT)
			return code;
		cfg->boot_count++;
		log_debug("guest rebooted (boot %llu)", (unsigned long long)cfg->boot_count);
	}
}

static int cmd_run(int argc, char **argv)
{
	struct domain_config cfg = { .mem_bytes = MEM_DEFAULT };
	struct console console;
	char guest[PATH_MAX];
	int code;

	if (parse_run_options(argc, argv, &cfg) < 0)
		return PVISOR_EXIT_ERROR;
	if (!cfg.image_path) {
		cfg.image_path = default_guest(guest, sizeof(guest));
		if (!cfg.image_path || access(cfg.image_path, R_OK) != 0) {
			log_error("no guest given and the bundled default guest is missing (%s): run make",
				  cfg.image_path ? cfg.image_path : DEFAULT_GUEST_REL);
			return PVISOR_EXIT_ERROR;
		}
	}
	vcpu_signals_init();
	console_init(&console, STDOUT_FILENO, STDIN_FILENO, NULL);
	cfg.console = &console;
	code = run_guest(&cfg);
	console_destroy(&console);
	return code;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return PVISOR_EXIT_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pvisor %s (guest ABI %u)\n", PVISOR_VERSION, PVISOR_ABI_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	log_error("unknown command '%s' (try 'pvisor --help')", argv[1]);
	return PVISOR_EXIT_ERROR;
}

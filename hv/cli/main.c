/* main.c: the pvisor command line: `pvisor run [options] [GUEST]`. */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pvisor/abi.h>
#include <pvisor/event_channel.h>
#include <pvisor/platform.h>

#include "cli/config_file.h"
#include "cli/ctl.h"
#include "cli/disk_cmd.h"
#include "cli/jail.h"
#include "cli/options.h"
#include "cli/run_io.h"
#include "cli/top.h"
#include "console/console.h"
#include "core/domain.h"
#include "core/layout.h"
#include "disk/disk.h"
#include "disk/disk_spec.h"
#include "hw/pc.h"
#include "lib/host_files.h"
#include "lib/log.h"
#include "lib/seccomp_policy.h"
#include "lib/std_fds.h"
#include "net/net_spec.h"
#include "net/tap.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/net.h"

#define PVISOR_VERSION "0.1.0"
#define DEFAULT_GUEST_REL "guest/guest/apps/hello.elf"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pvisor run [options] [GUEST]\n"
		"       pvisor daemon [--socket PATH] [--state-dir DIR] [--cgroup NAME]\n"
		"       pvisor create [--name NAME] [--wait] [run options] GUEST|CONFIG_FILE\n"
		"       pvisor list [--json] | top [--interval SECONDS] [--iterations N]\n"
		"       pvisor pause|unpause|reboot|destroy|info|wait|console NAME|ID\n"
		"       pvisor shutdown [--grace SECONDS] [--wait] NAME|ID\n"
		"       pvisor mem-set|mem-max NAME|ID SIZE\n"
		"       pvisor sched-credit [--weight 1-65535] [--cap PERCENT] NAME|ID\n"
		"       pvisor disk create-overlay|commit|info ...   (pvisor disk help)\n"
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
		"  --no-seccomp       run without the system-call filters, for debugging\n"
		"                     only (docs/confinement.md)\n"
		"  --mode pv|hybrid|full\n"
		"                     pv (default): the guest kernel at CPL3 on hypercalls and\n"
		"                     virtio devices; full: at CPL0 on an emulated PC (16550,\n"
		"                     PIT, RTC, APIC, ATA, RTL8139); hybrid: CPL0 with virtio\n"
		"                     devices (docs/full-virt.md)\n"
		"  --disk PATH[,ro][,overlay=TOP][,direct][,io=uring|threads]\n"
		"                     a disk over a raw image (repeatable; virtio-blk, or ATA\n"
		"                     in full mode)\n"
		"  --net tap=NAME[,mac=MAC]\n"
		"                     a NIC on TAP device NAME (repeatable; virtio-net, or\n"
		"                     RTL8139 in full mode)\n"
		"  --config FILE      take options from a JSON domain configuration file\n"
		"                     first; the command line overrides (docs/config.md)\n"
		"  --check            check the options and the image, boot nothing\n"
		"  --console-log FILE[,max=SIZE]\n"
		"                     the console's output to FILE instead of stdout, kept\n"
		"                     to about 2 * SIZE (default 1M) in FILE and FILE.1\n"
		"  --control-socket PATH\n"
		"                     serve the domain's control socket at PATH (pause,\n"
		"                     shutdown, console attach; docs/api.md); console input\n"
		"                     then comes only from a client attached there\n"
		"  --exit-file FILE   write pvisor's exit status to FILE at the end\n"
		"  --jail[=UID[:GID]] as root: run the domain in new namespaces, in an empty\n"
		"                     root, as UID:GID (default 65534:65534); every file it\n"
		"                     needs is opened first (docs/confinement.md)\n"
		"\n"
		"daemon, create, list, ...: the toolstack (docs/api.md); they find the\n"
		"daemon at --socket PATH, $PVISOR_SOCKET or /run/pvisor/control.sock.\n"
		"console: Ctrl-] detaches; the guest runs on.\n"
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

/* Device settings named on the command line; they live as long as the
 * run (the domain's device specs point at them). */
struct run_devices {
	struct disk_config disks[PVISOR_MAX_DEVICES];
	struct net_config nets[PVISOR_MAX_DEVICES];
	unsigned nr_disks, nr_nets;
};

/* The console takes one device page slot; disks and NICs share the rest. */
#define MAX_DISKS_AND_NICS (PVISOR_MAX_DEVICES - 1)

static int add_disk(struct run_devices *devs, const char *spec)
{
	struct disk_config *dc = &devs->disks[devs->nr_disks];
	char err[256];

	if (devs->nr_disks + devs->nr_nets == MAX_DISKS_AND_NICS) {
		log_error("--disk: too many devices (at most %u disks and NICs together)",
			  MAX_DISKS_AND_NICS);
		return -1;
	}
	if (disk_parse_spec(spec, dc, err, sizeof(err)) < 0) {
		log_error("--disk '%s': %s", spec, err);
		return -1;
	}
	devs->nr_disks++;
	return 0;
}

static int add_nic(struct run_devices *devs, const char *spec)
{
	struct net_config *nc = &devs->nets[devs->nr_nets];
	char err[256];

	if (devs->nr_disks + devs->nr_nets == MAX_DISKS_AND_NICS) {
		log_error("--net: too many devices (at most %u disks and NICs together)",
			  MAX_DISKS_AND_NICS);
		return -1;
	}
	if (net_parse_spec(spec, devs->nr_nets, nc, err, sizeof(err)) < 0) {
		log_error("--net '%s': %s", spec, err);
		return -1;
	}
	for (unsigned i = 0; i < devs->nr_nets; i++) {
		if (!strcmp(devs->nets[i].ifname, nc->ifname)) {
			log_error("--net '%s': TAP %s is already used by another --net", spec,
				  nc->ifname);
			return -1;
		}
	}
	devs->nr_nets++;
	return 0;
}

static void add_device(struct domain_config *cfg, const struct device_type *type, const void *arg)
{
	cfg->devices[cfg->nr_devices++] = (struct device_spec){ type, arg };
}

/* The domain's devices, in attach order. PV: the virtio console, disks,
 * NICs (device page slots in this order). Hybrid: the same, then the
 * emulated PC. Full: the PC, its ATA disks and RTL8139 NICs. */
static int choose_devices(struct domain_config *cfg, struct run_devices *devs,
			  struct console *console)
{
	bool full = cfg->mode == DOMAIN_MODE_FULL;

	if (full && devs->nr_disks > PC_MAX_DISKS) {
		log_error("full mode has one ATA channel: at most %u --disk", PC_MAX_DISKS);
		return -1;
	}
	if (full && devs->nr_nets > PC_MAX_NICS) {
		log_error("full mode has at most %u --net NICs", PC_MAX_NICS);
		return -1;
	}
	if (full)
		add_device(cfg, &pc_platform, console);
	else
		add_device(cfg, &virtio_console_device, console);
	for (unsigned i = 0; i < devs->nr_disks; i++)
		add_device(cfg, full ? &ata_disk_device : &virtio_blk_device, &devs->disks[i]);
	for (unsigned i = 0; i < devs->nr_nets; i++)
		add_device(cfg, full ? &rtl8139_device : &virtio_net_device, &devs->nets[i]);
	if (cfg->mode == DOMAIN_MODE_HYBRID)
		add_device(cfg, &pc_platform, console);
	return 0;
}


/* Set by --check: validate everything that needs no KVM, then exit. */
static bool check_only;
/* --console-log, --control-socket, --exit-file. */
static struct run_io run_io;
/* --jail[=UID[:GID]]. */
static struct jail jail;

/* The --config FILE of a run command line (the last one wins), found
 * before the options are applied: the file's values come first, so the
 * command line overrides them. Every option is checked later. */
static const char *find_config_path(int argc, char **argv)
{
	const char *path = NULL;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:", run_long_options, NULL)) != -1)
		if (c == 'C')
			path = optarg;
	return path;
}

static int parse_run_options(int argc, char **argv, struct domain_config *cfg,
			     struct run_devices *devs)
{
	int c;

	opterr = 0;
	optind = 0;             /* a fresh scan: the config file's, then the command line's */
	while ((c = getopt_long(argc, argv, "+:", run_long_options, NULL)) != -1) {
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
		case 'Z':
			seccomp_policy_disable();
			break;
		case 'd':
			if (add_disk(devs, optarg) < 0)
				return -1;
			break;
		case 'n':
			if (add_nic(devs, optarg) < 0)
				return -1;
			break;
		case 'M':
			if (domain_mode_parse(optarg, &cfg->mode) < 0) {
				log_error("--mode '%s' is not a mode (pv, hybrid or full)", optarg);
				return -1;
			}
			break;
		case 'C':
			break;  /* read first, by apply_config_file */
		case 'K':
			check_only = true;
			break;
		case 'D': {
			char *end;
			unsigned long id = strtoul(optarg, &end, 10);

			if (!*optarg || *end || id < 1 || id >= PVISOR_DOMID_SELF) {
				log_error("--domid '%s' is not a domain id (1 to %u)", optarg, PVISOR_DOMID_SELF - 1);
				return -1;
			}
			cfg->domid = (uint16_t)id;
			break;
		}
		case 'L':
			if (run_io_parse_log(&run_io, optarg) < 0)
				return -1;
			break;
		case 'S':
			run_io.control_path = optarg;
			break;
		case 'X':
			run_io.exit_path = optarg;
			break;
		case 'J':
			if (jail_parse(&jail, optarg) < 0)
				return -1;
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
	/* The emulated PC has its APICs just below 4 GiB (docs/full-virt.md). */
	if (cfg->mode != DOMAIN_MODE_PV && cfg->mem_bytes > PVISOR_IOAPIC_GPA) {
		log_error("--mem is too large for --mode=hybrid/full: RAM must end below the "
			  "IOAPIC at %#x (at most %u MiB)", PVISOR_IOAPIC_GPA, PVISOR_IOAPIC_GPA >> 20);
		return -1;
	}
	return 0;
}

static int exit_code(const struct domain *d, enum domain_outcome outcome)
{
	switch (outcome) {
	case OUTCOME_POWEROFF: return d->exit_status;
	case OUTCOME_TIMEOUT:  return PVISOR_EXIT_TIMEOUT;
	case OUTCOME_CRASH:    return PVISOR_EXIT_CRASH;
	case OUTCOME_STOPPED:  return PVISOR_EXIT_STOPPED;
	default:               return PVISOR_EXIT_ERROR;
	}
}

/* --jail: every file any boot opens, opened now while the host's tree is
 * still there and kept (lib/host_files.h): /dev/kvm and the image (as
 * domain_keep_files opens them), each disk (with an overlay's base) and
 * each TAP device. */
static int keep_host_files(const struct domain_config *cfg, const struct run_devices *devs)
{
	char err[512];
	int rc;

	host_files_keep(true);
	rc = domain_keep_files(cfg);
	for (unsigned i = 0; !rc && i < devs->nr_disks; i++) {
		struct disk *d = disk_open(&devs->disks[i], err, sizeof(err));

		if (!d) {
			log_error("%s", err);
			rc = -1;
		} else {
			disk_close(d);
		}
	}
	for (unsigned i = 0; !rc && i < devs->nr_nets; i++) {
		int fd = tap_open(devs->nets[i].ifname, err, sizeof(err));

		if (fd < 0) {
			log_error("%s", err);
			rc = -1;
		}
		tap_close(fd);
	}
	host_files_keep(false);
	log_debug("jail: %u host files kept open", host_files_count());
	return rc;
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
		run_io_set_domain(&run_io, d);
		outcome = domain_run(d);
		run_io_set_domain(&run_io, NULL);
		log_debug("domain finished");
		if (cfg->stats)
			domain_print_stats(d, stderr);
		code = exit_code(d, outcome);
		domain_destroy(d);
		if (outcome != OUTCOME_REBOOT)
			return code;
		cfg->boot_count++;
		log_debug("guest rebooted (boot %llu)", (unsigned long long)cfg->boot_count);
	}
}

/* A --config file's values, checked as options; its arguments must live
 * as long as the run (the configuration points into them). */
static int apply_config_file(const char *path, struct config_args *args, struct domain_config *cfg,
			     struct run_devices *devs)
{
	char context[PATH_MAX + 16];
	int rc;

	if (config_file_load(path, args) < 0)
		return -1;
	snprintf(context, sizeof(context), "config %s", path);
	log_set_context(context);
	rc = parse_run_options(args->argc, args->argv, cfg, devs);
	log_set_context(NULL);
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	struct domain_config cfg = { .mem_bytes = MEM_DEFAULT };
	static struct run_devices devs;
	struct config_args config = { 0 };
	const char *config_path = find_config_path(argc, argv);
	struct console console;
	char guest[PATH_MAX];
	int code = PVISOR_EXIT_ERROR;

	if ((config_path && apply_config_file(config_path, &config, &cfg, &devs) < 0) ||
	    parse_run_options(argc, argv, &cfg, &devs) < 0 ||
	    choose_devices(&cfg, &devs, &console) < 0)
		goto out;
	if (!cfg.image_path) {
		cfg.image_path = default_guest(guest, sizeof(guest));
		if (!cfg.image_path || access(cfg.image_path, R_OK) != 0) {
			log_error("no guest given and the bundled default guest is missing (%s): run make",
				  cfg.image_path ? cfg.image_path : DEFAULT_GUEST_REL);
			goto out;
		}
	}
	if (check_only) {
		code = domain_check(&cfg) < 0 ? PVISOR_EXIT_ERROR : 0;
		if (code == 0)  /* what the daemon records (daemon/domains.c) */
			printf("mode=%s vcpus=1 mem=%llu\n", domain_mode_name(cfg.mode),
			       (unsigned long long)cfg.mem_bytes);
		goto out;
	}
	if (jail.on) {
		/* Opened in the host's namespaces (a TAP is made in its network
		 * namespace), then inherited by the domain process. */
		if (jail_check_root() < 0 || keep_host_files(&cfg, &devs) < 0 ||
		    jail_enter(run_io.exit_path) < 0)
			goto out;
		run_io.exit_path = NULL;	/* the supervisor writes it */
	}
	vcpu_signals_init();
	if (run_io_open(&run_io, &console) < 0)
		goto out;
	if (jail.on && jail_lock(&jail) < 0) {
		run_io_close(&run_io, &console, PVISOR_EXIT_ERROR);
		goto out;
	}
	cfg.console = &console;
	code = run_guest(&cfg);
	run_io_close(&run_io, &console, code);
out:
	config_args_free(&config);
	return code;
}

int main(int argc, char **argv)
{
	std_fds_ensure();
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
	if (!strcmp(argv[1], "disk"))
		return disk_command(argc - 1, argv + 1);
	if (!strcmp(argv[1], "daemon"))
		return ctl_daemon(argc - 1, argv + 1);
	if (!strcmp(argv[1], "create"))
		return ctl_create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return ctl_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "top"))
		return ctl_top(argc - 1, argv + 1);
	if (ctl_is_domain_verb(argv[1]))
		return ctl_domain_verb(argc - 1, argv + 1);
	log_error("unknown command '%s' (try 'pvisor --help')", argv[1]);
	return PVISOR_EXIT_ERROR;
}

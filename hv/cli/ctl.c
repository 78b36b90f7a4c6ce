/* ctl.c: `pvisor daemon | create | list` and the verbs on one domain (see
 * ctl.h): each verb becomes requests to the daemon (cli/api_client.c),
 * whose replies are printed. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/api_client.h"
#include "cli/config_file.h"
#include "cli/console_client.h"
#include "cli/options.h"
#include "cli/ctl.h"
#include "daemon/api.h"
#include "daemon/daemon.h"
#include "lib/log.h"
#include "lib/seccomp_policy.h"

static struct json_object *domain_params(const char *domain)
{
	struct json_object *params = json_object_new_object();

	json_object_object_add(params, "domain", json_object_new_string(domain));
	return params;
}

/* Waits until the domain has ended; returns what `pvisor run` would have
 * returned for it (the guest's status, or PVISOR_EXIT_CRASH). */
static int wait_domain(const char *sock, const char *domain)
{
	struct json_object *reply, *result = api_call(sock, "wait", domain_params(domain), &reply);
	const char *state;
	int code = PVISOR_EXIT_ERROR;

	if (!result)
		return code;
	state = api_field(result, "state", "?");
	if (!strcmp(state, "shutdown")) {
		code = atoi(api_field(result, "exit_status", "0"));
	} else if (!strcmp(state, "crashed")) {
		log_error("domain %s: %s", domain, api_field(result, "reason", "crashed"));
		code = PVISOR_EXIT_CRASH;
	}
	json_object_put(reply);
	return code;
}

int ctl_daemon(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "no-jail", no_argument, NULL, 'J' },
		{ "no-seccomp", no_argument, NULL, 'Z' },
		{ NULL, 0, NULL, 0 },
	};
	bool jail = geteuid() == 0;	/* run --jail needs root */
	const char *sock = NULL, *state = PVISOR_DEFAULT_STATE_DIR, *cgroup = PVISOR_DEFAULT_CGROUP;
	char exe[PATH_MAX];
	ssize_t n;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		if (c == 's')
			sock = optarg;
		else if (c == 'd')
			state = optarg;
		else if (c == 'g')
			cgroup = optarg;
		else if (c == 'J')
			jail = false;
		else if (c == 'Z')
			seccomp_policy_disable();
		else {
			log_error("daemon: bad option '%s' (pvisor daemon [--socket PATH] [--state-dir DIR] "
				  "[--cgroup NAME] [--no-jail] [--no-seccomp])", argv[optind - 1]);
			return PVISOR_EXIT_ERROR;
		}
	}
	if (optind < argc) {
		log_error("daemon takes no arguments");
		return PVISOR_EXIT_ERROR;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		log_errno("cannot find the pvisor binary");
		return PVISOR_EXIT_ERROR;
	}
	exe[n] = '\0';
	if (!*cgroup || strchr(cgroup, '/') || !strcmp(cgroup, ".") || !strcmp(cgroup, "..")) {
		log_error("daemon: --cgroup '%s' must be one directory name", cgroup);
		return PVISOR_EXIT_ERROR;
	}
	return daemon_main(api_socket_path(sock), state, exe, cgroup, jail);
}

/* ---- create: run options (or a configuration file) as a config object */

/* create's options: --socket, --name, --config, then every configuration
 * key but "image" as a `run` option of that name (cli/config_file.h). */
enum { OPT_SOCKET = 1000, OPT_NAME, OPT_CONFIG, OPT_WAIT, OPT_KEY };

static void create_options(struct option *opts)
{
	unsigned n = 0;

	opts[n++] = (struct option){ "socket", required_argument, NULL, OPT_SOCKET };
	opts[n++] = (struct option){ "name", required_argument, NULL, OPT_NAME };
	opts[n++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	opts[n++] = (struct option){ "wait", no_argument, NULL, OPT_WAIT };
	for (unsigned i = 1; i < config_nr_keys; i++)
		opts[n++] = (struct option){ config_keys[i].name,
					     config_keys[i].kind == CONFIG_FLAG ? no_argument : required_argument,
					     NULL, OPT_KEY + (int)i };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
}

static void append(struct json_object *config, const char *key, const char *value)
{
	struct json_object *list;

	if (!json_object_object_get_ex(config, key, &list) || !json_object_is_type(list, json_type_array)) {
		struct json_object *first = list ? json_object_get(list) : NULL;

		list = json_object_new_array();
		if (first)
			json_object_array_add(list, first);
		json_object_object_add(config, key, list);
	}
	json_object_array_add(list, json_object_new_string(value));
}

/* Does PATH hold JSON rather than a guest image? */
static int looks_like_json(const char *path)
{
	FILE *f = fopen(path, "r");
	int c = EOF;

	if (f) {
		while ((c = fgetc(f)) == ' ' || c == '\n' || c == '\t' || c == '\r')
			;
		fclose(f);
	}
	return c == '{';
}

static int set_image(struct json_object *config, const char *arg)
{
	char abs[PATH_MAX];

	if (!realpath(arg, abs)) {
		log_errno("cannot open guest image %s", arg);
		return -1;
	}
	json_object_object_add(config, "image", json_object_new_string(abs));
	return 0;
}

int ctl_create(int argc, char **argv)
{
	struct json_object *config = json_object_new_object(), *params, *result, *reply, *id;
	struct option opts[4 + CONFIG_KEYS_MAX + 1];
	const char *sock = NULL, *name = NULL;
	char cwd[PATH_MAX], idtext[16];
	int c, code = PVISOR_EXIT_ERROR, wait = 0;

	create_options(opts);
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		const struct config_key *k = c >= OPT_KEY ? &config_keys[c - OPT_KEY] : NULL;

		if (c == OPT_SOCKET) {
			sock = optarg;
		} else if (c == OPT_NAME) {
			name = optarg;
		} else if (c == OPT_WAIT) {
			wait = 1;
		} else if (c == OPT_CONFIG) {
			json_object_put(config);
			if (!(config = config_file_parse(optarg)))
				return PVISOR_EXIT_ERROR;
		} else if (k && k->kind == CONFIG_LIST) {
			append(config, k->name, optarg);
		} else if (k && k->kind == CONFIG_FLAG) {
			json_object_object_add(config, k->name, json_object_new_boolean(1));
		} else if (k) {
			json_object_object_add(config, k->name, json_object_new_string(optarg));
		} else {
			log_error("create: bad option '%s' (try 'pvisor --help')", argv[optind - 1]);
			goto out;
		}
	}
	if (argc - optind > 1) {
		log_error("create takes one guest image or configuration file");
		goto out;
	}
	if (optind < argc && looks_like_json(argv[optind])) {
		struct json_object *file = config_file_parse(argv[optind]);

		if (!file)
			goto out;
		json_object_object_foreach(config, k, v) /* options override the file */
			json_object_object_add(file, k, json_object_get(v));
		json_object_put(config);
		config = file;
	} else if (optind < argc && set_image(config, argv[optind]) < 0) {
		goto out;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		log_errno("getcwd");
		goto out;
	}
	params = json_object_new_object();
	if (name)
		json_object_object_add(params, "name", json_object_new_string(name));
	json_object_object_add(params, "cwd", json_object_new_string(cwd));
	json_object_object_add(params, "config", config);
	config = NULL;
	if ((result = api_call(api_socket_path(sock), "create", params, &reply))) {
		json_object_object_get_ex(result, "id", &id);
		printf("%d\n", json_object_get_int(id));
		fflush(stdout);
		snprintf(idtext, sizeof(idtext), "%d", json_object_get_int(id));
		code = 0;
	}
	json_object_put(reply);
	if (code == 0 && wait)
		code = wait_domain(api_socket_path(sock), idtext);
out:
	json_object_put(config);
	return code;
}

/* ---- list and destroy ----------------------------------------------- */

int ctl_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *result, *reply;
	const char *sock = NULL;
	int c, json = 0;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		if (c == 'S') {
			sock = optarg;
		} else if (c == 'j') {
			json = 1;
		} else {
			log_error("list: bad option '%s' (pvisor list [--json] [--socket PATH])", argv[optind - 1]);
			return PVISOR_EXIT_ERROR;
		}
	}
	if (!(result = api_call(api_socket_path(sock), "list", NULL, &reply)))
		return PVISOR_EXIT_ERROR;
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(result, JSON_C_TO_STRING_PRETTY));
	} else {
		printf("%-5s %-20s %-9s %-6s %5s %8s %8s %10s %-8s %s\n", "ID", "NAME", "STATE", "MODE",
		       "VCPUS", "MEM(MiB)", "CPU(s)", "UPTIME(s)", "PID", "EXIT");
		for (size_t i = 0; i < json_object_array_length(result); i++) {
			struct json_object *d = json_object_array_get_idx(result, i), *up, *mem, *cpu;

			json_object_object_get_ex(d, "uptime_s", &up);
			json_object_object_get_ex(d, "mem_max_bytes", &mem);
			json_object_object_get_ex(d, "cpu_s", &cpu);
			printf("%-5s %-20s %-9s %-6s %5s %8llu %8.1f %10.1f %-8s %s\n", api_field(d, "id", "?"),
			       api_field(d, "name", "?"), api_field(d, "state", "?"), api_field(d, "mode", "?"),
			       api_field(d, "vcpus", "?"), (unsigned long long)json_object_get_int64(mem) >> 20,
			       json_object_get_double(cpu), json_object_get_double(up), api_field(d, "pid", "-"),
			       api_field(d, "exit_status", api_field(d, "reason", "-")));
		}
	}
	json_object_put(reply);
	return 0;
}

/* ---- verbs on one domain --------------------------------------------- */

/* What each verb accepts besides --socket. */
static const struct domain_verb {
	const char *verb, *method, *usage;
	bool grace, wait, size, credit; /* --grace, --wait, a SIZE after the domain, --weight/--cap */
} domain_verbs[] = {
	{ "destroy", "destroy", "destroy NAME|ID", false, false, false, false },
	{ "pause", "pause", "pause NAME|ID", false, false, false, false },
	{ "unpause", "unpause", "unpause NAME|ID", false, false, false, false },
	{ "shutdown", "shutdown", "shutdown [--grace SECONDS] [--wait] NAME|ID", true, true, false, false },
	{ "reboot", "reboot", "reboot NAME|ID", false, false, false, false },
	{ "info", "info", "info NAME|ID", false, false, false, false },
	{ "wait", "wait", "wait NAME|ID", false, false, false, false },
	{ "console", "console", "console NAME|ID", false, false, false, false },
	{ "mem-set", "mem-set", "mem-set NAME|ID SIZE", false, false, true, false },
	{ "mem-max", "mem-max", "mem-max NAME|ID SIZE", false, false, true, false },
	{ "sched-credit", "sched-credit", "sched-credit [--weight W] [--cap PERCENT] NAME|ID", false, false, false,
	  true },
};

static const struct domain_verb *find_verb(const char *verb)
{
	for (size_t i = 0; i < sizeof(domain_verbs) / sizeof(domain_verbs[0]); i++)
		if (!strcmp(domain_verbs[i].verb, verb))
			return &domain_verbs[i];
	return NULL;
}

bool ctl_is_domain_verb(const char *verb)
{
	return find_verb(verb) != NULL;
}

static int parse_grace(const char *text, struct json_object *params)
{
	char *end;
	long g = strtol(text, &end, 10);

	if (!*text || *end || g < 0 || g > 3600) {
		log_error("--grace '%s' is not a number of seconds from 0 to 3600", text);
		return -1;
	}
	json_object_object_add(params, "grace_s", json_object_new_int((int)g));
	return 0;
}

static int parse_credit(const char *key, const char *text, long lo, long hi, struct json_object *params)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (!*text || *end || v < lo || v > hi) {
		log_error("--%s '%s' is not a whole number from %ld to %ld", key, text, lo, hi);
		return -1;
	}
	json_object_object_add(params, key, json_object_new_int((int)v));
	return 0;
}

static int run_verb(const struct domain_verb *v, const char *sock, const char *domain,
		    struct json_object *params, bool wait)
{
	struct json_object *reply, *result;
	int fd = -1, code;

	json_object_object_add(params, "domain", json_object_new_string(domain));
	if (!strcmp(v->verb, "wait")) {
		json_object_put(params);
		return wait_domain(sock, domain);
	}
	if (!(result = api_call_fd(sock, v->method, params, &reply, &fd)))
		return PVISOR_EXIT_ERROR;
	code = 0;
	if (!strcmp(v->verb, "info"))
		printf("%s\n", json_object_to_json_string_ext(result, JSON_C_TO_STRING_PRETTY));
	if (!strcmp(v->verb, "sched-credit"))
		printf("weight %s, cap %s%% (cgroup v%s %s)\n", api_field(result, "weight", "?"), api_field(result, "cap", "?"),
		       api_field(result, "cgroup_version", "?"), api_field(result, "cgroup", "?"));
	json_object_put(reply);
	if (!strcmp(v->verb, "console")) {
		if (fd < 0) {
			log_error("the daemon sent no console connection");
			return PVISOR_EXIT_ERROR;
		}
		return console_client_run(fd, domain);
	}
	if (wait)
		code = wait_domain(sock, domain);
	return code;
}

int ctl_domain_verb(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "grace", required_argument, NULL, 'g' },
		{ "wait", no_argument, NULL, 'w' },
		{ "weight", required_argument, NULL, 'W' },
		{ "cap", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const struct domain_verb *v = find_verb(argv[0]);
	struct json_object *params = json_object_new_object();
	const char *sock = NULL;
	bool wait = false;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		if (c == 'S') {
			sock = optarg;
		} else if (c == 'g' && v->grace) {
			if (parse_grace(optarg, params) < 0)
				goto bad;
		} else if (c == 'w' && v->wait) {
			wait = true;
		} else if ((c == 'W' || c == 'c') && v->credit) {
			if (parse_credit(c == 'W' ? "weight" : "cap", optarg, c == 'W' ? 1 : 0,
					 c == 'W' ? 65535 : 6400, params) < 0)
				goto bad;
		} else {
			log_error("%s: bad option '%s' (pvisor %s)", v->verb, argv[optind - 1], v->usage);
			goto bad;
		}
	}
	if (argc - optind != 1 + v->size) {
		log_error("%s takes one domain, a name or an id%s (pvisor %s)", v->verb, v->size ? ", and a size" : "",
			  v->usage);
		goto bad;
	}
	if (v->size) {
		uint64_t bytes;

		if (parse_size(argv[optind + 1], &bytes) < 0 || bytes == 0 || bytes % 4096) {
			log_error("%s: '%s' is not a size in whole 4 KiB pages (try 32M)", v->verb, argv[optind + 1]);
			goto bad;
		}
		json_object_object_add(params, "bytes", json_object_new_int64((int64_t)bytes));
	}
	return run_verb(v, api_socket_path(sock), argv[optind], params, wait);
bad:
	json_object_put(params);
	return PVISOR_EXIT_ERROR;
}

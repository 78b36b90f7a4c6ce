/* ctl.c: `pvisor daemon | create | list | destroy` (see ctl.h): each verb
 * becomes one request to the daemon's socket, and its reply is printed. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/config_file.h"
#include "cli/ctl.h"
#include "daemon/api.h"
#include "daemon/daemon.h"
#include "lib/log.h"

#define REPLY_MAX (16u << 20)

/* --socket, else $PVISOR_SOCKET, else the default. */
static const char *socket_path(const char *option)
{
	const char *env = getenv("PVISOR_SOCKET");

	return option ? option : (env && *env) ? env : PVISOR_DEFAULT_SOCKET;
}

static int connect_daemon(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(addr.sun_path)) {
		log_error("bad socket path %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	strcpy(addr.sun_path, path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		log_errno("cannot reach the daemon at %s (is `pvisor daemon` running?)", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends {"pvisor":1,"method":METHOD,"params":PARAMS} (PARAMS is consumed)
 * and returns the reply's "result" (the caller puts the returned reply
 * object), or NULL after printing the daemon's error. */
static struct json_object *call(const char *path, const char *method, struct json_object *params,
				struct json_object **reply)
{
	struct json_object *req = json_object_new_object(), *result = NULL, *error, *m;
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	const char *text;
	int fd = connect_daemon(path);
	ssize_t n;

	*reply = NULL;
	json_object_object_add(req, "pvisor", json_object_new_int(PVISOR_API_VERSION));
	json_object_object_add(req, "method", json_object_new_string(method));
	if (params)
		json_object_object_add(req, "params", params);
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (fd < 0 || !buf)
		goto out;
	if (send(fd, text, strlen(text), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		log_errno("cannot send to the daemon");
		goto out;
	}
	while (!memchr(buf, '\n', len) && (n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap && cap < REPLY_MAX) {
			char *more = realloc(buf, cap *= 2);

			if (!more)
				goto out;
			buf = more;
		}
	}
	if (!memchr(buf, '\n', len) || !(*reply = json_tokener_parse(buf))) {
		log_error("the daemon gave no reply");
		goto out;
	}
	if (json_object_object_get_ex(*reply, "error", &error)) {
		json_object_object_get_ex(error, "message", &m);
		log_error("%s", m ? json_object_get_string(m) : json_object_get_string(error));
	} else if (!json_object_object_get_ex(*reply, "result", &result)) {
		log_error("the daemon's reply has no result");
	}
out:
	if (!result) {
		json_object_put(*reply);
		*reply = NULL;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	json_object_put(req);
	return result;
}

int ctl_daemon(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *state = PVISOR_DEFAULT_STATE_DIR;
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
		else {
			log_error("daemon: bad option '%s' (pvisor daemon [--socket PATH] [--state-dir DIR])",
				  argv[optind - 1]);
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
	return daemon_main(socket_path(sock), state, exe);
}

/* ---- create: run options (or a configuration file) as a config object */

/* create's options: --socket, --name, --config, then every configuration
 * key but "image" as a `run` option of that name (cli/config_file.h). */
enum { OPT_SOCKET = 1000, OPT_NAME, OPT_CONFIG, OPT_KEY };

static void create_options(struct option *opts)
{
	unsigned n = 0;

	opts[n++] = (struct option){ "socket", required_argument, NULL, OPT_SOCKET };
	opts[n++] = (struct option){ "name", required_argument, NULL, OPT_NAME };
	opts[n++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
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
	struct option opts[3 + CONFIG_KEYS_MAX + 1];
	const char *sock = NULL, *name = NULL;
	char cwd[PATH_MAX];
	int c, code = PVISOR_EXIT_ERROR;

	create_options(opts);
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		const struct config_key *k = c >= OPT_KEY ? &config_keys[c - OPT_KEY] : NULL;

		if (c == OPT_SOCKET) {
			sock = optarg;
		} else if (c == OPT_NAME) {
			name = optarg;
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
	if ((result = call(socket_path(sock), "create", params, &reply))) {
		json_object_object_get_ex(result, "id", &id);
		printf("%d\n", json_object_get_int(id));
		code = 0;
	}
	json_object_put(reply);
out:
	json_object_put(config);
	return code;
}

/* ---- list and destroy ----------------------------------------------- */

static const char *field(struct json_object *o, const char *key, const char *none)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : none;
}

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
	if (!(result = call(socket_path(sock), "list", NULL, &reply)))
		return PVISOR_EXIT_ERROR;
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(result, JSON_C_TO_STRING_PRETTY));
	} else {
		printf("%-5s %-20s %-9s %-8s %10s %s\n", "ID", "NAME", "STATE", "PID", "UPTIME(s)", "EXIT");
		for (size_t i = 0; i < json_object_array_length(result); i++) {
			struct json_object *d = json_object_array_get_idx(result, i), *up;

			json_object_object_get_ex(d, "uptime_s", &up);
			printf("%-5s %-20s %-9s %-8s %10.1f %s\n", field(d, "id", "?"), field(d, "name", "?"),
			       field(d, "state", "?"), field(d, "pid", "-"), json_object_get_double(up),
			       field(d, "exit_status", field(d, "reason", "-")));
		}
	}
	json_object_put(reply);
	return 0;
}

int ctl_destroy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *params, *reply;
	const char *sock = NULL;
	int c, code;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		if (c != 'S') {
			log_error("destroy: bad option '%s' (pvisor destroy NAME|ID)", argv[optind - 1]);
			return PVISOR_EXIT_ERROR;
		}
		sock = optarg;
	}
	if (argc - optind != 1) {
		log_error("destroy takes one domain (a name or an id)");
		return PVISOR_EXIT_ERROR;
	}
	params = json_object_new_object();
	json_object_object_add(params, "domain", json_object_new_string(argv[optind]));
	code = call(socket_path(sock), "destroy", params, &reply) ? 0 : PVISOR_EXIT_ERROR;
	json_object_put(reply);
	return code;
}

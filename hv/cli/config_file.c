/* config_file.c: reads a domain configuration file with json-c and turns
 * it into `pvisor run` arguments (see config_file.h, docs/config.md). Only
 * the shape is checked here (keys, types); values are checked by the same
 * option parser as the command line. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/config_file.h"
#include "lib/log.h"

const struct config_key config_keys[] = {
	{ "image", CONFIG_TEXT },  /* the guest: not an option, the argument */
	{ "mem", CONFIG_TEXT },
	{ "mode", CONFIG_TEXT },
	{ "cmdline", CONFIG_TEXT },
	{ "timeout", CONFIG_TEXT },
	{ "disk", CONFIG_LIST },
	{ "net", CONFIG_LIST },
	{ "stats", CONFIG_FLAG },
	{ "verbose", CONFIG_FLAG },
};
const unsigned config_nr_keys = sizeof(config_keys) / sizeof(config_keys[0]);
_Static_assert(sizeof(config_keys) / sizeof(config_keys[0]) <= CONFIG_KEYS_MAX, "raise CONFIG_KEYS_MAX");

static const struct config_key *find_key(const char *name)
{
	for (unsigned i = 0; i < config_nr_keys; i++)
		if (!strcmp(config_keys[i].name, name))
			return &config_keys[i];
	return NULL;
}

static int push(struct config_args *a, const char *s)
{
	char **argv = realloc(a->argv, (size_t)(a->argc + 2) * sizeof(*argv));

	if (argv)
		a->argv = argv;
	if (!argv || !(argv[a->argc] = strdup(s))) {
		log_error("configuration file: out of memory");
		return -1;
	}
	argv[++a->argc] = NULL;
	return 0;
}

static int push_option(struct config_args *a, const char *name, const char *value)
{
	char opt[64];

	snprintf(opt, sizeof(opt), "--%s", name);
	return (push(a, opt) < 0 || (value && push(a, value) < 0)) ? -1 : 0;
}

/* A JSON string as a C string; NULL if it holds a NUL ("\u0000"), which
 * a C string would silently cut short. */
static const char *c_string(struct json_object *v)
{
	const char *s = json_object_get_string(v);

	return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

/* A scalar as option text: strings as they are, numbers as written. */
static const char *scalar_text(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		return c_string(v);
	case json_type_int:
	case json_type_double:
		return json_object_get_string(v);
	default:
		return NULL;
	}
}

static int add_list(struct config_args *a, const char *path, const char *key, struct json_object *v)
{
	if (json_object_is_type(v, json_type_string) && c_string(v))
		return push_option(a, key, c_string(v));
	if (!json_object_is_type(v, json_type_array)) {
		log_error("config %s: \"%s\" must be a string (without NUL) or an array of strings", path, key);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *item = json_object_array_get_idx(v, i);

		if (!json_object_is_type(item, json_type_string) || !c_string(item)) {
			log_error("config %s: \"%s\"[%zu] must be a string", path, key, i);
			return -1;
		}
		if (push_option(a, key, c_string(item)) < 0)
			return -1;
	}
	return 0;
}

static int add_key(struct config_args *a, const char *path, const char *name, struct json_object *v,
		   const char **image)
{
	const struct config_key *k = find_key(name);
	const char *text;

	if (!k) {
		log_error("config %s: unknown key \"%s\" (see docs/config.md)", path, name);
		return -1;
	}
	switch (k->kind) {
	case CONFIG_FLAG:
		if (!json_object_is_type(v, json_type_boolean)) {
			log_error("config %s: \"%s\" must be true or false", path, name);
			return -1;
		}
		return json_object_get_boolean(v) ? push_option(a, name, NULL) : 0;
	case CONFIG_LIST:
		return add_list(a, path, name, v);
	case CONFIG_TEXT:
		if (!(text = scalar_text(v))) {
			log_error("config %s: \"%s\" must be a string (without NUL) or a number", path, name);
			return -1;
		}
		if (!strcmp(name, "image")) {
			*image = text;
			return 0;
		}
		return push_option(a, name, text);
	}
	return -1;
}

/* The whole file, at most CONFIG_FILE_MAX_BYTES; NUL-terminated. */
static char *read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		log_errno("config %s", path);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error("config %s: not a regular file", path);
		goto out;
	}
	if (st.st_size > CONFIG_FILE_MAX_BYTES) {
		log_error("config %s: larger than %u KiB", path, CONFIG_FILE_MAX_BYTES >> 10);
		goto out;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		log_error("config %s: out of memory", path);
		goto out;
	}
	n = read(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		log_error("config %s: cannot read it", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = (size_t)n;
out:
	close(fd);
	return buf;
}

/* One JSON value and nothing after it but white space. */
static struct json_object *parse_json(const char *path, const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root;
	enum json_tokener_error err;
	size_t end;

	if (!tok) {
		log_error("config %s: out of memory", path);
		return NULL;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (err == json_tokener_continue) {
		log_error("config %s: not valid JSON: %s", path,
			  strspn(text, " \t\r\n") == len ? "the file is empty" : "the file ends inside a value");
	} else if (err != json_tokener_success) {
		log_error("config %s: not valid JSON at byte %zu: %s", path, end, json_tokener_error_desc(err));
	} else if (strspn(text + end, " \t\r\n") != len - end) {
		log_error("config %s: not valid JSON at byte %zu: text after the configuration", path, end);
	} else {
		return root;
	}
	json_object_put(root);
	return NULL;
}

struct json_object *config_file_parse(const char *path)
{
	struct json_object *root;
	size_t len = 0;
	char *text = read_file(path, &len);

	if (!text)
		return NULL;
	root = parse_json(path, text, len);
	free(text);
	if (root && !json_object_is_type(root, json_type_object)) {
		log_error("config %s: the configuration must be a JSON object", path);
		json_object_put(root);
		root = NULL;
	}
	return root;
}

int config_file_load(const char *path, struct config_args *out)
{
	struct json_object *root = config_file_parse(path);
	const char *image = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!root)
		return -1;
	if (push(out, "run") < 0)
		goto out;
	json_object_object_foreach(root, key, value) {
		if (add_key(out, path, key, value, &image) < 0)
			goto out;
	}
	/* "--" first: an image named like an option ("--no-seccomp",
	 * "--exit-file=/x") stays the image (found by tests/fuzz/fuzz_config). */
	if (image && (push(out, "--") < 0 || push(out, image) < 0))
		goto out;
	rc = 0;
out:
	if (rc < 0)
		config_args_free(out);
	json_object_put(root);
	return rc;
}

void config_args_free(struct config_args *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	a->argv = NULL;
	a->argc = 0;
}

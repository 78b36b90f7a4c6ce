/* config_file.h: a domain configuration file (JSON) as `pvisor run`
 * options. Each key is a long option of `pvisor run`, so a file and a
 * command line share one parser, one set of checks and one set of error
 * messages (docs/config.md). */
#ifndef PVISOR_CONFIG_FILE_H
#define PVISOR_CONFIG_FILE_H

struct json_object;

#define CONFIG_FILE_MAX_BYTES (1u << 20)

enum config_value_kind {
	CONFIG_TEXT,    /* a string, or a number given as its text */
	CONFIG_FLAG,    /* true or false */
	CONFIG_LIST,    /* a string or an array of strings: the option repeats */
};

/* The keys: "image" (the guest), then one per `run` option of that name. */
struct config_key {
	const char *name;
	enum config_value_kind kind;
};

#define CONFIG_KEYS_MAX 16
extern const struct config_key config_keys[];
extern const unsigned config_nr_keys;

/* A NULL-terminated argv: argv[0] is "run", then the options, then the
 * image (if the file names one). */
struct config_args {
	int argc;
	char **argv;
};

/* Reads PATH as one JSON object (the file checks of config_file_load: a
 * regular file, at most CONFIG_FILE_MAX_BYTES, one JSON object). Returns
 * it (json_object_put it), or NULL after one error line. */
struct json_object *config_file_parse(const char *path);

/* Reads and checks PATH. Returns 0, or -1 after one error line. */
int config_file_load(const char *path, struct config_args *out);
void config_args_free(struct config_args *a);

#endif

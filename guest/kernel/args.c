/* args.c: the command line: argv for main() and the environment for
 * getenv().
 *
 * The start-info command line is split on spaces and tabs; argv[0] is
 * "guest". Arguments of the form NAME=VALUE are also environment variables
 * (they stay in argv as well). */
#include <string.h>
#include <stdlib.h>
#include "kernel.h"

#define MAX_ARGS 128

static char cmdline_copy[PVISOR_CMDLINE_MAX];
static char *argv_storage[MAX_ARGS + 1];
static int argc_value;

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

void args_parse(const char *cmdline)
{
	char *p = cmdline_copy;

	strlcpy(cmdline_copy, cmdline, sizeof(cmdline_copy));
	argv_storage[0] = "guest";
	argc_value = 1;
	while (*p && argc_value < MAX_ARGS) {
		while (is_space(*p))
			*p++ = '\0';
		if (!*p)
			break;
		argv_storage[argc_value++] = p;
		while (*p && !is_space(*p))
			p++;
	}
	if (*p) {
		/* Too many arguments: the rest is dropped. */
		*p = '\0';
	}
	argv_storage[argc_value] = NULL;
}

int pv_argc(void)
{
	return argc_value;
}

char **pv_argv(void)
{
	return argv_storage;
}

char *getenv(const char *name)
{
	size_t len = strlen(name);
	int i;

	if (len == 0 || strchr(name, '='))
		return NULL;
	for (i = argc_value - 1; i >= 1; i--) {
		char *arg = argv_storage[i];

		if (strncmp(arg, name, len) == 0 && arg[len] == '=')
			return arg + len + 1;
	}
	return NULL;
}

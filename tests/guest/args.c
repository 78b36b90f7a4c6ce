/* pvisor-test: exit=0 cmdline=alpha  beta=2 gamma   delta=x=y */
/* args.c: the command line reaches main() as argv (argv[0] "guest",
 * split on spaces), and NAME=VALUE arguments are visible to getenv(). */
#define TEST_NAME "args"
#include <stdlib.h>
#include <string.h>
#include "pvtest.h"

int main(int argc, char **argv)
{
	static const char *const want[] = { "guest", "alpha", "beta=2", "gamma", "delta=x=y" };
	int i;

	CHECK(argc == 5, "argc %d, expected 5", argc);
	for (i = 0; i < argc; i++)
		CHECK(strcmp(argv[i], want[i]) == 0, "argv[%d] '%s', expected '%s'", i, argv[i],
		      want[i]);
	CHECK(argv[argc] == NULL, "argv[argc] is not NULL");
	CHECK(getenv("beta") && strcmp(getenv("beta"), "2") == 0, "getenv(beta) wrong");
	CHECK(getenv("delta") && strcmp(getenv("delta"), "x=y") == 0, "getenv(delta) wrong");
	CHECK(!getenv("alpha") && !getenv("nothing") && !getenv(""), "getenv found a non-variable");
	CHECK(pv_argc() == argc && pv_argv() == argv, "pv_argc/pv_argv disagree");
	return test_pass();
}

/* errno.c: a weak, single-threaded default for __errno_location(). The
 * guest kernel overrides it with a per-thread errno. */
#include <errno.h>

static int errno_value;

__attribute__((__weak__)) int *__errno_location(void)
{
	return &errno_value;
}

/* std_fds.c: standard streams that are always open (std_fds.h). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/std_fds.h"

static unsigned closed_at_start;	/* bit n: fd n was closed */

void std_fds_ensure(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		closed_at_start |= 1u << fd;
		/* open() returns the lowest free number: this fd. */
		if (open("/dev/null", O_RDWR) != fd)
			_exit(125);	/* cannot even say why: stderr may be the one */
	}
}

bool std_fd_was_closed(int fd)
{
	return fd >= 0 && fd <= 2 && ((closed_at_start >> fd) & 1);
}

/* std_fds.h: standard streams that are always open. */
#ifndef PVISOR_STD_FDS_H
#define PVISOR_STD_FDS_H

#include <stdbool.h>

/* Opens /dev/null on each of fds 0, 1 and 2 that is closed, so that no
 * file pvisor opens later takes a standard stream's number (a console
 * write to fd 1 must never land in a memfd of guest RAM). Call first
 * thing in main(). */
void std_fds_ensure(void);

/* Was fd (0, 1 or 2) closed when std_fds_ensure() ran? */
bool std_fd_was_closed(int fd);

#endif

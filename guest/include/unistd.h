/* unistd.h: the few POSIX calls that make sense in a pvisor guest. */
#ifndef PVISOR_GUEST_UNISTD_H
#define PVISOR_GUEST_UNISTD_H

#include <stddef.h>

typedef long ssize_t;
typedef unsigned int useconds_t;

#define STDIN_FILENO	0
#define STDOUT_FILENO	1
#define STDERR_FILENO	2

unsigned int sleep(unsigned int seconds);	/* returns 0 */
int usleep(useconds_t usec);

/* fd 1 and 2 write to the console, fd 0 reads it (blocking); other fds
 * fail with EBADF. */
ssize_t write(int fd, const void *buf, size_t len);
ssize_t read(int fd, void *buf, size_t len);

__attribute__((__noreturn__)) void _exit(int status);

#endif

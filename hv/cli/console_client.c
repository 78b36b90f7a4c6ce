/* console_client.c: relays a domain's console connection to the terminal
 * (see console_client.h). Keys go to the guest as they are typed, except
 * the escape key Ctrl-], which detaches. When standard input ends (a pipe)
 * the output is relayed on until the domain ends. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/console_client.h"
#include "console/terminal.h"
#include "lib/log.h"

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Keys from the terminal: false when the escape key asks to detach. */
static bool relay_keys(int fd, bool *input_open)
{
	char buf[512];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	char *esc;

	if (n <= 0) {
		*input_open = false;
		return true;
	}
	esc = memchr(buf, TERMINAL_ESCAPE, (size_t)n);
	if (write_all(fd, buf, esc ? (size_t)(esc - buf) : (size_t)n) < 0)
		*input_open = false;
	return esc == NULL;
}

int console_client_run(int fd, const char *name)
{
	bool raw = terminal_enter_raw(STDIN_FILENO), input_open = true;
	char buf[4096];

	if (raw)
		fprintf(stderr, "pvisor: attached to %s's console; Ctrl-] detaches\r\n", name);
	for (;;) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { STDIN_FILENO, POLLIN, 0 } };
		ssize_t n;

		if (poll(p, input_open ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0) {
				terminal_restore();
				fprintf(stderr, "\npvisor: %s's console closed (the domain ended)\n", name);
				break;
			}
			if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
				break;
		}
		if (input_open && p[1].revents && !relay_keys(fd, &input_open)) {
			terminal_restore();
			fprintf(stderr, "\npvisor: detached from %s's console; it runs on\n", name);
			break;
		}
	}
	terminal_restore();
	close(fd);
	return 0;
}

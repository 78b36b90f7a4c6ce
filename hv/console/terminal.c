/* terminal.c: terminal raw mode and its restoration (see terminal.h). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "console/terminal.h"

static struct termios saved;
static int saved_fd = -1;
static volatile sig_atomic_t raw_on;

void terminal_restore(void)
{
	if (raw_on) {
		tcsetattr(saved_fd, TCSAFLUSH, &saved);
		raw_on = 0;
	}
}

static void restore_and_reraise(int sig)
{
	terminal_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_restorers(void)
{
	static const int fatal[] = { SIGTERM, SIGHUP, SIGQUIT, SIGINT, SIGSEGV, SIGBUS,
				     SIGABRT, SIGFPE, SIGILL };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = restore_and_reraise;
	sa.sa_flags = SA_RESETHAND;
	for (unsigned i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	atexit(terminal_restore);
}

bool terminal_enter_raw(int fd)
{
	static bool restorers;
	struct termios raw;

	if (raw_on)
		return true;
	if (!isatty(fd) || tcgetattr(fd, &saved) < 0)
		return false;
	if (!restorers) {
		install_restorers();
		restorers = true;
	}
	raw = saved;
	cfmakeraw(&raw);
	raw.c_oflag |= OPOST | ONLCR;   /* the guest writes "\n" line ends */
	saved_fd = fd;
	/* TCSANOW keeps what the user typed ahead of the guest's first read. */
	if (tcsetattr(fd, TCSANOW, &raw) < 0)
		return false;
	raw_on = 1;
	return true;
}

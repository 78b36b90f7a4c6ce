/* run_io.h: where a run's console goes and how the run is reached from
 * outside. By default the console is pvisor's stdout and stdin. A
 * daemon-managed domain (and anyone who asks) gets instead:
 *   --console-log FILE[,max=SIZE]  output appended to FILE, bounded
 *                                  (console.h: FILE and FILE.1);
 *   --control-socket PATH          the domain's control socket (domctl.h);
 *                                  console input then comes only from a
 *                                  client attached there;
 *   --exit-file FILE               pvisor's exit code written there at the
 *                                  end, for a daemon that is not our parent.
 */
#ifndef PVISOR_RUN_IO_H
#define PVISOR_RUN_IO_H

#include <stdint.h>

#include "console/console.h"

#define CONSOLE_LOG_MAX_DEFAULT (1ull << 20)

struct domain;
struct domctl;

struct run_io {
	const char *log_path;           /* --console-log, or NULL */
	uint64_t log_max;
	const char *control_path;       /* --control-socket, or NULL */
	const char *exit_path;          /* --exit-file, or NULL */
	int log_fd, input_pipe[2];
	struct domctl *ctl;
};

/* Parses --console-log's value. 0, or -1 after an error message. */
int run_io_parse_log(struct run_io *io, const char *spec);

/* Opens what was asked for and initializes the console over it. 0, or -1
 * after an error message (nothing left open). */
int run_io_open(struct run_io *io, struct console *console);
/* The domain that the control socket acts on (NULL between boots). */
void run_io_set_domain(struct run_io *io, struct domain *d);
/* Writes code to path (PATH.tmp, renamed: a reader sees all or none). The
 * jail's supervisor calls it for the domain process (cli/jail.h). */
void run_io_write_exit_file(const char *path, int code);

/* Records the exit code and closes everything (console included). */
void run_io_close(struct run_io *io, struct console *console, int exit_code);

#endif

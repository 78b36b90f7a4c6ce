/* run_io.c: a run's console ends and control socket (see run_io.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/options.h"
#include "cli/run_io.h"
#include "domctl/domctl.h"
#include "lib/log.h"
#include "lib/std_fds.h"

int run_io_parse_log(struct run_io *io, const char *spec)
{
	const char *comma = strchr(spec, ',');
	static char path[4096];

	io->log_max = CONSOLE_LOG_MAX_DEFAULT;
	if (comma) {
		if (strncmp(comma, ",max=", 5) || parse_size(comma + 5, &io->log_max) < 0 ||
		    io->log_max < 4096) {
			log_error("--console-log '%s': give FILE or FILE,max=SIZE (at least 4K)", spec);
			return -1;
		}
	}
	if (!comma)
		comma = spec + strlen(spec);
	if (comma == spec || (size_t)(comma - spec) >= sizeof(path)) {
		log_error("--console-log '%s': no file name", spec);
		return -1;
	}
	memcpy(path, spec, (size_t)(comma - spec));
	path[comma - spec] = '\0';
	io->log_path = path;
	return 0;
}

static void close_fds(struct run_io *io)
{
	if (io->log_fd >= 0)
		close(io->log_fd);
	for (int i = 0; i < 2; i++)
		if (io->input_pipe[i] >= 0)
			close(io->input_pipe[i]);
	io->log_fd = io->input_pipe[0] = io->input_pipe[1] = -1;
}

int run_io_open(struct run_io *io, struct console *console)
{
	int out_fd = STDOUT_FILENO, in_fd = STDIN_FILENO;

	io->log_fd = io->input_pipe[0] = io->input_pipe[1] = -1;
	if (io->log_path) {
		io->log_fd = open(io->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (io->log_fd < 0) {
			log_errno("--console-log %s", io->log_path);
			return -1;
		}
		out_fd = io->log_fd;
	}
	if (io->control_path) {
		/* Keys of an attached client; none attached is no input, not its end. */
		if (pipe2(io->input_pipe, O_CLOEXEC) < 0 ||
		    fcntl(io->input_pipe[1], F_SETFL, O_NONBLOCK) < 0) {
			log_errno("console input pipe");
			close_fds(io);
			return -1;
		}
		in_fd = io->input_pipe[0];
	}
	console_init(console, out_fd, in_fd);
	if (out_fd == STDOUT_FILENO && std_fd_was_closed(STDOUT_FILENO))
		console_discard_output(console, "standard output is closed");
	if (io->log_path && console_bound_log(console, io->log_path, io->log_max) < 0)
		goto fail;
	if (io->control_path && !(io->ctl = domctl_start(io->control_path, console, io->input_pipe[1])))
		goto fail;
	return 0;
fail:
	console_destroy(console);
	close_fds(io);
	return -1;
}

void run_io_set_domain(struct run_io *io, struct domain *d)
{
	if (io->ctl)
		domctl_set_domain(io->ctl, d);
}

/* Written to a temporary name and renamed, so a reader sees all or none. */
void run_io_write_exit_file(const char *path, int code)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		log_errno("--exit-file %s", path);
		return;
	}
	if ((fprintf(f, "%d\n", code) < 0) | (fclose(f) != 0) || rename(tmp, path) < 0)
		log_errno("--exit-file %s", path);
}

void run_io_close(struct run_io *io, struct console *console, int exit_code)
{
	domctl_stop(io->ctl);
	io->ctl = NULL;
	console_destroy(console);
	if (io->exit_path)
		run_io_write_exit_file(io->exit_path, exit_code);
	/* The console reader may still sit on the input pipe: leave its end
	 * open; the process is about to exit. */
	if (io->log_fd >= 0)
		close(io->log_fd);
}

/* log.c: one-line messages on stderr (see log.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

int log_verbose;

static void log_line(const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "pvisor: %s%s%s\n", msg, suffix ? ": " : "", suffix ? suffix : "");
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(fmt, ap, NULL);
	va_end(ap);
}

void log_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_line(fmt, ap, strerror(saved));
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_line(fmt, ap, NULL);
	va_end(ap);
}

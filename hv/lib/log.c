/* log.c: one-line messages on stderr (see log.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"

int log_verbose;
static const char *log_context;

void log_set_context(const char *context)
{
	log_context = context;
}

static void log_line(const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "pvisor: %s%s%s%s%s\n", log_context ? log_context : "", log_context ? ": " : "",
		msg, suffix ? ": " : "", suffix ? suffix : "");
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

static double process_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Verbose lines carry wall-clock ms since the first one and process CPU
 * ms, so --verbose doubles as a boot-time profile. */
void log_debug(const char *fmt, ...)
{
	static double start = -1;
	char msg[1024];
	va_list ap;

	if (!log_verbose)
		return;
	if (start < 0)
		start = monotonic_ms();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "pvisor: [%8.3f ms, cpu %7.3f ms] %s\n", monotonic_ms() - start, process_ms(), msg);
}

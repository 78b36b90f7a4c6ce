/* quiet_log.c: hv/lib/log.c for the fuzz harnesses. Every message is
 * still formatted (a bad format or argument still shows under ASan and
 * UBSan), then dropped, so that millions of refused inputs do not flood
 * the fuzzer's output. Same interface: lib/log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"

int log_verbose;
static const char *log_context;

void log_set_context(const char *context)
{
	log_context = context;
}

static void log_line(const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024], line[1200];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(line, sizeof(line), "pvisor: %s%s%s%s%s", log_context ? log_context : "",
		 log_context ? ": " : "", msg, suffix ? ": " : "", suffix ? suffix : "");
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

	va_start(ap, fmt);
	log_line(fmt, ap, NULL);
	va_end(ap);
}

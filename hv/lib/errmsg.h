/* errmsg.h: filling a caller's one-line error buffer. Functions that
 * report failure as -1 plus a message in (err, errlen) end with
 * `return errmsg(err, errlen, "...", ...)`. */
#ifndef PVISOR_ERRMSG_H
#define PVISOR_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/* Formats the message into err (when err is not NULL and errlen > 0) and
 * returns -1. */
int errmsg(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int verrmsg(char *err, size_t errlen, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif

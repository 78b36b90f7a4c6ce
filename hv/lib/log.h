/* log.h: how pvisor reports errors and messages to the user.
 *
 * Every user-facing error is one line on stderr that starts with "pvisor: ".
 * Exit codes pvisor uses for itself (guest statuses pass through otherwise)
 * live here too, so that the CLI, the docs and the tests agree. */
#ifndef PVISOR_LOG_H
#define PVISOR_LOG_H

#include <stdarg.h>

#define PVISOR_EXIT_TIMEOUT 124 /* --timeout expired                     */
#define PVISOR_EXIT_ERROR   125 /* pvisor could not run the guest        */
#define PVISOR_EXIT_CRASH   126 /* the guest crashed                     */
#define PVISOR_EXIT_STOPPED 130 /* stopped with the console escape key   */

/* Prints "pvisor: <message>\n" on stderr. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like log_error, with ": <strerror(errno)>" appended. */
void log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a message only when verbose logging is on (--verbose). */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* While set, errors read "pvisor: <context>: <message>" (the config file
 * whose values are being checked, say). NULL clears it. */
void log_set_context(const char *context);

extern int log_verbose;

#endif

/* api.h: the control API's requests and replies (docs/api.md): one JSON
 * object per line; this file knows the methods, daemon/server.c the
 * transport. */
#ifndef PVISOR_DAEMON_API_H
#define PVISOR_DAEMON_API_H

#include <stddef.h>

#include "daemon/domains.h"

#define PVISOR_API_VERSION 1

/* Answers one request (len bytes, no newline). Returns the reply, a
 * malloc'ed NUL-terminated JSON text without newline; NULL only when out
 * of memory. */
char *api_handle(struct dom_table *t, const char *request, size_t len);

#endif

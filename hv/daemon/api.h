/* api.h: the control API's requests and replies (docs/api.md): one JSON
 * object per line; this file knows the methods, daemon/server.c the
 * transport. */
#ifndef PVISOR_DAEMON_API_H
#define PVISOR_DAEMON_API_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/domains.h"

#define PVISOR_API_VERSION 1

/* What a request asks of its connection besides the reply (server.c). */
struct api_effects {
	int pass_fd;            /* >= 0: sent along with the reply (SCM_RIGHTS), then closed */
	bool subscribe;         /* the connection receives every event from now on */
	int wait_id;            /* > 0: no reply now; api_wait_reply once that domain ended */
	bool wait_create;       /* ... or, for create, once it has started (or failed to) */
	char *wait_request_id;  /* the request's "id" as JSON text, or NULL (malloc'ed) */
};

/* Answers one request (len bytes, no newline). Returns the reply, a
 * malloc'ed NUL-terminated JSON text without newline (NULL for a deferred
 * wait, or when out of memory). */
char *api_handle(struct dom_table *t, const char *request, size_t len, struct api_effects *fx);

/* A deferred reply, due when the domain's EVENT came (domains.h):
 * "create"'s (for_create) once it is "created" or failed, "wait"'s once it
 * has ended or gone. NULL when EVENT does not settle it (or out of
 * memory). */
char *api_wait_reply(const char *request_id, const struct dom_record *r, const char *event, bool for_create);

/* An event line for subscribers: {"pvisor":1,"event":{...}}. */
char *api_event(const struct dom_record *r, const char *event);

#endif

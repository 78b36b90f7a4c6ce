/* domlink.h: the daemon's side of a domain's control socket (N.sock, served
 * by the domain process: hv/domctl). Each call is one connection, one
 * request and one reply, with a time limit, so a hung domain costs the
 * daemon at most DOMLINK_TIMEOUT_MS. */
#ifndef PVISOR_DAEMON_DOMLINK_H
#define PVISOR_DAEMON_DOMLINK_H

#include <stddef.h>

#include "daemon/domains.h"

#define DOMLINK_TIMEOUT_MS 2000

struct json_object;

/* Calls METHOD with PARAMS (an object, consumed; NULL for none). Returns
 * its result (the caller puts it), or NULL with the reason in err. */
struct json_object *domlink_call(const struct dom_table *t, const struct dom_record *r, const char *method,
				 struct json_object *params, char *err, size_t errlen);

/* Attaches to the console: returns the connection, on which the guest's
 * output now arrives and keys may be sent, or -1 with the reason in err. */
int domlink_console(const struct dom_table *t, const struct dom_record *r, char *err, size_t errlen);

/* Asks every running domain for its pause state (after re-adoption).
 * Returns how many answered. */
unsigned domlink_refresh(struct dom_table *t);

#endif

/* api_client.h: the CLI's side of the control API (docs/api.md). */
#ifndef PVISOR_API_CLIENT_H
#define PVISOR_API_CLIENT_H

struct json_object;

/* --socket's value if given, else $PVISOR_SOCKET, else the default. */
const char *api_socket_path(const char *option);

/* Sends {"pvisor":1,"method":METHOD,"params":PARAMS} (PARAMS is consumed,
 * may be NULL) and returns the reply's "result" (the caller puts the
 * returned *reply), or NULL after printing the daemon's error. A
 * descriptor that comes with the reply goes to *fd (if fd is not NULL;
 * else it is closed). */
struct json_object *api_call_fd(const char *path, const char *method, struct json_object *params,
				struct json_object **reply, int *fd);
struct json_object *api_call(const char *path, const char *method, struct json_object *params,
			     struct json_object **reply);

/* o[key] as text, or none when absent or null. */
const char *api_field(struct json_object *o, const char *key, const char *none);

#endif

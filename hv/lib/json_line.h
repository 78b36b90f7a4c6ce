/* json_line.h: the control protocols' framing (docs/api.md): a request is
 * one JSON object on one line, an error is {"code", "message"}. Shared by
 * the daemon (daemon/api.c) and each domain's socket (domctl/domctl.c). */
#ifndef PVISOR_JSON_LINE_H
#define PVISOR_JSON_LINE_H

#include <stddef.h>
#include <json-c/json.h>

/* The object that line (len bytes, no newline) holds, or NULL when it is
 * not JSON, has bytes after the value, or is not an object. */
struct json_object *json_line_parse(const char *line, size_t len);

/* A new {"code": code, "message": message} object. */
struct json_object *json_line_error(const char *code, const char *message);

#endif

/* strings.h: case-insensitive string comparison (C locale) for the pvisor
 * guest C library. Implemented in guest/lib/string.c. */
#ifndef PVISOR_GUEST_STRINGS_H
#define PVISOR_GUEST_STRINGS_H

#include <stddef.h>

int strcasecmp(const char *a, const char *b);
int strncasecmp(const char *a, const char *b, size_t n);

#endif

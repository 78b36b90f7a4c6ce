/* options.h: parsing pvisor's command line values (sizes, durations). */
#ifndef PVISOR_OPTIONS_H
#define PVISOR_OPTIONS_H

#include <stdint.h>

/* "64M", "1G", "65536K", "128" (MiB). Returns 0 or -1. */
int parse_size(const char *s, uint64_t *bytes);
/* "2", "0.5" seconds, > 0. Returns 0 or -1. */
int parse_seconds(const char *s, double *seconds);

#endif

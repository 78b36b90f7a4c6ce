/* options.h: pvisor run's options and their values (sizes, durations). */
#ifndef PVISOR_OPTIONS_H
#define PVISOR_OPTIONS_H

#include <getopt.h>
#include <stdint.h>

/* `pvisor run`'s long options, for getopt_long with "+:" (cli/main.c);
 * also what tests/fuzz/fuzz_config checks a configuration file against. */
extern const struct option run_long_options[];

/* "64M", "1G", "65536K", "128" (MiB). Returns 0 or -1. */
int parse_size(const char *s, uint64_t *bytes);
/* "2", "0.5" seconds, > 0. Returns 0 or -1. */
int parse_seconds(const char *s, double *seconds);

#endif

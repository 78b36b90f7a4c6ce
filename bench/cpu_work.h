/* cpu_work.h: the CPU-bound work measured both on the host and in a
 * guest (bench/cpu_work.c is compiled into both with the same flags). */
#ifndef PVISOR_BENCH_CPU_WORK_H
#define PVISOR_BENCH_CPU_WORK_H

#include <stdint.h>

/* Sieves primes below `limit` `rounds` times, mixing results into a hash
 * so nothing can be optimised away. Uses `scratch` (limit bytes). */
uint64_t cpu_work(uint8_t *scratch, uint32_t limit, uint32_t rounds);

#endif

/* kernel.h: what the guest kernel's files share among themselves. */
#ifndef PV_KERNEL_KERNEL_H
#define PV_KERNEL_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pvisor/pvisor.h>
#include <pv/pv.h>
#include "platform/platform.h"

#define SHARED_INFO ((volatile struct pvisor_shared_info *)PVISOR_SHARED_INFO_GVA)

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* main.c: the program's main(), and the kernel's first C function,
 * entered by start.S (pvisor) or by pvh_boot.c (a PVH loader). */
int main(int argc, char **argv);
__attribute__((__noreturn__)) void kernel_start(struct pvisor_start_info *si);

/* args.c */
void args_parse(const char *cmdline);

/* console.c: kernel messages, prefixed by nothing; one platform console
 * write each (platform.h). */
__attribute__((__format__(__printf__, 1, 2))) void kprintf(const char *fmt, ...);

/* shutdown.c */
__attribute__((__noreturn__)) void crash_with_frame(const struct pvisor_frame *frame);

/* pages.c */
void pages_init(uint64_t first_free_pfn, uint64_t nr_pages);

/* events.c */
void events_init(void);
void control_init(const struct pvisor_start_info *si);

/* trap.c */
void trap_init(void);

/* vmap.c: thread stacks */
int stack_alloc(size_t pages, uintptr_t *guard, uintptr_t *lo, uint64_t *pfn);
void stack_free(uintptr_t guard, size_t pages, uint64_t pfn);

#endif

/* stats.h: counters of what a domain cost: exits by reason, hypercalls by
 * number, events and traps delivered, TLB flushes. Printed by --stats. */
#ifndef PVISOR_STATS_H
#define PVISOR_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <pvisor/hypercall.h>

#define STATS_EXIT_REASONS 64

struct stats {
	uint64_t exits;                              /* every return from KVM_RUN */
	uint64_t exit_reason[STATS_EXIT_REASONS];
	uint64_t exit_intr;                          /* KVM_RUN interrupted by a kick */
	uint64_t hypercalls[PVISOR_HC_COUNT + 1];    /* last: unknown numbers */
	uint64_t kick_exits, null_exits, trap_exits;
	uint64_t upcalls, traps_delivered;
	uint64_t upcalls_deferred;     /* the guest stack could not take the frame yet */
	uint64_t timer_fires, blocks;
	uint64_t tlb_flushes, mmu_updates;
	uint64_t console_bytes;
	uint64_t doorbell_kicks;     /* doorbell writes KVM turned into eventfd signals */
	uint64_t doorbell_exits;     /* doorbell writes that exited to pvisor */
	uint64_t emulated_io;        /* hybrid/full: port and MMIO exits to device models */
	uint64_t event_irqs;         /* hybrid: events raised as PVISOR_IRQ_EVENTS */
};

void stats_print(const struct stats *s, FILE *out, uint64_t ballooned_pages);

#endif

/* stats.c: printing the --stats report. */
#include <linux/kvm.h>

#include "core/stats.h"

static const char *exit_reason_name(unsigned r)
{
	switch (r) {
	case KVM_EXIT_IO:             return "io";
	case KVM_EXIT_MMIO:           return "mmio";
	case KVM_EXIT_INTR:           return "intr";
	case KVM_EXIT_SHUTDOWN:       return "shutdown";
	case KVM_EXIT_HLT:            return "hlt";
	case KVM_EXIT_FAIL_ENTRY:     return "fail_entry";
	case KVM_EXIT_INTERNAL_ERROR: return "internal_error";
	default:                      return "other";
	}
}

static const char *hypercall_name(unsigned nr)
{
	static const char *const names[PVISOR_HC_COUNT + 1] = {
		"version", "console_io", "sched_op", "set_timer", "event_channel_op",
		"mmu_update", "memory_op", "callback_op", "vcpu_info", "device_op", "unknown",
	};

	return names[nr];
}

void stats_print(const struct stats *s, FILE *out, uint64_t ballooned_pages)
{
	fprintf(out, "pvisor stats:\n  exits %llu\n", (unsigned long long)s->exits);
	for (unsigned r = 0; r < STATS_EXIT_REASONS; r++)
		if (s->exit_reason[r])
			fprintf(out, "    %-16s %llu\n", exit_reason_name(r),
				(unsigned long long)s->exit_reason[r]);
	fprintf(out, "    interrupted by a kick %llu\n", (unsigned long long)s->exit_intr);
	fprintf(out, "    io: hypercall %llu, kick %llu, trap %llu, null %llu, doorbell %llu\n",
		(unsigned long long)(s->exit_reason[KVM_EXIT_IO] - s->kick_exits - s->trap_exits -
				     s->null_exits - s->doorbell_exits - s->emulated_io),
		(unsigned long long)s->kick_exits, (unsigned long long)s->trap_exits,
		(unsigned long long)s->null_exits, (unsigned long long)s->doorbell_exits);
	fprintf(out, "  emulated device accesses (port and MMIO exits) %llu\n",
		(unsigned long long)s->emulated_io);
	fprintf(out, "  doorbell kicks through ioeventfd (in-kernel exits) %llu\n",
		(unsigned long long)s->doorbell_kicks);
	fprintf(out, "  hypercalls\n");
	for (unsigned nr = 0; nr <= PVISOR_HC_COUNT; nr++)
		if (s->hypercalls[nr])
			fprintf(out, "    %-16s %llu\n", hypercall_name(nr),
				(unsigned long long)s->hypercalls[nr]);
	fprintf(out, "  upcalls %llu (deferred %llu), traps delivered %llu, timer fires %llu, blocks %llu\n",
		(unsigned long long)s->upcalls, (unsigned long long)s->upcalls_deferred,
		(unsigned long long)s->traps_delivered, (unsigned long long)s->timer_fires,
		(unsigned long long)s->blocks);
	fprintf(out, "  page-table updates %llu, TLB flushes %llu, pages ballooned out %llu\n",
		(unsigned long long)s->mmu_updates, (unsigned long long)s->tlb_flushes,
		(unsigned long long)ballooned_pages);
	fprintf(out, "  console bytes %llu\n", (unsigned long long)s->console_bytes);
}

/* shared_info.h: the shared info page: per-vCPU event state, event-channel
 * bitmaps and the PV clock. Read and written by guest and hypervisor at
 * once, so every field has a stated owner and access rule. */
#ifndef PVISOR_SHARED_INFO_H
#define PVISOR_SHARED_INFO_H

#include "abi.h"

#define PVISOR_MAX_VCPUS        8u
#define PVISOR_NR_EVENT_PORTS   1024u  /* ports 0 .. 1023; port 0 is never used */

/* PV clock (one per vCPU). Seqlock: the hypervisor makes `version` odd,
 * updates, makes it even. A reader retries while version is odd or changed:
 *
 *   do { v = version; rmb; copy fields; rmb; } while ((v & 1) || v != version);
 *   delta = rdtsc() - tsc_timestamp;
 *   delta = tsc_shift >= 0 ? delta << tsc_shift : delta >> -tsc_shift;
 *   ns = system_time + (uint64_t)(((unsigned __int128)delta * tsc_to_system_mul) >> 32);
 *
 * System time is nanoseconds since the domain started; it never goes back. */
struct pvisor_vcpu_time {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;     /* guest TSC at system_time        */
	uint64_t system_time;       /* ns since domain start            */
	uint32_t tsc_to_system_mul; /* 32.32 fixed-point multiplier     */
	int8_t tsc_shift;
	uint8_t flags;              /* PVISOR_CLOCK_TSC_STABLE          */
	uint8_t pad1[2];
};
#define PVISOR_CLOCK_TSC_STABLE 1u

struct pvisor_vcpu_info {
	/* Set by the hypervisor when an unmasked event becomes pending on this
	 * vCPU; cleared by the guest's upcall handler before it scans. */
	uint8_t upcall_pending;
	/* Written by the guest (1 = do not deliver upcalls); the hypervisor sets
	 * it when it delivers an upcall and clears it in SCHED_BLOCK. */
	uint8_t upcall_mask;
	uint8_t pad[6];
	/* One bit per 64-port word of evtchn_pending with a newly pending,
	 * unmasked port. Set by the hypervisor, exchanged to 0 by the guest. */
	uint64_t evtchn_pending_sel;
	struct pvisor_vcpu_time time;
	uint64_t reserved[2];
};

struct pvisor_shared_info {
	struct pvisor_vcpu_info vcpu_info[PVISOR_MAX_VCPUS];
	/* Port p pending: bit p%64 of word p/64. Set by the hypervisor, cleared
	 * by the guest (atomically) when it handles the event. */
	uint64_t evtchn_pending[PVISOR_NR_EVENT_PORTS / 64];
	/* Port p masked: same layout; owned by the guest. A port that becomes
	 * pending while masked is delivered when EVTCHN_UNMASK clears the mask. */
	uint64_t evtchn_mask[PVISOR_NR_EVENT_PORTS / 64];
	/* Wall clock at system time 0, seqlocked by wc_version like the PV clock. */
	uint32_t wc_version;
	uint32_t wc_nsec;
	uint64_t wc_sec;
	/* What the toolstack asks of the guest (PVISOR_CONTROL_*), announced by
	 * VIRQ_CONTROL. Set by the hypervisor; the guest takes it with an
	 * atomic exchange to 0 and acts on it (a later request overwrites an
	 * earlier one that was not taken yet). */
	uint32_t control_request;
	uint32_t pad_control;
	/* The toolstack's memory target, in RAM pages (`pvisor mem-set`): the
	 * guest's balloon driver gives pages back (MEMORY_OP decrease) or takes
	 * them back until it holds this many; it re-reads the target on every
	 * VIRQ_CONTROL. nr_pages at boot. Set by the hypervisor. */
	uint64_t mem_target_pages;
	/* The most RAM pages the guest may hold (`pvisor mem-max`; nr_pages at
	 * boot): MEMORY_OP increase beyond it fails with -ENOMEM. Set by the
	 * hypervisor; informative, the hypervisor enforces it. */
	uint64_t mem_max_pages;
};

#define PVISOR_CONTROL_NONE      0u
#define PVISOR_CONTROL_POWEROFF  1u  /* power off cleanly (`pvisor shutdown`) */
#define PVISOR_CONTROL_REBOOT    2u  /* reboot cleanly (`pvisor reboot`)      */

#endif

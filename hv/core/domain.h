/* domain.h: a domain (one guest) and its vCPUs: the objects everything
 * else in hv/core hangs off, and their life cycle: build from an image,
 * run to an outcome, destroy. */
#ifndef PVISOR_DOMAIN_H
#define PVISOR_DOMAIN_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <pvisor/pvisor.h>

#include "core/device.h"
#include "core/elf_loader.h"
#include "core/evtchn.h"
#include "core/guest_access.h"
#include "core/guest_memory.h"
#include "core/pv_mmu.h"
#include "core/pvclock.h"
#include "core/stats.h"
#include "core/symbols.h"

struct console;

/* The signal that kicks a vCPU thread out of KVM_RUN or a block. */
#define SIGKICK SIGUSR1

/* How the guest's CPU and devices are virtualized (docs/full-virt.md). */
enum domain_mode {
	DOMAIN_MODE_PV,      /* CPL3, hypercalls, virtqueue devices (default) */
	DOMAIN_MODE_HYBRID,  /* CPL0 with its own tables, virtqueue devices   */
	DOMAIN_MODE_FULL,    /* CPL0, emulated PC hardware only               */
};

/* Every virtio device slot of the device page, and the emulated PC. */
#define DOMAIN_MAX_DEVICES (PVISOR_MAX_DEVICES + 1)

struct domain_config {
	const char *image_path;
	enum domain_mode mode;
	uint64_t mem_bytes;
	const char *cmdline;
	double timeout_s;       /* 0: none */
	bool stats;
	struct console *console;
	uint16_t domid;         /* 0: the default, 1 (a daemon gives each its own) */
	uint64_t boot_count;    /* reboots so far, given to the guest */
	/* Attached in this order (device.h); virtio devices take device page
	 * slots in this order too. */
	struct device_spec devices[DOMAIN_MAX_DEVICES];
	unsigned nr_devices;
};

enum domain_outcome {
	OUTCOME_RUNNING,
	OUTCOME_POWEROFF,       /* status in exit_status */
	OUTCOME_REBOOT,
	OUTCOME_CRASH,
	OUTCOME_TIMEOUT,
	OUTCOME_ERROR,          /* pvisor failed while running the guest */
	OUTCOME_STOPPED,        /* the user stopped it (console escape key) */
};

struct vcpu {
	struct domain *dom;
	unsigned id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool thread_started;
	char name[16];               /* "vcpu0": its thread's name */
	timer_t timer;               /* fires SIGKICK at the guest's deadline */
	bool timer_created;
	uint64_t timer_deadline;     /* system time ns; 0 = none */
	volatile sig_atomic_t kicked;
	uint64_t upcall_entry;
	uint64_t trap_entry, trap_stack, trap_mask;
	bool upcall_retry;           /* an upcall waits for CPL0 code to finish */
	bool io_incomplete;          /* an OUT exit KVM has yet to complete */
	bool io_from_stub;           /* ... made by hypercall stub io_stub_nr */
	uint32_t io_stub_nr;
	bool regs_valid;             /* run->s.regs holds the vCPU's registers */
	uint8_t iobuf[PVISOR_CONSOLE_IO_MAX];
};

struct domain {
	const struct domain_config *cfg;
	uint16_t domid;
	int kvm_fd, vm_fd;
	struct guest_memory gm;
	struct pv_mmu mmu;
	struct guest_view view;
	struct evtchn_table evtchn;
	struct pvclock clock;
	struct pvisor_start_info *start_info;
	struct pvisor_shared_info *shared;
	struct elf_image image;
	struct symbol_table *symbols;
	struct stats stats;
	unsigned nr_vcpus;
	struct vcpu vcpus[1];

	pthread_mutex_t lock;
	/* Devices' pops record the buffers they hold, and the balloon checks
	 * and takes a page, under this lock (hypercall.c, virtio/virtqueue.c):
	 * a page a device holds cannot be ballooned out. */
	pthread_mutex_t held_lock;
	pthread_cond_t finished;
	pthread_cond_t resumed;      /* control.c: paused went false */
	bool paused;                 /* control.c; under lock */
	uint64_t mem_target_pages;   /* control.c: mem-set (the shared info page
	                                holds the guest's copy, which it may write) */
	struct timespec created;     /* CLOCK_MONOTONIC */
	enum domain_outcome outcome; /* first one set wins */
	struct domain_bus buses[DOMAIN_MAX_BUSES];   /* device.h */
	unsigned nr_buses;
	int exit_status;
};

/* "pv", "hybrid", "full": the names --mode takes and the toolstack shows. */
const char *domain_mode_name(enum domain_mode mode);
/* NAME to *mode: 0, or -1 for no such mode. */
int domain_mode_parse(const char *name, enum domain_mode *mode);

/* Builds a domain from cfg. Returns NULL after logging a one-line error. */
/* Checks what can be checked without KVM: the image against the
 * configuration (pvisor run --check). 0, or -1 after one error line. */
int domain_check(const struct domain_config *cfg);
/* Opens /dev/kvm and the image the way domain_create does, and closes
 * them: with lib/host_files.h keeping, they stay open for later boots
 * (pvisor run --jail). 0, or -1 after one error line. */
int domain_keep_files(const struct domain_config *cfg);
struct domain *domain_create(const struct domain_config *cfg);
/* Runs it until poweroff, reboot, crash, timeout or error. */
enum domain_outcome domain_run(struct domain *d);
void domain_destroy(struct domain *d);

/* --stats: the core's counters, then every bus's. */
void domain_print_stats(struct domain *d, FILE *out);

/* Ends the domain with an outcome (first caller wins) and stops its vCPUs. */
void domain_finish(struct domain *d, enum domain_outcome outcome, int status);
bool domain_finished(struct domain *d);

/* control.c: the toolstack's hold on a running domain (any thread). */
struct domain_info {
	uint16_t domid;
	enum domain_mode mode;
	unsigned vcpus;
	bool paused;
	uint64_t boot_count;
	uint64_t mem_bytes;                 /* RAM held now (boot RAM less ballooned) */
	uint64_t mem_target_bytes, mem_max_bytes, mem_boot_bytes;
	uint64_t uptime_ns;                 /* of this boot */
	uint64_t exits, hypercalls, upcalls, console_bytes;
	struct domain_io io;                /* virtio devices (not the emulated PC's) */
};
void domain_pause(struct domain *d);
void domain_unpause(struct domain *d);
bool domain_paused(struct domain *d);
/* On a vCPU thread: returns once the domain is unpaused or finished. */
void domain_wait_while_paused(struct domain *d);
/* Asks the guest for PVISOR_CONTROL_* through VIRQ_CONTROL: 0, -ENOTSUP in
 * full mode, -ENOENT when the guest has not bound VIRQ_CONTROL. */
int domain_request(struct domain *d, uint32_t request);
void domain_snapshot(struct domain *d, struct domain_info *info);
/* mem-set and mem-max, in pages: 0, -ENOTSUP (not PV) or -EINVAL (0, or
 * a target above the max, or a max above boot RAM). A lower max pulls the
 * target down with it. */
int domain_set_mem_target(struct domain *d, uint64_t pages);
int domain_set_mem_max(struct domain *d, uint64_t pages);

/* vcpu.c */
int vcpu_create(struct domain *d, unsigned id);
void vcpu_destroy(struct vcpu *v);
int vcpu_start(struct vcpu *v);
void vcpu_kick(struct vcpu *v);
void vcpu_notify(void *domain, unsigned vcpu_id);
int vcpu_set_timer(struct vcpu *v, uint64_t deadline);
long vcpu_block(struct vcpu *v, uint64_t deadline);
void vcpu_signals_init(void);
void vcpu_set_upcall_retry(struct vcpu *v, bool retry);
void vcpu_poll_timer(struct vcpu *v);
int vcpu_complete_io(struct vcpu *v);

/* hypercall.c: dispatches the hypercall in the vCPU's registers. */
void hypercall_dispatch(struct vcpu *v, struct kvm_regs *regs);

/* delivery.c */
void delivery_handle_trap(struct vcpu *v);
void delivery_prepare_entry(struct vcpu *v);

/* crash.c */
struct kvm_regs;
void crash_report(struct domain *d, const char *what, const struct kvm_regs *regs,
		  uint64_t cr2, uint64_t vector, uint64_t error_code);
void crash_report_from_vcpu(struct vcpu *v, const char *what);

#endif

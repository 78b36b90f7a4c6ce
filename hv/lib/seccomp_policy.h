/* seccomp_policy.h: which system calls pvisor's threads may make once a
 * domain runs (docs/confinement.md).
 *
 * Two allowlists, built with libseccomp, both with argument checks:
 *   - the process list: every thread, installed on all of them at once
 *     (TSYNC) before the first vCPU runs. It keeps what a reboot needs
 *     (opening the image, the disks and /dev/kvm again) and refuses exec,
 *     new processes, new sockets, ptrace, mounts and namespaces;
 *   - the guest-I/O list, stacked on it by each thread that handles what a
 *     guest controls: vCPUs (and the device backends and I/O workers they
 *     start, which inherit it) and the emulated PC's device loop. It also
 *     refuses opening anything, new memory files and VM-level KVM ioctls.
 * A refused call raises SIGSYS; the handler prints one line naming the
 * thread and the call's number and exits with PVISOR_EXIT_ERROR. */
#ifndef PVISOR_SECCOMP_POLICY_H
#define PVISOR_SECCOMP_POLICY_H

#include <stdbool.h>

enum seccomp_list {
	SECCOMP_LIST_PROCESS,
	SECCOMP_LIST_GUEST_IO,
	SECCOMP_LIST_DAEMON,    /* `pvisor daemon` once set up (no exec, no fork) */
};

/* --no-seccomp: nothing is installed (debugging only). */
void seccomp_policy_disable(void);

/* Installs the process list on every thread of the process, once (later
 * calls do nothing). Returns 0, or -1 after printing why. */
int seccomp_confine_process(void);

/* Installs the daemon's list on every thread of the daemon, once set up:
 * files, AF_UNIX sockets, signals to its domains, pidfds; no exec, no new
 * processes (daemon/launcher.h starts them), no other sockets, no mounts,
 * namespaces or uid changes. 0, or -1 after printing why. */
int seccomp_confine_daemon(void);

/* Stacks `list` on the calling thread and the threads it will create;
 * `who` names the thread (as seccomp_name_thread). Only on top of the
 * process list: before seccomp_confine_process() (a unit test, say) it
 * only names the thread. Returns 0, or -1 after printing why. */
int seccomp_confine_thread(enum seccomp_list list, const char *who);

/* Names the calling thread, in refusal messages and as its comm (at most
 * 15 characters, static storage): "vcpu0", "block-backend", ...; and
 * unblocks SIGSYS in it, so that a refusal is reported. Call it after
 * blocking signals. */
void seccomp_name_thread(const char *who);

#endif

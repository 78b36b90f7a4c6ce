/* seccomp_policy.c: pvisor's seccomp allowlists and their installation
 * (seccomp_policy.h, docs/confinement.md). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/seccomp_policy.h"

static bool disabled;
static bool process_confined;
static __thread const char *thread_name;

void seccomp_policy_disable(void)
{
	disabled = true;
}

/* ---- The lists ------------------------------------------------------------- */

/* What every thread of a running domain may call, besides ioctl, clone and
 * prctl (argument-checked below). A reboot builds the next domain with
 * these: the image, disks and /dev/kvm are opened again. */
static const char *const process_calls[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"preadv2", "pwritev2", "lseek", "close", "fstat", "newfstatat", "statx", "fcntl",
	"dup", "dup2", "dup3", "pipe2", "mmap", "munmap", "mprotect", "madvise", "mremap",
	"brk", "futex", "set_robust_list", "rseq", "exit", "exit_group", "rt_sigprocmask",
	"rt_sigreturn", "rt_sigaction", "rt_sigtimedwait", "restart_syscall", "sigaltstack",
	"tgkill", "tkill", "getpid", "gettid",
	"clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday",
	"timer_create", "timer_settime", "timer_gettime", "timer_delete", "timerfd_create",
	"timerfd_settime", "timerfd_gettime", "eventfd2", "poll", "ppoll", "pselect6",
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "io_uring_setup",
	"io_uring_enter", "io_uring_register", "fsync", "fdatasync", "fallocate",
	"ftruncate", "copy_file_range", "flock", "openat", "memfd_create", "readlink",
	"getcwd", "unlink", "unlinkat", "rename", "renameat", "renameat2", "accept4",
	"recvmsg", "sendmsg", "recvfrom", "sendto", "shutdown", "sched_yield", "getrandom",
	"prlimit64", "sched_getaffinity",
	"seccomp",	/* a thread narrowing itself to the guest-I/O list */
};

/* The guest-I/O threads' narrower set: no opening, no memory files, no
 * sockets of any kind but sending to an attached console client. */
static const char *const guest_io_calls[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"preadv2", "pwritev2", "lseek", "close", "fstat", "fcntl", "mmap", "munmap",
	"mprotect", "madvise", "mremap", "brk", "futex", "set_robust_list", "rseq", "exit",
	"exit_group", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "restart_syscall",
	"sigaltstack", "tgkill", "tkill",
	"getpid", "gettid", "clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday",
	"timer_settime", "timer_gettime", "timerfd_settime", "timerfd_gettime", "eventfd2",
	"poll", "ppoll", "pselect6", "epoll_wait", "epoll_pwait",
	"epoll_ctl",	/* the PC's device loop drops a watch (console input's end) */
	"io_uring_setup", "io_uring_enter", "io_uring_register", "fsync", "fdatasync",
	"fallocate", "ftruncate", "copy_file_range", "sendmsg", "sched_yield", "getrandom",
};

/* The daemon's calls: its state files and the cgroup tree (open, write,
 * rename, mkdir, rmdir, unlink, getdents), /proc reads, its clients and
 * its domains' control sockets (AF_UNIX only, below), signals and pidfds
 * for the domain processes the launcher started. */
static const char *const daemon_calls[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close", "fstat",
	"newfstatat", "statx", "fcntl", "dup", "dup2", "dup3", "pipe2", "mmap", "munmap",
	"mprotect", "madvise", "mremap", "brk", "futex", "set_robust_list", "rseq", "exit",
	"exit_group", "rt_sigprocmask", "rt_sigreturn", "restart_syscall", "sigaltstack",
	"tgkill", "tkill", "getpid", "gettid", "getuid", "geteuid", "getgid", "getegid",
	"clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday",
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "signalfd4", "poll", "ppoll",
	"openat", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat",
	"renameat2", "getdents64", "readlink", "readlinkat", "access", "faccessat", "faccessat2",
	"connect", "accept4", "recvmsg", "sendmsg", "recvfrom", "sendto", "shutdown",
	"getsockopt", "kill", "pidfd_open", "pidfd_send_signal", "sched_yield", "getrandom",
	"prlimit64", "uname", "sysinfo",
};

/* ioctl requests, by list. The VM-building ones are the process's only. */
static const unsigned long process_ioctls[] = {
	KVM_RUN,	/* first: the vCPU's every exit */
	KVM_GET_API_VERSION, KVM_CREATE_VM, KVM_CHECK_EXTENSION, KVM_GET_VCPU_MMAP_SIZE,
	KVM_GET_SUPPORTED_CPUID, KVM_CREATE_VCPU, KVM_CREATE_IRQCHIP, KVM_SET_GSI_ROUTING,
	KVM_SET_USER_MEMORY_REGION, KVM_SET_CPUID2, KVM_SET_SIGNAL_MASK, KVM_GET_TSC_KHZ,
	KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS, KVM_GET_MSRS,
	KVM_IRQ_LINE, KVM_IOEVENTFD,
	TUNSETIFF, TUNSETOFFLOAD, TUNSETVNETHDRSZ,
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ,
	BLKGETSIZE64, BLKSSZGET,
};

static const unsigned long guest_io_ioctls[] = {
	KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS, KVM_GET_MSRS,
	KVM_IRQ_LINE, KVM_IOEVENTFD,
	KVM_SET_USER_MEMORY_REGION,	/* a PV TLB flush cycles the page-table slot */
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ,	/* raw mode while the guest reads */
};

/* The sanitizer build's leak checker stops the world at exit: a tracer
 * made with clone (CLONE_VM | CLONE_UNTRACED, no CLONE_THREAD) lists
 * /proc/PID/task with the legacy open and getdents and ptraces every
 * thread. Only that test build's process list allows these; a
 * sanitizer report from a guest-I/O thread ends at its first line (the
 * symbolizer cannot open /proc/self/maps there: rerun with --no-seccomp). */
#if defined(__SANITIZE_ADDRESS__)
static const char *const sanitizer_calls[] = {
	"ptrace", "wait4", "getdents64", "getdents", "readlink", "prctl", "sched_getaffinity",
	"getppid", "kill", "rt_sigaction", "open", "openat", "sigaltstack",
};
/* And what its runtime does when any thread starts a thread. */
static const char *const sanitizer_thread_calls[] = {
	"rt_sigaction", "prlimit64", "sched_getaffinity",
};
#endif

/* prctl options pvisor's threads use after setup. */
static const int prctl_options[] = {
	PR_SET_NAME, PR_GET_NAME, PR_SET_TIMERSLACK,
	PR_SET_NO_NEW_PRIVS,	/* libseccomp's, before stacking a filter */
};

/* ---- Refusals -------------------------------------------------------------- */

static size_t append(char *buf, size_t at, const char *s)
{
	while (*s && at < 255)
		buf[at++] = *s++;
	return at;
}

static size_t append_number(char *buf, size_t at, unsigned long v, unsigned base)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && n < 23);
	while (n && at < 255)
		buf[at++] = digits[--n];
	return at;
}

/* Async-signal-safe: one write, then _exit. An ioctl's request number is
 * the second argument, rsi in the interrupted context. */
static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	const ucontext_t *uc = ucv;
	char buf[256];
	size_t at = 0;

	(void)sig;
	at = append(buf, at, "pvisor: seccomp: ");
	at = append(buf, at, thread_name ? thread_name : "a pvisor thread");
	at = append(buf, at, " made forbidden system call ");
	at = append_number(buf, at, (unsigned)si->si_syscall, 10);
	if (si->si_syscall == SCMP_SYS(ioctl)) {
		at = append(buf, at, " (ioctl request 0x");
		at = append_number(buf, at, (unsigned long)uc->uc_mcontext.gregs[REG_RSI], 16);
		at = append(buf, at, ")");
	}
	at = append(buf, at, " (scmp_sys_resolver names it); stopping\n");
	(void)!write(STDERR_FILENO, buf, at);
	_exit(PVISOR_EXIT_ERROR);
}

static int install_sigsys_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL);
}

/* ---- Building a filter ------------------------------------------------------ */

/* PVISOR_SECCOMP=log: refused calls are logged by the kernel (dmesg) and
 * allowed, for finding what a list lacks. */
static uint32_t refusal_action(void)
{
	const char *mode = getenv("PVISOR_SECCOMP");

	return mode && !strcmp(mode, "log") ? SCMP_ACT_LOG : SCMP_ACT_TRAP;
}

static int allow_calls(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);

		if (nr == __NR_SCMP_ERROR)
			continue;	/* not a call on this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
			return -1;
	}
	return 0;
}

static int allow_ioctls(scmp_filter_ctx ctx, const unsigned long *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)reqs[i])) < 0)
			return -1;
	return 0;
}

/* Threads only (glibc's pthread_create), never a new process; clone3's
 * flags sit in memory a filter cannot read, so it says ENOSYS and glibc
 * falls back to clone. */
static int allow_threads(scmp_filter_ctx ctx)
{
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)) < 0)
		return -1;
	if (seccomp_syscall_resolve_name("clone3") != __NR_SCMP_ERROR &&
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0)
		return -1;
	return 0;
}

/* glibc's fstat: newfstatat(fd, "", buf, AT_EMPTY_PATH); a path is refused. */
static int allow_fstat_at(scmp_filter_ctx ctx)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
				SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
}

/* The control socket's send timeout on each client it accepts. */
static int allow_send_timeout(scmp_filter_ctx ctx)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
				SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET), SCMP_A2(SCMP_CMP_EQ, SO_SNDTIMEO));
}

/* The daemon's: UNIX stream sockets to its domains' control sockets, with
 * send and receive timeouts. */
static int allow_unix_sockets(scmp_filter_ctx ctx)
{
	if (allow_send_timeout(ctx) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
			     SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET), SCMP_A2(SCMP_CMP_EQ, SO_RCVTIMEO)) < 0)
		return -1;
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int allow_prctl(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < COUNT(prctl_options); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)prctl_options[i])) < 0)
			return -1;
	return 0;
}

/* The leak checker's tracer shares memory and is untraced; fork() has
 * neither flag. */
static int allow_sanitizer(scmp_filter_ctx ctx, bool process)
{
#if defined(__SANITIZE_ADDRESS__)
	if (allow_calls(ctx, sanitizer_thread_calls, COUNT(sanitizer_thread_calls)) < 0)
		return -1;
	if (process && (allow_calls(ctx, sanitizer_calls, COUNT(sanitizer_calls)) < 0 ||
			seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
					 SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_VM | CLONE_UNTRACED,
						 CLONE_VM | CLONE_UNTRACED)) < 0))
		return -1;
#else
	(void)ctx;
	(void)process;
#endif
	return 0;
}

/* Each list: its calls, its ioctl requests, and the argument-checked rule
 * only it has. */
static const struct list_spec {
	const char *name;
	const char *const *calls;
	size_t nr_calls;
	const unsigned long *ioctls;
	size_t nr_ioctls;
	int (*allow_own)(scmp_filter_ctx ctx);
} lists[] = {
	[SECCOMP_LIST_PROCESS] = { "process", process_calls, COUNT(process_calls),
				   process_ioctls, COUNT(process_ioctls), allow_send_timeout },
	[SECCOMP_LIST_GUEST_IO] = { "guest-I/O", guest_io_calls, COUNT(guest_io_calls),
				    guest_io_ioctls, COUNT(guest_io_ioctls), allow_fstat_at },
	[SECCOMP_LIST_DAEMON] = { "daemon", daemon_calls, COUNT(daemon_calls), NULL, 0,
				  allow_unix_sockets },
};

static scmp_filter_ctx build(enum seccomp_list list)
{
	const struct list_spec *spec = &lists[list];
	bool process = list != SECCOMP_LIST_GUEST_IO;	/* a whole process's list */
	scmp_filter_ctx ctx = seccomp_init(refusal_action());
	int rc;

	if (!ctx)
		return NULL;
	rc = allow_calls(ctx, spec->calls, spec->nr_calls);
	if (!rc)
		rc = allow_ioctls(ctx, spec->ioctls, spec->nr_ioctls);
	if (!rc)
		rc = allow_sanitizer(ctx, process);
	if (!rc)
		rc = allow_threads(ctx);
	if (!rc)
		rc = spec->allow_own(ctx);
	if (!rc)
		rc = allow_prctl(ctx);
	/* A binary tree of syscall numbers: a few compares per call; ioctl,
	 * the vCPU's KVM_RUN every exit, weighs most. */
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (!rc)
		rc = seccomp_syscall_priority(ctx, SCMP_SYS(ioctl), 255);
	if (!rc && process)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

static int load(enum seccomp_list list)
{
	scmp_filter_ctx ctx = build(list);
	int rc;

	if (!ctx) {
		log_error("seccomp: cannot build the %s filter (libseccomp)", lists[list].name);
		return -1;
	}
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		log_error("seccomp: cannot install the %s filter: %s (--no-seccomp runs without it)",
			  lists[list].name, strerror(-rc));
		return -1;
	}
	return 0;
}

static int confine_whole(enum seccomp_list list)
{
	if (disabled || process_confined)
		return 0;
	if (install_sigsys_handler() < 0) {
		log_errno("seccomp: cannot install the SIGSYS handler");
		return -1;
	}
	if (load(list) < 0)
		return -1;
	process_confined = true;
	return 0;
}

int seccomp_confine_process(void)
{
	return confine_whole(SECCOMP_LIST_PROCESS);
}

int seccomp_confine_daemon(void)
{
	seccomp_name_thread("pvisor-daemon");
	return confine_whole(SECCOMP_LIST_DAEMON);
}

/* A refusal's SIGSYS must reach the handler: a thread that blocked every
 * signal would otherwise die of the kernel's default action, silently. */
static void keep_sigsys_deliverable(void)
{
	sigset_t sys;

	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
}

void seccomp_name_thread(const char *who)
{
	thread_name = who;
	prctl(PR_SET_NAME, (unsigned long)who, 0, 0, 0);	/* /proc/PID/task/TID/comm */
	keep_sigsys_deliverable();
}

int seccomp_confine_thread(enum seccomp_list list, const char *who)
{
	seccomp_name_thread(who);
	if (disabled || !process_confined)
		return 0;
	return load(list);
}

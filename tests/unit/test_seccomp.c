/* test_seccomp.c: pvisor's seccomp lists (hv/lib/seccomp_policy.c), each
 * case in a forked child so that the filters stay there: what the lists
 * allow works, in new threads too; what they refuse ends the process with
 * one line on stderr and PVISOR_EXIT_ERROR; --no-seccomp installs nothing.
 * Like the suite, this runs on the sanitizer build. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "lib/log.h"
#include "lib/seccomp_policy.h"

enum stage { PROCESS_ONLY, GUEST_IO, DAEMON };

struct outcome {
	int status;		/* exit status, or 128 + signal */
	char err[512];		/* what the child wrote on stderr */
};

/* Runs body in a child confined to `stage`; collects its exit and stderr. */
static struct outcome in_child(enum stage stage, bool disable, int (*body)(void))
{
	struct outcome o = { .status = -1 };
	int pipefd[2], wstatus;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(pipefd) < 0)
		return o;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		dup2(pipefd[1], STDERR_FILENO);
		if (disable)
			seccomp_policy_disable();
		if ((stage == DAEMON ? seccomp_confine_daemon() : seccomp_confine_process()) < 0)
			_exit(90);
		if (stage == GUEST_IO && seccomp_confine_thread(SECCOMP_LIST_GUEST_IO, "test thread") < 0)
			_exit(91);
		_exit(body());
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], o.err + got, sizeof(o.err) - 1 - (size_t)got)) > 0)
		got += n;
	o.err[got] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &wstatus, 0) == pid)
		o.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	return o;
}

static bool refused(const struct outcome *o)
{
	return o->status == PVISOR_EXIT_ERROR && strstr(o->err, "pvisor: seccomp: ") &&
	       strstr(o->err, "forbidden system call") && !strchr(strchr(o->err, '\n') + 1, '\n');
}

/* ---- Bodies: 0 means every call behaved as the list says ---------------- */

static void *thread_body(void *arg)
{
	uint64_t one = 1;

	return write(*(int *)arg, &one, sizeof(one)) == sizeof(one) ? NULL : (void *)1;
}

static int allowed_work(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	pthread_t t;
	void *ret = (void *)1;
	uint64_t got = 0;
	void *p;

	if (efd < 0)
		return 1;
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || munmap(p, 1 << 20) < 0)
		return 2;
	free(malloc(1 << 22));	/* malloc's own mmap */
	if (pthread_create(&t, NULL, thread_body, &efd) != 0 || pthread_join(t, &ret) != 0 || ret)
		return 3;
	if (read(efd, &got, sizeof(got)) != sizeof(got) || got != 1)
		return 4;
	return 0;
}

static int status_shows_filters(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (n <= 0)
		return 1;
	buf[n] = '\0';
	return strstr(buf, "\nSeccomp:\t2\n") ? 0 : 2;
}

static int try_exec(void)
{
	char *argv[] = { "true", NULL };

	execv("/bin/true", argv);
	return 0;	/* not refused: the parent sees status 0, not 125 */
}

static int try_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	return fd >= 0 ? 0 : 0;
}

static int try_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return 0;
}

static int try_open(void)
{
	int fd = open("/dev/null", O_RDONLY);

	return fd >= 0 ? 0 : 0;
}

static int try_memfd(void)
{
	return memfd_create("x", 0) >= 0 ? 0 : 0;
}

/* A VM-level KVM request on any fd: the request number decides. */
static int try_create_vm(void)
{
	int fd = open("/dev/null", O_RDONLY);

	(void)ioctl(fd, KVM_CREATE_VM, 0);
	return 0;
}

static int try_vm_ioctl_from_guest_io(void)
{
	(void)ioctl(STDIN_FILENO, KVM_CREATE_VM, 0);
	return 0;
}

static int run_ioctl_number_allowed(void)
{
	/* KVM_RUN on a non-KVM fd: the filter lets it through, the kernel
	 * answers ENOTTY. */
	return ioctl(STDIN_FILENO, KVM_RUN, 0) < 0 ? 0 : 1;
}

/* The daemon's everyday calls: memory, a thread, a pipe. */
static int daemon_work(void)
{
	int p[2];
	pthread_t t;
	void *ret = (void *)1;
	uint64_t got = 0;

	free(malloc(1 << 22));
	if (pipe2(p, O_CLOEXEC) < 0)
		return 1;
	if (pthread_create(&t, NULL, thread_body, &p[1]) != 0 || pthread_join(t, &ret) != 0 || ret)
		return 2;
	if (read(p[0], &got, sizeof(got)) != sizeof(got) || got != 1)
		return 3;
	return 0;
}

static int unix_socket_allowed(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 1 };

	if (fd < 0)
		return 1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return 2;
	close(fd);
	return 0;
}

static int try_kvm_ioctl(void)
{
	(void)!ioctl(STDIN_FILENO, KVM_RUN, 0);
	return 0;
}

static int try_setuid(void)
{
	(void)!setresuid(65534, 65534, 65534);
	return 0;
}

/* ---- Cases ------------------------------------------------------------- */

static void process_list_allows_normal_work(void)
{
	struct outcome o = in_child(PROCESS_ONLY, false, allowed_work);

	CHECK_EQ(o.status, 0);
	o = in_child(PROCESS_ONLY, false, status_shows_filters);
	CHECK_EQ(o.status, 0);
	o = in_child(PROCESS_ONLY, false, try_open);
	CHECK_EQ(o.status, 0);	/* a reboot opens the image again */
}

static void guest_io_list_allows_normal_work(void)
{
	struct outcome o = in_child(GUEST_IO, false, allowed_work);

	CHECK_EQ(o.status, 0);
	o = in_child(GUEST_IO, false, run_ioctl_number_allowed);
	CHECK_EQ(o.status, 0);
}

static void exec_is_refused(void)
{
	struct outcome o = in_child(PROCESS_ONLY, false, try_exec);

	CHECK(refused(&o));
	CHECK(strstr(o.err, "a pvisor thread made forbidden system call 59 ") != NULL);
}

static void new_sockets_are_refused(void)
{
	struct outcome o = in_child(PROCESS_ONLY, false, try_socket);

	CHECK(refused(&o));
}

static void new_processes_are_refused(void)
{
	struct outcome o = in_child(PROCESS_ONLY, false, try_fork);

	CHECK(refused(&o));
}

static void guest_io_cannot_open(void)
{
	struct outcome o = in_child(GUEST_IO, false, try_open);

	CHECK(refused(&o));
	CHECK(strstr(o.err, "test thread made forbidden system call") != NULL);
	o = in_child(GUEST_IO, false, try_memfd);
	CHECK(refused(&o));
}

static void guest_io_cannot_build_vms(void)
{
	struct outcome o = in_child(GUEST_IO, false, try_vm_ioctl_from_guest_io);

	CHECK(refused(&o));
	o = in_child(PROCESS_ONLY, false, try_create_vm);
	CHECK_EQ(o.status, 0);	/* the process list builds the next boot's VM */
}

/* The daemon: its files, UNIX sockets and threads; no exec (the launcher
 * starts processes), no fork, no other sockets, no KVM, no uid change. */
static void daemon_list(void)
{
	struct outcome o = in_child(DAEMON, false, daemon_work);

	CHECK_EQ(o.status, 0);
	o = in_child(DAEMON, false, try_open);
	CHECK_EQ(o.status, 0);
	o = in_child(DAEMON, false, unix_socket_allowed);
	CHECK_EQ(o.status, 0);
	o = in_child(DAEMON, false, status_shows_filters);
	CHECK_EQ(o.status, 0);
	o = in_child(DAEMON, false, try_exec);
	CHECK(refused(&o));
	CHECK(strstr(o.err, "pvisor-daemon made forbidden system call 59 ") != NULL);
	o = in_child(DAEMON, false, try_fork);
	CHECK(refused(&o));
	o = in_child(DAEMON, false, try_socket);
	CHECK(refused(&o));
	o = in_child(DAEMON, false, try_kvm_ioctl);
	CHECK(refused(&o));
	o = in_child(DAEMON, false, try_setuid);
	CHECK(refused(&o));
}

static void disabled_installs_nothing(void)
{
	struct outcome o = in_child(GUEST_IO, true, try_open);

	CHECK_EQ(o.status, 0);
	o = in_child(GUEST_IO, true, status_shows_filters);
	CHECK_EQ(o.status, 2);
}

int main(void)
{
	RUN(process_list_allows_normal_work);
	RUN(guest_io_list_allows_normal_work);
	RUN(exec_is_refused);
	RUN(new_sockets_are_refused);
	RUN(new_processes_are_refused);
	RUN(guest_io_cannot_open);
	RUN(guest_io_cannot_build_vms);
	RUN(daemon_list);
	RUN(disabled_installs_nothing);
	CHECK_EXIT();
}

/* seccomp_cost.c: what pvisor's seccomp lists add to one system call
 * (docs/confinement.md). Times ioctl(fd, KVM_RUN) on an eventfd, which the
 * kernel answers ENOTTY at once, as the vCPU's KVM_RUN goes through the
 * same filter path before KVM is reached: with no filter, under the
 * process list, and under the process and guest-I/O lists stacked (a vCPU
 * thread); and a read of 0 bytes, a call without argument checks. Each
 * configuration runs in a child of its own, since filters cannot be
 * removed. Prints one line per configuration:
 *
 *   seccomp_cost <config> ioctl_ns=N read_ns=N
 *
 * Needs no KVM. Built and run by bench/seccomp.sh. */
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/seccomp_policy.h"

#define CALLS 2000000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double ns_per_ioctl(int fd)
{
	uint64_t t0 = now_ns();

	for (int i = 0; i < CALLS; i++)
		(void)ioctl(fd, KVM_RUN, 0);
	return (double)(now_ns() - t0) / CALLS;
}

static double ns_per_read(int fd)
{
	char c;
	uint64_t t0 = now_ns();

	for (int i = 0; i < CALLS; i++)
		(void)!read(fd, &c, 0);
	return (double)(now_ns() - t0) / CALLS;
}

static void measure(const char *config, int lists)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd = eventfd(0, EFD_NONBLOCK);

		if (lists >= 1 && seccomp_confine_process() < 0)
			_exit(1);
		if (lists >= 2 && seccomp_confine_thread(SECCOMP_LIST_GUEST_IO, "bench") < 0)
			_exit(1);
		ns_per_ioctl(fd);	/* warm up */
		printf("seccomp_cost %s ioctl_ns=%.1f read_ns=%.1f\n", config, ns_per_ioctl(fd),
		       ns_per_read(fd));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

int main(void)
{
	measure("none", 0);
	measure("process", 1);
	measure("process+guest-io", 2);
	return 0;
}

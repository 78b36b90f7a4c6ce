/* boot_time.c: runs a command N times and prints the median and minimum
 * wall time from spawn to exit (pvisor start -> guest main -> poweroff). */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[1]) : 0;
	double *t;

	if (runs < 1) {
		fprintf(stderr, "usage: boot_time RUNS COMMAND...\n");
		return 2;
	}
	t = calloc((size_t)runs, sizeof(*t));
	for (int i = 0; i < runs; i++) {
		double t0 = now_ms();
		int status;
		pid_t pid;

		if (posix_spawn(&pid, argv[2], NULL, NULL, &argv[2], environ) != 0 ||
		    waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "boot_time: %s failed\n", argv[2]);
			return 1;
		}
		t[i] = now_ms() - t0;
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp_double);
	printf("RESULT boot_median_ms %.3f ms 0\nRESULT boot_min_ms %.3f ms 0\n", t[runs / 2], t[0]);
	free(t);
	return 0;
}

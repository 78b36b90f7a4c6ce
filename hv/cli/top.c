/* top.c: `pvisor top`: live per-domain rates, as xentop shows them: host
 * CPU %, exits, hypercalls, upcalls, console bytes, block requests and
 * network packets per second, and memory held against its target. Each sample is `list` plus `info` for
 * every running domain (docs/api.md); rates are the difference of two
 * samples over the time between them. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/api_client.h"
#include "cli/top.h"
#include "daemon/domains.h"
#include "lib/log.h"

struct sample {
	bool seen;
	double cpu_s;
	int64_t exits, hypercalls, upcalls, console_bytes, blk_requests, net_packets;
};

static struct sample before[DOMID_LAST + 1], now[DOMID_LAST + 1];

static int64_t live_field(struct json_object *live, const char *key)
{
	struct json_object *v;

	return live && json_object_object_get_ex(live, key, &v) ? json_object_get_int64(v) : 0;
}

/* The domain's own figures, through the daemon. */
static struct json_object *domain_info(const char *sock, int id, struct json_object **reply)
{
	struct json_object *params = json_object_new_object(), *info, *live;

	json_object_object_add(params, "domain", json_object_new_int(id));
	info = api_call(sock, "info", params, reply);
	return info && json_object_object_get_ex(info, "domain", &live) ? live : NULL;
}

static void take(struct sample *s, struct json_object *d, struct json_object *live)
{
	struct json_object *cpu;

	json_object_object_get_ex(d, "cpu_s", &cpu);
	s->seen = true;
	s->cpu_s = json_object_get_double(cpu);
	s->exits = live_field(live, "exits");
	s->hypercalls = live_field(live, "hypercalls");
	s->upcalls = live_field(live, "upcalls");
	s->console_bytes = live_field(live, "console_bytes");
	s->blk_requests = live_field(live, "blk_requests");
	s->net_packets = live_field(live, "net_packets");
}

static void print_row(struct json_object *d, struct json_object *live, const struct sample *a,
		      const struct sample *b, double dt)
{
	bool rates = a->seen && b->seen && dt > 0;

	printf("%-5s %-16.16s %-8s %6.1f %10.0f %10.0f %9.0f %10.0f %8.0f %8.0f %8lld %8lld\n",
	       api_field(d, "id", "?"), api_field(d, "name", "?"), api_field(d, "state", "?"),
	       rates ? (b->cpu_s - a->cpu_s) * 100 / dt : 0.0,
	       rates ? (double)(b->exits - a->exits) / dt : 0.0,
	       rates ? (double)(b->hypercalls - a->hypercalls) / dt : 0.0,
	       rates ? (double)(b->upcalls - a->upcalls) / dt : 0.0,
	       rates ? (double)(b->console_bytes - a->console_bytes) / dt : 0.0,
	       rates ? (double)(b->blk_requests - a->blk_requests) / dt : 0.0,
	       rates ? (double)(b->net_packets - a->net_packets) / dt : 0.0,
	       (long long)(live_field(live, "mem_bytes") >> 20), (long long)(live_field(live, "mem_target_bytes") >> 20));
}

/* One sample of every domain; prints the table when print is set. */
static int sample_all(const char *sock, bool print, double dt)
{
	struct json_object *reply, *list = api_call(sock, "list", NULL, &reply);

	if (!list)
		return -1;
	memset(now, 0, sizeof(now));
	if (print)
		printf("%-5s %-16s %-8s %6s %10s %10s %9s %10s %8s %8s %8s %8s\n", "ID", "NAME", "STATE", "CPU%",
		       "EXITS/s", "HCALLS/s", "UPCALLS/s", "CONS B/s", "BLK/s", "NETPK/s", "MEM(MiB)", "TARGET");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *d = json_object_array_get_idx(list, i), *info_reply = NULL, *live = NULL;
		int id = atoi(api_field(d, "id", "0"));
		const char *state = api_field(d, "state", "");

		if (id < DOMID_FIRST || id > DOMID_LAST)
			continue;
		if (!strcmp(state, "running") || !strcmp(state, "paused"))
			live = domain_info(sock, id, &info_reply);
		take(&now[id], d, live);
		if (print)
			print_row(d, live, &before[id], &now[id], dt);
		json_object_put(info_reply);
	}
	json_object_put(reply);
	memcpy(before, now, sizeof(before));
	return 0;
}

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ctl_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "interval", required_argument, NULL, 'i' },
		{ "iterations", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL;
	double interval = 1, t0;
	long iterations = -1;
	char *end;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		if (c == 'S') {
			sock = optarg;
		} else if (c == 'i' && (interval = strtod(optarg, &end)) >= 0.1 && interval <= 3600 && !*end) {
			continue;
		} else if (c == 'n' && (iterations = strtol(optarg, &end, 10)) > 0 && !*end) {
			continue;
		} else {
			log_error("top: bad option '%s' (pvisor top [--interval SECONDS (0.1 to 3600)] "
				  "[--iterations N])", argv[optind - 1]);
			return PVISOR_EXIT_ERROR;
		}
	}
	sock = api_socket_path(sock);
	t0 = seconds_now();
	if (sample_all(sock, false, 0) < 0)
		return PVISOR_EXIT_ERROR;
	for (long i = 0; iterations < 0 || i < iterations; i++) {
		double t1;

		usleep((useconds_t)(interval * 1e6));
		t1 = seconds_now();
		if (isatty(STDOUT_FILENO))
			printf("\033[H\033[2J");
		if (sample_all(sock, true, t1 - t0) < 0)
			return PVISOR_EXIT_ERROR;
		fflush(stdout);
		t0 = t1;
	}
	return 0;
}

/* sleeper.c (run by tests/suites/daemon.sh): a domain that stays up until
 * it is told otherwise. It prints the domain id it finds in its start info
 * (the daemon's, not always 1) and its boot count, then sleeps. Arguments:
 *   tick    print "sleeper: tick N" every 100 ms (timers across a pause)
 *   handle  take shutdown/reboot requests itself: print what was asked,
 *           then power off with status 3 (or reboot) from its main thread
 *   ignore  take requests and do nothing (the toolstack's grace period)
 *   touch   first write every free page once (so that ballooning shows in
 *           the host's RSS), then print "sleeper: touched N pages"
 *   spin    burn CPU without pause (sched-credit's benchmark)
 *   greedy  every 100 ms try to take back every ballooned page, printing
 *           "sleeper: reclaim refused" when the hypervisor says no (mem-max) */
#include <stdio.h>
#include <string.h>
#include <pv/pv.h>

static struct pv_sem asked;
static volatile unsigned request;

static void on_request(unsigned int what)
{
	request = what;
	pv_sem_post(&asked);
}

static void on_request_ignored(unsigned int what)
{
	request = what;
}

/* Allocates every free page, writes it, frees them all. */
static void touch_all_pages(void)
{
	void *head = NULL, *page;
	unsigned long pages = 0;

	while ((page = pv_pages_alloc(1))) {
		memset(page, 0x5a, PV_PAGE_SIZE);
		*(void **)page = head;
		head = page;
		pages++;
	}
	while (head) {
		page = head;
		head = *(void **)page;
		pv_pages_free(page, 1);
	}
	printf("sleeper: touched %lu pages\n", pages);
}

/* Tries to take every ballooned page back; says so once when refused. */
static void reclaim_all(int *refused_said)
{
	size_t want = pv_balloon_size();

	if (want && pv_balloon_deflate(want) <= 0 && !*refused_said) {
		printf("sleeper: reclaim refused (%lu pages ballooned)\n", (unsigned long)pv_balloon_size());
		*refused_said = 1;
	}
}

int main(int argc, char **argv)
{
	int tick = 0, handle = 0, ignore = 0, greedy = 0, refused_said = 0;
	unsigned n = 0;

	for (int i = 1; i < argc; i++) {
		tick |= !strcmp(argv[i], "tick");
		handle |= !strcmp(argv[i], "handle");
		ignore |= !strcmp(argv[i], "ignore");
		greedy |= !strcmp(argv[i], "greedy");
		if (!strcmp(argv[i], "touch"))
			touch_all_pages();
		if (!strcmp(argv[i], "spin")) {
			printf("sleeper: spinning\n");
			for (volatile uint64_t x = 0;; x += pv_clock_ns())
				;
		}
	}
	pv_sem_init(&asked, 0);
	if (handle)
		pv_on_control_request(on_request);
	if (ignore)
		pv_on_control_request(on_request_ignored);
	printf("sleeper: up as domain %u, boot %llu\n", (unsigned)pv_start_info()->domid,
	       (unsigned long long)pv_start_info()->boot_count + 1);
	for (;;) {
		if (pv_sem_timedwait(&asked, pv_clock_ns() + (tick || greedy ? 100 : 1000) * 1000000ull) == 0) {
			printf("sleeper: asked to %s\n", request == PVISOR_CONTROL_REBOOT ? "reboot" : "power off");
			if (request == PVISOR_CONTROL_REBOOT)
				pv_reboot();
			pv_poweroff(3);
		}
		if (ignore && request) {
			printf("sleeper: ignoring request %u\n", request);
			request = 0;
		}
		if (tick)
			printf("sleeper: tick %u\n", ++n);
		if (greedy)
			reclaim_all(&refused_said);
	}
}

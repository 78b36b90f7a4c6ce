/* backend.c: the loop every backend thread runs: do the ready work, poll
 * for more for a short adaptive window with guest notifications off, then
 * turn notifications on and sleep on the doorbells, the device's own fds
 * and the stop eventfd.
 *
 * The window adapts like KVM's halt polling: when a sleep ends soon after
 * it began (work would have arrived within the window), the window grows;
 * when a sleep is long, it shrinks, so an idle device costs no CPU. While
 * the backend polls, the guest's kicks are suppressed: under load an
 * operation costs no exit at all (docs/design.md, "Split drivers"). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "core/domain.h"
#include "lib/log.h"
#include "lib/seccomp_policy.h"
#include "virtio/vdev.h"

#define POLL_NS_START   20000ull    /* first window after a wakeup        */
#define POLL_NS_MAX     200000ull   /* about four exits on our hosts      */
#define POLL_NS_GROW    2
#define POLL_NS_SHRINK  2
#define STOP_DRAIN_PASSES 64

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool wants_kick(struct vdev *dev, unsigned q)
{
	return !dev->ops->want_kick || dev->ops->want_kick(dev, q);
}

/* Turns guest kicks on (before sleeping) for the queues whose new
 * buffers would be work, or off for all (while polling). */
static void set_guest_kicks(struct vdev *dev, bool enable)
{
	for (unsigned q = 0; q < dev->nr_queues; q++)
		vq_set_notify(&dev->queues[q].vq, enable && wants_kick(dev, q));
}

/* After enabling kicks: did the guest add buffers before it saw that? */
static bool work_raced_in(struct vdev *dev)
{
	for (unsigned q = 0; q < dev->nr_queues; q++)
		if (wants_kick(dev, q) && vq_more_avail(&dev->queues[q].vq))
			return true;
	return false;
}

static bool told_to_stop(const struct vdev *dev)
{
	return __atomic_load_n(&dev->stopping, __ATOMIC_ACQUIRE);
}

static void consume_kicks(struct vdev *dev)
{
	for (unsigned q = 0; q < dev->nr_queues; q++) {
		struct vdev_queue *vq = &dev->queues[q];
		uint64_t n;

		if (read(vq->kick_fd, &n, sizeof(n)) == (ssize_t)sizeof(n)) {
			vq->kicks += n;
			__atomic_add_fetch(&dev->dom->stats.doorbell_kicks, n, __ATOMIC_RELAXED);
		}
	}
}

/* Sleeps until a doorbell, a watched fd or the stop eventfd is ready.
 * Returns false when the thread must stop. */
static bool sleep_until_work(struct vdev *dev)
{
	struct pollfd fds[1 + PVISOR_DEVICE_MAX_QUEUES + VDEV_MAX_WATCH];
	unsigned n = 0;

	fds[n++] = (struct pollfd){ .fd = dev->stop_fd, .events = POLLIN };
	for (unsigned q = 0; q < dev->nr_queues && !dev->broken; q++)
		fds[n++] = (struct pollfd){ .fd = dev->queues[q].kick_fd, .events = POLLIN };
	for (unsigned w = 0; w < dev->nr_watch && !dev->broken; w++)
		if (!dev->ops->want_fd || dev->ops->want_fd(dev, w))
			fds[n++] = (struct pollfd){ .fd = dev->watch_fds[w], .events = POLLIN };
	dev->stats.sleeps++;
	while (poll(fds, n, -1) < 0) {
		if (errno != EINTR) {
			log_errno("device %u: poll", dev->index);
			return false;
		}
	}
	dev->stats.wakeups++;
	return !(fds[0].revents & POLLIN);
}

static void adapt_window(struct vdev *dev, uint64_t slept_ns)
{
	if (slept_ns <= POLL_NS_MAX) {
		dev->poll_ns = dev->poll_ns ? dev->poll_ns * POLL_NS_GROW : POLL_NS_START;
		if (dev->poll_ns > POLL_NS_MAX)
			dev->poll_ns = POLL_NS_MAX;
	} else {
		dev->poll_ns /= POLL_NS_SHRINK;
		if (dev->poll_ns < POLL_NS_START / 4)
			dev->poll_ns = 0;
	}
}

static void block_signals(void)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
}

int vdev_process_pair(struct vdev *dev, int (*first)(struct vdev *), int (*second)(struct vdev *))
{
	int a = first(dev), b;

	if (a < 0)
		return -1;
	b = second(dev);
	return b < 0 ? -1 : a + b;
}

void *vdev_backend_thread(void *arg)
{
	struct vdev *dev = arg;
	uint64_t idle_since = 0;

	block_signals();
	snprintf(dev->thread_name, sizeof(dev->thread_name), "%s-backend", dev->ops->name);
	seccomp_name_thread(dev->thread_name);	/* keeps the vCPU's list, inherited */
	set_guest_kicks(dev, false);
	while (!told_to_stop(dev)) {
		int done = dev->broken ? 0 : dev->ops->process(dev);
		uint64_t t;

		if (done > 0) {
			dev->stats.items += (uint64_t)done;
			if (idle_since)
				dev->stats.poll_hits++;
			idle_since = 0;
			continue;
		}
		t = now_ns();
		if (!idle_since)
			idle_since = t;
		if (!dev->broken && t - idle_since < dev->poll_ns &&
		    (!dev->ops->should_poll || dev->ops->should_poll(dev))) {
			__builtin_ia32_pause();
			continue;
		}
		set_guest_kicks(dev, true);
		if (!dev->broken && work_raced_in(dev)) {
			set_guest_kicks(dev, false);
			continue;
		}
		if (!sleep_until_work(dev))
			break;
		consume_kicks(dev);
		adapt_window(dev, now_ns() - t);
		set_guest_kicks(dev, false);
		idle_since = 0;
	}
	/* Serve what the guest published before it stopped (its last console
	 * output, say), bounded so that a guest still feeding us cannot hold
	 * the stop up. */
	for (unsigned pass = 0; pass < STOP_DRAIN_PASSES && !dev->broken; pass++)
		if (dev->ops->process(dev) <= 0)
			break;
	if (dev->ops->quiesce)
		dev->ops->quiesce(dev);
	return NULL;
}

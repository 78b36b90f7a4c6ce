/* emul_loop.c: the event-loop thread of full-virtualization mode. One
 * thread per machine sleeps in epoll_wait on every fd the device models
 * watch (timerfds, eventfds, TAP) and calls the model's ready() when one
 * is readable. A stop eventfd ends the thread; a paused watch is taken out
 * of the epoll set (so a hung-up fd cannot spin the thread) and put back
 * on resume. The loop never closes the fds it watches. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/seccomp_policy.h"
#include "hw/emul.h"

#define LOOP_MAX_EVENTS 16

struct emul_watch {
	struct emul_loop *loop;
	int fd;
	void (*ready)(void *dev);
	void *dev;
	bool paused;               /* written under loop->lock, read atomically */
	struct emul_watch *next;
};

struct emul_loop {
	int epoll_fd;
	int stop_fd;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;      /* the watch list and every watch's epoll state */
	struct emul_watch *watches;
};

struct emul_loop *emul_loop_create(void)
{
	struct emul_loop *loop = calloc(1, sizeof(*loop));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	if (!loop)
		return NULL;
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	loop->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->epoll_fd < 0 || loop->stop_fd < 0 ||
	    epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->stop_fd, &ev) < 0) {
		log_errno("cannot create the device event loop");
		if (loop->epoll_fd >= 0)
			close(loop->epoll_fd);
		if (loop->stop_fd >= 0)
			close(loop->stop_fd);
		free(loop);
		return NULL;
	}
	pthread_mutex_init(&loop->lock, NULL);
	return loop;
}

static void block_signals(void)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
}

/* Calls the watches' callbacks; false when the stop eventfd fired. */
static bool dispatch(struct epoll_event *events, int n)
{
	for (int i = 0; i < n; i++) {
		struct emul_watch *w = events[i].data.ptr;

		if (!w)
			return false;
		if (!__atomic_load_n(&w->paused, __ATOMIC_ACQUIRE))
			w->ready(w->dev);
	}
	return true;
}

static void *loop_thread(void *arg)
{
	struct emul_loop *loop = arg;
	struct epoll_event events[LOOP_MAX_EVENTS];

	block_signals();
	/* The PC's device models take what the guest writes: guest-I/O list. */
	if (seccomp_confine_thread(SECCOMP_LIST_GUEST_IO, "pc-devices") < 0)
		_exit(PVISOR_EXIT_ERROR);
	for (;;) {
		int n = epoll_wait(loop->epoll_fd, events, LOOP_MAX_EVENTS, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_errno("device event loop: epoll_wait");
			return NULL;
		}
		if (!dispatch(events, n))
			return NULL;
	}
}

int emul_loop_start(struct emul_loop *loop)
{
	int rc;

	if (!loop)
		return -1;
	if (loop->started)
		return 0;
	rc = pthread_create(&loop->thread, NULL, loop_thread, loop);
	if (rc) {
		errno = rc;
		log_errno("cannot start the device event loop");
		return -1;
	}
	loop->started = true;
	return 0;
}

static void stop_thread(struct emul_loop *loop)
{
	uint64_t one = 1;

	if (!loop->started)
		return;
	if (write(loop->stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		log_errno("device event loop: stop");
	pthread_join(loop->thread, NULL);
	loop->started = false;
}

void emul_loop_destroy(struct emul_loop *loop)
{
	struct emul_watch *w, *next;

	if (!loop)
		return;
	stop_thread(loop);
	for (w = loop->watches; w; w = next) {
		next = w->next;
		free(w);
	}
	close(loop->epoll_fd);
	close(loop->stop_fd);
	pthread_mutex_destroy(&loop->lock);
	free(loop);
}

static int epoll_add(struct emul_watch *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

	return epoll_ctl(w->loop->epoll_fd, EPOLL_CTL_ADD, w->fd, &ev);
}

struct emul_watch *emul_loop_watch(struct emul_loop *loop, int fd,
				   void (*ready)(void *dev), void *dev)
{
	struct emul_watch *w;

	if (!loop || fd < 0 || !ready)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	*w = (struct emul_watch){ .loop = loop, .fd = fd, .ready = ready, .dev = dev };
	pthread_mutex_lock(&loop->lock);
	if (epoll_add(w) < 0) {
		pthread_mutex_unlock(&loop->lock);
		log_errno("device event loop: cannot watch fd %d", fd);
		free(w);
		return NULL;
	}
	w->next = loop->watches;
	loop->watches = w;
	pthread_mutex_unlock(&loop->lock);
	return w;
}

void emul_loop_pause(struct emul_watch *w, bool paused)
{
	struct emul_loop *loop;
	int rc;

	if (!w)
		return;
	loop = w->loop;
	pthread_mutex_lock(&loop->lock);
	if (w->paused != paused) {
		if (paused)
			rc = epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, w->fd, NULL);
		else
			rc = epoll_add(w);
		if (rc < 0)
			log_errno("device event loop: cannot %s fd %d",
				  paused ? "pause" : "resume", w->fd);
		__atomic_store_n(&w->paused, paused, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&loop->lock);
}

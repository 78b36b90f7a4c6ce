/* console.c: hypercall console backend (see console.h). */
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "console/console.h"
#include "lib/log.h"
#include "lib/seccomp_policy.h"

void console_init(struct console *c, int out_fd, int in_fd)
{
	memset(c, 0, sizeof(*c));
	c->out_fd = out_fd;
	c->in_fd = in_fd;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->space, NULL);
	pthread_mutex_init(&c->out_lock, NULL);
	c->mirror_fd = -1;
	c->input_event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

int console_bound_log(struct console *c, const char *path, uint64_t max_bytes)
{
	struct stat st;

	char old[PATH_MAX];

	if (fstat(c->out_fd, &st) < 0 || !(c->log_path = strdup(path))) {
		log_errno("console log %s", path);
		return -1;
	}
	snprintf(old, sizeof(old), "%s.1", path);
	c->log_read_fd = open(path, O_RDONLY | O_CLOEXEC);
	c->log_old_fd = open(old, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (c->log_read_fd < 0 || c->log_old_fd < 0) {
		log_errno("console log %s", c->log_read_fd < 0 ? path : old);
		return -1;
	}
	c->log_max = max_bytes;
	c->log_size = (uint64_t)st.st_size;
	return 0;
}

void console_set_mirror(struct console *c, int fd)
{
	pthread_mutex_lock(&c->out_lock);
	c->mirror_fd = fd;
	pthread_mutex_unlock(&c->out_lock);
}

/* The log grew past its bound: its content replaces PATH.1's and PATH
 * starts anew (out_fd appends, so it writes at 0 again). Under out_lock,
 * so no output comes in between. If the copy fails, the log goes on
 * growing rather than losing output. */
static void rotate_log(struct console *c)
{
	loff_t in = 0, out = 0;
	ssize_t n;

	if (ftruncate(c->log_old_fd, 0) < 0)
		return;
	while ((n = copy_file_range(c->log_read_fd, &in, c->log_old_fd, &out, 1 << 20, 0)) > 0)
		;
	if (n < 0 || ftruncate(c->out_fd, 0) < 0) {
		log_errno("cannot rotate the console log %s", c->log_path);
		return;
	}
	c->log_size = 0;
}

/* Before output goes out: the attached client's copy, what of it the
 * client's socket takes now. Under out_lock. */
static void mirror_out(struct console *c, const struct iovec *iov, int cnt)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt };

	if (c->mirror_fd >= 0)
		sendmsg(c->mirror_fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* After output went out: the log's bound. Under out_lock. */
static void account_out(struct console *c, size_t bytes)
{
	if (!c->log_path)
		return;
	c->log_size += bytes;
	if (c->log_max && c->log_size > c->log_max)
		rotate_log(c);
}

/* A write that may go on: interrupted, or a non-blocking out_fd that is
 * full (wait until it drains). */
static bool retry_write(const struct console *c, ssize_t n)
{
	struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };

	if (n >= 0)
		return false;
	if (errno == EINTR)
		return true;
	if (errno != EAGAIN)
		return false;
	return poll(&p, 1, -1) >= 0 || errno == EINTR;
}

/* out_fd refused a write (a closed pipe, a full disk): say so once and
 * skip it from now on. The guest is told its output went out (it cannot
 * do anything about it), and the console log's and attached clients'
 * copies go on. */
static void output_failed(struct console *c)
{
	if (!c->out_failed)
		log_errno("console output failed; the guest's output is discarded from now on");
	c->out_failed = true;
}

void console_discard_output(struct console *c, const char *why)
{
	log_error("%s: the guest's console output is discarded", why);
	c->out_failed = true;
}

static void write_all(struct console *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len && !c->out_failed) {
		ssize_t n = write(c->out_fd, p, len);

		if (retry_write(c, n))
			continue;
		if (n <= 0) {
			output_failed(c);
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

void console_write(struct console *c, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	pthread_mutex_lock(&c->out_lock);
	mirror_out(c, &iov, 1);
	write_all(c, buf, len);
	account_out(c, len);
	pthread_mutex_unlock(&c->out_lock);
}

static void writev_all(struct console *c, struct iovec *iov, int cnt)
{
	while (cnt > 0 && !c->out_failed) {
		ssize_t n = writev(c->out_fd, iov, cnt > IOV_MAX ? IOV_MAX : cnt);

		if (retry_write(c, n))
			continue;
		if (n <= 0) {
			output_failed(c);
			return;
		}
		/* Skip what was written; a partial buffer keeps its rest. */
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
}

void console_writev(struct console *c, struct iovec *iov, int cnt)
{
	size_t total = 0;

	for (int i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	pthread_mutex_lock(&c->out_lock);
	mirror_out(c, iov, cnt > IOV_MAX ? IOV_MAX : cnt);
	writev_all(c, iov, cnt);
	account_out(c, total);
	pthread_mutex_unlock(&c->out_lock);
}

/* Tells the attached domain; called with c->lock held so that the domain
 * cannot go away meanwhile (console_attach takes it too). */
static void console_notify(struct console *c)
{
	uint64_t one = 1;

	if (c->input_notify)
		c->input_notify(c->input_ctx);
	if (c->input_event_fd >= 0 && write(c->input_event_fd, &one, sizeof(one)) < 0)
		log_errno("console input event");
}

void console_attach(struct console *c, void (*notify)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&c->lock);
	c->input_notify = notify;
	c->input_ctx = ctx;
	pthread_mutex_unlock(&c->lock);
}

static void *console_reader(void *arg)
{
	struct console *c = arg;
	uint8_t chunk[512];

	seccomp_name_thread("console-in");
	for (;;) {
		ssize_t n = read(c->in_fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		pthread_mutex_lock(&c->lock);
		if (n <= 0) {
			c->eof = 1;
			console_notify(c);
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		for (ssize_t i = 0; i < n; i++) {
			while (c->len == CONSOLE_INPUT_BUF && !c->stopping)
				pthread_cond_wait(&c->space, &c->lock);
			if (c->stopping) {
				pthread_mutex_unlock(&c->lock);
				return NULL;
			}
			c->buf[(c->head + c->len++) % CONSOLE_INPUT_BUF] = chunk[i];
		}
		console_notify(c);
		pthread_mutex_unlock(&c->lock);
	}
}

void console_start_input(struct console *c)
{
	pthread_mutex_lock(&c->lock);
	if (!c->reader_started) {
		if (pthread_create(&c->reader, NULL, console_reader, c) == 0)
			c->reader_started = 1;
		else
			c->eof = 1;
	}
	pthread_mutex_unlock(&c->lock);
}

long console_read(struct console *c, void *buf, size_t len)
{
	uint8_t *out = buf;
	size_t n = 0;

	console_start_input(c);
	pthread_mutex_lock(&c->lock);
	while (n < len && c->len) {
		out[n++] = c->buf[c->head];
		c->head = (c->head + 1) % CONSOLE_INPUT_BUF;
		c->len--;
	}
	if (n)
		pthread_cond_signal(&c->space);
	pthread_mutex_unlock(&c->lock);
	if (n)
		return (long)n;
	return c->eof ? 0 : -1;
}

/* Called once at process exit. The reader may be blocked in read(2) on a
 * terminal; it is detached rather than joined so that pvisor never waits
 * for the user to press a key. */
void console_destroy(struct console *c)
{
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_broadcast(&c->space);
	pthread_mutex_unlock(&c->lock);
	if (c->reader_started)
		pthread_detach(c->reader);
	else if (c->input_event_fd >= 0)
		close(c->input_event_fd);  /* a running reader may still signal it */
	if (c->log_path) {
		close(c->log_read_fd);
		close(c->log_old_fd);
	}
	free(c->log_path);
	c->log_path = NULL;
}

bool console_input_eof(struct console *c)
{
	bool eof;

	pthread_mutex_lock(&c->lock);
	eof = c->eof && c->len == 0;
	pthread_mutex_unlock(&c->lock);
	return eof;
}

bool console_has_input(struct console *c)
{
	bool any;

	pthread_mutex_lock(&c->lock);
	any = c->len > 0;
	pthread_mutex_unlock(&c->lock);
	return any;
}

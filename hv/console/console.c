/* console.c: hypercall console backend (see console.h). */
#include <errno.h>
#include <string.h>
#include <limits.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "console/console.h"
#include "lib/log.h"

void console_init(struct console *c, int out_fd, int in_fd)
{
	memset(c, 0, sizeof(*c));
	c->out_fd = out_fd;
	c->in_fd = in_fd;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->space, NULL);
	c->input_event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

int console_write(struct console *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(c->out_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int console_writev(struct console *c, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		ssize_t n = writev(c->out_fd, iov, cnt > IOV_MAX ? IOV_MAX : cnt);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
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
	return 0;
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

/* console.h: the host end of a guest's console: pvisor's stdout and stdin.
 * Output goes out in one write per call; input comes from stdin on a
 * reader thread started when the guest first asks for input, which calls
 * the attached domain's notify (it raises VIRQ_CONSOLE) and signals
 * input_event_fd. Served to the guest by the console hypercall
 * (hv/core/hypercall.c), the virtio console (hv/virtio/console.c) and the
 * emulated UART (hv/hw/pc.c). One console lives as long as the pvisor
 * process and is attached to the domain running at the moment (a reboot
 * makes a new one). */
#ifndef PVISOR_CONSOLE_H
#define PVISOR_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_INPUT_BUF 4096

struct console {
	int out_fd, in_fd;
	pthread_mutex_t lock;
	pthread_cond_t space;
	pthread_t reader;
	int reader_started;
	int eof;
	int stopping;
	size_t head, len;             /* ring of pending input */
	uint8_t buf[CONSOLE_INPUT_BUF];
	void (*input_notify)(void *ctx);   /* the attached domain's, or NULL */
	void *input_ctx;
	int input_event_fd;           /* eventfd: input (or its end) arrived */
	/* Output side extras (out_lock): a copy for an attached client and a
	 * size bound when the output is a log file. */
	pthread_mutex_t out_lock;
	int mirror_fd;                /* -1: none */
	char *log_path;               /* NULL: out_fd is not a bounded log */
	int log_read_fd, log_old_fd;  /* PATH to read, PATH.1 to write: rotation */
	uint64_t log_max, log_size;
	bool out_failed;              /* out_fd refused a write: said once, now skipped */
};

void console_init(struct console *c, int out_fd, int in_fd);
/* Makes out_fd, which is the file PATH opened for appending, a bounded
 * log: once it holds more than max_bytes its content moves to PATH.1
 * (replacing the older one) and PATH starts empty, so at most about
 * 2 * max_bytes are kept. PATH.1 is opened (created empty) now: rotation
 * happens on threads that may open nothing (docs/confinement.md), so it
 * copies and truncates instead of renaming. 0, or -1 after an error
 * message. */
int console_bound_log(struct console *c, const char *path, uint64_t max_bytes);
/* Also sends every output byte to fd (a socket; -1: stop). The send never
 * blocks: bytes a slow client cannot take are dropped for it; the log
 * keeps them. The caller owns fd. */
void console_set_mirror(struct console *c, int fd);
void console_destroy(struct console *c);
/* Directs input notifications to notify(ctx), called on the reader
 * thread whenever input (or its end) arrives; NULL: none. After it
 * returns the previous notify is never called again. */
void console_attach(struct console *c, void (*notify)(void *ctx), void *ctx);
/* The output goes nowhere from now on (why: one line on stderr); the
 * mirror and the log still get it. */
void console_discard_output(struct console *c, const char *why);
/* Writes all of buf to the output (and its mirror and log). An output
 * that refuses a write is reported once on stderr and skipped from then
 * on: the guest cannot do anything about it, so it is never told. */
void console_write(struct console *c, const void *buf, size_t len);
/* The same for an iovec (which it may change). */
struct iovec;
void console_writev(struct console *c, struct iovec *iov, int cnt);
/* Moves up to len pending input bytes into buf: count, 0 at end of input,
 * or -1 when none is pending yet (starts the reader on first use). */
long console_read(struct console *c, void *buf, size_t len);
/* Starts the stdin reader (idempotent). */
void console_start_input(struct console *c);
/* Is input waiting to be read? */
bool console_has_input(struct console *c);
/* Has input ended, with every byte read? */
bool console_input_eof(struct console *c);

#endif

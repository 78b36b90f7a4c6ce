/* test_uart16550.c: the 16550A UART model (hv/hw/uart16550.c) driven
 * register by register the way a guest driver would, with a fake host:
 * output collected in a buffer, input served from a buffer (or "nothing
 * yet"), interrupt pulses recorded. No loop, no timing. */
#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "hw/uart16550.h"
#include "irq_probe.h"

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2,
       LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

/* ---- The fake host ---------------------------------------------------------- */

struct host {
	uint8_t out[4096];
	size_t out_len;
	uint8_t in[256];
	size_t in_len, in_pos;
	bool in_closed;           /* at in_len: end of input rather than "nothing yet" */
	unsigned input_calls;
	size_t max_request;       /* largest len the model asked for */
	unsigned rises, falls;    /* IRQ line transitions */
	unsigned last_irq;
	int level;
};

static struct host host;
static struct uart16550 *uart;
static struct emul_pio_region reg;

static int host_output(void *ctx, const void *buf, size_t len)
{
	struct host *h = ctx;

	if (h->out_len + len > sizeof(h->out))
		return -1;
	memcpy(h->out + h->out_len, buf, len);
	h->out_len += len;
	return 0;
}

static long host_input(void *ctx, void *buf, size_t len)
{
	struct host *h = ctx;
	size_t n = h->in_len - h->in_pos;

	h->input_calls++;
	if (len > h->max_request)
		h->max_request = len;
	if (!n)
		return h->in_closed ? 0 : -1;
	if (n > len)
		n = len;
	memcpy(buf, h->in + h->in_pos, n);
	h->in_pos += n;
	return (long)n;
}

static void host_irq(void *ctx, unsigned irq, int level)
{
	struct host *h = ctx;

	h->last_irq = irq;
	if (level && !h->level)
		h->rises++;
	if (!level && h->level)
		h->falls++;
	h->level = level;
}

static const struct emul_irq irq_line = { .set = host_irq, .ctx = &host };

static void host_type(const char *s)
{
	size_t n = strlen(s);

	memcpy(host.in + host.in_len, s, n);
	host.in_len += n;
}

static void setup_with_fd(int event_fd)
{
	struct uart16550_config cfg = {
		.irq = &irq_line, .irq_nr = 4,
		.output = host_output, .input = host_input,
		.input_event_fd = event_fd, .loop = NULL, .ctx = &host,
	};

	if (uart)
		uart16550_destroy(uart);
	memset(&host, 0, sizeof(host));
	uart = uart16550_create(&cfg);
	uart16550_region(uart, 0x3f8, &reg);
}

static void setup(void)
{
	setup_with_fd(-1);
}

static uint8_t inb(uint16_t off)
{
	return (uint8_t)reg.read(reg.dev, off, 1);
}

static void outb(uint16_t off, uint8_t v)
{
	reg.write(reg.dev, off, 1, v);
}

/* ---- Cases ------------------------------------------------------------------ */

static void region_shape(void)
{
	setup();
	CHECK(uart != NULL);
	CHECK_EQ(reg.base, 0x3f8);
	CHECK_EQ(reg.len, 8);
	CHECK(reg.read && reg.write && reg.dev == uart);
}

static void reset_values(void)
{
	setup();
	CHECK_EQ(inb(IER), 0x00);
	CHECK_EQ(inb(IIR), 0x01);       /* no interrupt, FIFOs off */
	CHECK_EQ(inb(LCR), 0x00);
	CHECK_EQ(inb(MCR), 0x00);
	CHECK_EQ(inb(LSR), 0x60);       /* THRE, TEMT */
	CHECK_EQ(inb(MSR), 0xb0);       /* DCD, DSR, CTS */
	CHECK_EQ(inb(SCR), 0x00);
	CHECK_EQ(inb(RBR), 0x00);       /* empty receiver */
	outb(LCR, 0x80);
	CHECK_EQ(inb(DLL), UART16550_RESET_DIVISOR & 0xff);
	CHECK_EQ(inb(DLM), UART16550_RESET_DIVISOR >> 8);
	CHECK_EQ(host.rises, 0u);
}

static void divisor_latch(void)
{
	setup();
	outb(IER, 0x05);
	outb(LCR, 0x83);                /* DLAB, 8N1 */
	outb(DLL, 0x01);
	outb(DLM, 0x02);
	CHECK_EQ(inb(DLL), 0x01);
	CHECK_EQ(inb(DLM), 0x02);
	outb(LCR, 0x03);
	CHECK_EQ(inb(IER), 0x05);       /* untouched by the divisor writes */
	outb(THR, 'x');                 /* DLAB off: a data byte again */
	CHECK_EQ(host.out_len, 1u);
	outb(LCR, 0x83);
	CHECK_EQ(inb(DLL), 0x01);       /* ...and not a divisor write */
	outb(DLL, 'y');
	CHECK_EQ(host.out_len, 1u);     /* with DLAB no byte goes out */
}

static void lcr_mcr_scr_round_trip(void)
{
	setup();
	outb(LCR, 0x1b);
	CHECK_EQ(inb(LCR), 0x1b);
	outb(MCR, 0x0b);
	CHECK_EQ(inb(MCR), 0x0b);
	outb(MCR, 0xff);
	CHECK_EQ(inb(MCR), 0x1f);       /* bits 5-7 read 0 */
	outb(MCR, 0x00);
	for (unsigned v = 0; v < 256; v += 51) {
		outb(SCR, (uint8_t)v);
		CHECK_EQ(inb(SCR), v);
	}
	outb(IER, 0xff);
	CHECK_EQ(inb(IER), 0x0f);
}

static void thr_reaches_output(void)
{
	const char *msg = "hello, 16550\n";
	struct uart16550_stats st;

	setup();
	for (const char *p = msg; *p; p++) {
		CHECK(inb(LSR) & 0x20);
		outb(THR, (uint8_t)*p);
	}
	CHECK_EQ(host.out_len, strlen(msg));
	CHECK(memcmp(host.out, msg, strlen(msg)) == 0);
	CHECK_EQ(inb(LSR), 0x60);       /* still empty: the host is instant */
	uart16550_get_stats(uart, &st);
	CHECK_EQ(st.bytes_out, strlen(msg));
	CHECK_EQ(host.rises, 0u);       /* IER = 0: no interrupts */
}

static void thre_interrupt_on_ier_write(void)
{
	setup();
	outb(IER, 0x02);                /* ETBEI with THR empty: at once */
	CHECK_EQ(host.rises, 1u);
	CHECK_EQ(host.last_irq, 4u);
	CHECK_EQ(host.level, 0);        /* pulsed: edge, not level */
	CHECK_EQ(inb(IIR), 0x02);
	CHECK_EQ(inb(IIR), 0x01);       /* reading IIR acknowledged it */
	outb(THR, 'a');                 /* sent at once: THR empty again */
	CHECK_EQ(host.rises, 2u);
	CHECK_EQ(inb(IIR), 0x02);
	outb(IER, 0x02);                /* no 0->1 change: nothing new */
	CHECK_EQ(inb(IIR), 0x01);
	CHECK_EQ(host.rises, 2u);
	outb(IER, 0x00);
	outb(IER, 0x02);                /* re-enabled: interrupts again */
	CHECK_EQ(host.rises, 3u);
	outb(THR, 'b');                 /* unacknowledged, yet every byte sent */
	CHECK_EQ(host.rises, 4u);       /* empties THR again: a new interrupt */
	outb(THR, 'c');
	CHECK_EQ(host.rises, 5u);
	CHECK_EQ(inb(IIR), 0x02);
	CHECK_EQ(inb(IIR), 0x01);
}

static void iir_priorities(void)
{
	setup();
	outb(MCR, 0x10);                /* loopback: the guest feeds itself */
	CHECK_EQ(inb(MSR), 0x0b);       /* entering it dropped CTS, DSR, DCD */
	outb(IER, 0x0f);                /* all four sources */
	CHECK_EQ(inb(IIR), 0x02);       /* THRE (from the IER write) */
	CHECK_EQ(inb(IIR), 0x01);
	outb(MCR, 0x12);                /* RTS -> CTS changes: modem status */
	CHECK_EQ(inb(IIR), 0x00);
	outb(THR, 'a');                 /* RX data, and THRE again */
	outb(THR, 'b');                 /* non-FIFO: holding register full: overrun */
	CHECK_EQ(inb(IIR), 0x06);       /* line status first */
	CHECK_EQ(inb(LSR) & 0x03, 0x03); /* DR, OE; reading clears OE */
	CHECK_EQ(inb(IIR), 0x04);       /* then received data */
	CHECK_EQ(inb(RBR), 'a');
	CHECK_EQ(inb(IIR), 0x02);       /* then THR empty (acknowledged by this read) */
	CHECK_EQ(inb(IIR), 0x00);       /* then modem status */
	CHECK_EQ(inb(MSR) & 0x11, 0x11); /* CTS, DCTS; reading clears DCTS */
	CHECK_EQ(inb(IIR), 0x01);
}

static void rx_from_input(void)
{
	struct uart16550_stats st;

	setup();
	outb(IER, 0x01);
	host_type("hi");
	uart16550_input_ready(uart);
	CHECK_EQ(host.rises, 1u);
	CHECK_EQ(inb(LSR) & 0x01, 0x01);
	CHECK_EQ(inb(IIR), 0x04);
	CHECK_EQ(inb(RBR), 'h');        /* non-FIFO mode: refilled at once */
	CHECK_EQ(inb(LSR) & 0x01, 0x01);
	CHECK_EQ(inb(RBR), 'i');
	CHECK_EQ(inb(LSR) & 0x01, 0x00);
	CHECK_EQ(inb(IIR), 0x01);
	CHECK_EQ(host.rises, 1u);       /* one data condition, one edge */
	host_type("!");
	uart16550_input_ready(uart);
	CHECK_EQ(host.rises, 2u);       /* a new condition after service */
	CHECK_EQ(inb(RBR), '!');
	uart16550_get_stats(uart, &st);
	CHECK_EQ(st.bytes_in, 3u);
	CHECK_EQ(st.irqs, 2u);
}

static void rx_fifo_trigger_and_timeout(void)
{
	setup();
	outb(FCR, 0x87);                /* enable, clear, trigger 8 */
	outb(IER, 0x01);
	host_type("abc");
	uart16550_input_ready(uart);
	CHECK_EQ(inb(IIR), 0xcc);       /* below the trigger: timeout, FIFO bits */
	host_type("defgh");
	uart16550_input_ready(uart);
	CHECK_EQ(inb(IIR), 0xc4);       /* 8 bytes: data available */
	CHECK_EQ(host.rises, 1u);
	CHECK_EQ(inb(RBR), 'a');
	CHECK_EQ(inb(IIR), 0xcc);
}

/* 100 bytes of input, a 16-byte FIFO: the model must only take what fits
 * and come back for the rest as the guest reads, losing nothing. */
static void no_byte_lost(void)
{
	uint8_t got[100];
	size_t n = 0;
	struct uart16550_stats st;

	setup();
	for (unsigned i = 0; i < 100; i++)
		host.in[i] = (uint8_t)(i * 7 + 1);
	host.in_len = 100;
	outb(FCR, 0x07);
	outb(IER, 0x01);
	uart16550_input_ready(uart);
	CHECK_EQ(host.in_pos, 16u);     /* only what fits */
	CHECK(host.max_request <= 16);
	uart16550_input_ready(uart);    /* again, still full: nothing taken */
	CHECK_EQ(host.in_pos, 16u);
	while ((inb(LSR) & 0x01) && n < sizeof(got))
		got[n++] = inb(RBR);
	CHECK_EQ(n, 100u);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(got[i], (uint8_t)(i * 7 + 1));
	CHECK_EQ(inb(LSR) & 0x03, 0x00); /* no overrun */
	uart16550_get_stats(uart, &st);
	CHECK_EQ(st.bytes_in, 100u);
	CHECK_EQ(st.overruns, 0u);
}

static void end_of_input(void)
{
	unsigned calls;

	setup();
	host_type("z");
	host.in_closed = true;
	uart16550_input_ready(uart);
	CHECK_EQ(inb(RBR), 'z');
	calls = host.input_calls;
	uart16550_input_ready(uart);
	CHECK_EQ(inb(LSR) & 0x01, 0x00);
	CHECK_EQ(host.input_calls, calls);  /* never asked again after 0 */
}

static void input_eventfd_drained(void)
{
	int fd = eventfd(0, EFD_CLOEXEC);   /* blocking: the model must cope */
	uint64_t one = 1, v;

	setup_with_fd(fd);
	CHECK(write(fd, &one, sizeof(one)) == sizeof(one));
	host_type("q");
	uart16550_input_ready(uart);
	CHECK_EQ(inb(RBR), 'q');
	CHECK(read(fd, &v, sizeof(v)) < 0);  /* drained, and now non-blocking */
	uart16550_input_ready(uart);         /* nothing signalled: must not block */
	CHECK_EQ(inb(LSR) & 0x01, 0x00);
	setup();
	close(fd);
}

static void loopback_mode(void)
{
	struct uart16550_stats st;

	setup();
	host_type("host");                 /* the host end is disconnected */
	outb(MCR, 0x1f);                   /* loopback, all outputs on */
	outb(FCR, 0x01);
	CHECK_EQ(inb(MSR), 0xf0);          /* CTS=RTS DSR=DTR RI=OUT1 DCD=OUT2 */
	outb(MCR, 0x10);
	CHECK_EQ(inb(MSR), 0x0f);          /* lines down: DCTS DDSR DDCD, TERI */
	for (unsigned i = 0; i < 20; i++)
		outb(THR, (uint8_t)('A' + i));
	CHECK_EQ(host.out_len, 0u);        /* nothing reached the host */
	CHECK_EQ(inb(LSR) & 0x03, 0x03);   /* DR and overrun (20 > 16) */
	CHECK_EQ(inb(LSR) & 0x02, 0x00);   /* OE cleared by the read */
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ(inb(RBR), 'A' + i);   /* the first 16 kept */
	CHECK_EQ(inb(LSR) & 0x01, 0x00);
	uart16550_get_stats(uart, &st);
	CHECK_EQ(st.overruns, 4u);
	CHECK_EQ(host.in_pos, 0u);         /* host input left alone */
	outb(MCR, 0x00);                   /* back to the host */
	CHECK_EQ(host.in_pos, 4u);
	CHECK_EQ(inb(RBR), 'h');
}

static void fifo_clear(void)
{
	setup();
	outb(FCR, 0x01);
	outb(MCR, 0x10);
	outb(THR, '1');
	outb(THR, '2');
	CHECK_EQ(inb(LSR) & 0x01, 0x01);
	outb(FCR, 0x03);                   /* clear RX */
	CHECK_EQ(inb(LSR) & 0x01, 0x00);
	outb(THR, '3');
	outb(FCR, 0x05);                   /* clear TX only: RX keeps its byte */
	CHECK_EQ(inb(RBR), '3');
	outb(THR, '4');
	outb(FCR, 0x00);                   /* FIFOs off: both reset */
	CHECK_EQ(inb(LSR) & 0x01, 0x00);
	CHECK_EQ(inb(IIR) & 0xc0, 0x00);
	outb(FCR, 0xc1);
	CHECK_EQ(inb(IIR) & 0xc0, 0xc0);
}

static void wide_access_splits(void)
{
	setup();
	reg.write(reg.dev, 3, 2, 0x0b03); /* LCR = 0x03, MCR = 0x0b */
	CHECK_EQ(inb(LCR), 0x03);
	CHECK_EQ(inb(MCR), 0x0b);
	CHECK_EQ(reg.read(reg.dev, 3, 2), 0x0b03u);
	CHECK_EQ(reg.read(reg.dev, 7, 2), 0xff00u);  /* SCR, then past the end */
}

static void hostile_values(void)
{
	setup();
	check_rng_state = 0x16550;
	for (unsigned i = 0; i < 20000; i++) {
		uint16_t off = (uint16_t)(check_rng() % 8);

		if (check_rng() & 1)
			outb(off, (uint8_t)check_rng());
		else
			(void)inb(off);
		if (i % 97 == 0) {
			host_type("x");
			if (host.in_len > 200)
				host.in_len = host.in_pos = 0;
			uart16550_input_ready(uart);
		}
	}
	CHECK(inb(LSR) & 0x60);            /* still alive and sane */
}

/* ---- A real loop (struct irq_waiter: irq_probe.h) -------------------------- */


/* The real thing: a running loop watching an input eventfd. The host
 * signals 100 bytes at once; the guest takes them all after the
 * interrupt, polling LSR. The loop thread calls host_input only while
 * the test thread waits or holds no host state. */
static void loop_delivers_input(void)
{
	struct irq_waiter w = { .lock = PTHREAD_MUTEX_INITIALIZER,
				.cond = PTHREAD_COND_INITIALIZER };
	struct emul_irq line = { .set = waiter_irq, .ctx = &w };
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct emul_loop *loop = emul_loop_create();
	struct uart16550_config cfg = {
		.irq = &line, .irq_nr = 4, .output = host_output, .input = host_input,
		.input_event_fd = fd, .loop = loop, .ctx = &host,
	};
	struct uart16550 *u;
	struct emul_pio_region r;
	uint64_t one = 1;
	size_t n = 0;
	bool in_order = true;

	memset(&host, 0, sizeof(host));
	for (unsigned i = 0; i < 100; i++)
		host.in[i] = (uint8_t)i;
	host.in_len = 100;
	u = uart16550_create(&cfg);
	CHECK(u != NULL);
	uart16550_region(u, 0x3f8, &r);
	r.write(r.dev, FCR, 1, 0x01);      /* FIFOs on: pulls the first 16 */
	r.write(r.dev, IER, 1, 0x01);      /* (and interrupts at once) */
	CHECK_EQ(emul_loop_start(loop), 0);
	CHECK(write(fd, &one, sizeof(one)) == sizeof(one));
	CHECK(wait_rises(&w, 1) >= 1);
	while ((r.read(r.dev, LSR, 1) & 0x01) && n < 100) {
		if (r.read(r.dev, RBR, 1) != n)
			in_order = false;
		n++;
	}
	CHECK_EQ(n, 100u);
	CHECK(in_order);
	emul_loop_destroy(loop);
	uart16550_destroy(u);
	close(fd);
}

int main(void)
{
	RUN(region_shape);
	RUN(reset_values);
	RUN(divisor_latch);
	RUN(lcr_mcr_scr_round_trip);
	RUN(thr_reaches_output);
	RUN(thre_interrupt_on_ier_write);
	RUN(iir_priorities);
	RUN(rx_from_input);
	RUN(rx_fifo_trigger_and_timeout);
	RUN(no_byte_lost);
	RUN(end_of_input);
	RUN(input_eventfd_drained);
	RUN(loopback_mode);
	RUN(fifo_clear);
	RUN(wide_access_splits);
	RUN(hostile_values);
	RUN(loop_delivers_input);
	uart16550_destroy(uart);
	CHECK_EXIT();
}

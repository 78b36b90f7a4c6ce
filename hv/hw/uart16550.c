/* uart16550.c: the 16550A UART model (see uart16550.h): register file,
 * receive FIFO with lossless host flow control, interrupt identification
 * and edge generation. Register accesses come from the vCPU thread, input
 * notifications from the loop thread: one mutex guards the whole state. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "hw/uart16550.h"

enum {
	REG_DATA = 0,   /* RBR (read) / THR (write); DLL with DLAB */
	REG_IER = 1,    /* DLM with DLAB */
	REG_IIR = 2,    /* IIR (read) / FCR (write) */
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_RDA   0x01
#define IER_THRE  0x02
#define IER_RLS   0x04
#define IER_MS    0x08

#define IIR_NONE    0x01
#define IIR_MS      0x00
#define IIR_THRE    0x02
#define IIR_RDA     0x04
#define IIR_RLS     0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO    0xc0

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_STORED   0xc9  /* enable, DMA mode, trigger level */

#define LCR_DLAB  0x80

#define MCR_DTR   0x01
#define MCR_RTS   0x02
#define MCR_OUT1  0x04
#define MCR_OUT2  0x08
#define MCR_LOOP  0x10

#define LSR_DR    0x01
#define LSR_OE    0x02
#define LSR_ERRORS 0x1e    /* OE, PE, FE, BI: cleared by reading LSR */
#define LSR_THRE  0x20
#define LSR_TEMT  0x40

#define MSR_DCTS  0x01
#define MSR_DDSR  0x02
#define MSR_TERI  0x04
#define MSR_DDCD  0x08
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80

/* Interrupt sources, one bit each, for edge detection. */
#define SRC_RLS   0x1
#define SRC_RX    0x2
#define SRC_THRE  0x4
#define SRC_MS    0x8

struct uart16550 {
	pthread_mutex_t lock;
	struct emul_irq irq;
	bool has_irq;
	unsigned irq_nr;
	int (*output)(void *ctx, const void *buf, size_t len);
	long (*input)(void *ctx, void *buf, size_t len);
	void *ctx;
	int input_fd;
	struct emul_watch *watch;
	bool watch_paused;
	bool input_eof;

	uint8_t rx[UART16550_FIFO_SIZE];
	unsigned rx_head, rx_count;

	uint16_t divisor;
	uint8_t ier, lcr, mcr, fcr, scr;
	uint8_t lsr_errors;     /* LSR_ERRORS bits */
	uint8_t msr_deltas;     /* MSR bits 0-3 */
	bool thre_pending;      /* THR-empty interrupt not yet acknowledged */
	unsigned raised;        /* SRC_* pending at the last evaluation */

	struct uart16550_stats stats;
};

/* ---- Receive FIFO ---------------------------------------------------------- */

static unsigned rx_capacity(const struct uart16550 *u)
{
	return (u->fcr & FCR_ENABLE) ? UART16550_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct uart16550 *u)
{
	static const unsigned levels[4] = { 1, 4, 8, 14 };

	return levels[u->fcr >> 6];
}

static bool loopback(const struct uart16550 *u)
{
	return u->mcr & MCR_LOOP;
}

static bool rx_push(struct uart16550 *u, uint8_t byte)
{
	if (u->rx_count >= rx_capacity(u))
		return false;
	u->rx[(u->rx_head + u->rx_count) % UART16550_FIFO_SIZE] = byte;
	u->rx_count++;
	return true;
}

static uint8_t rx_pop(struct uart16550 *u)
{
	uint8_t byte;

	if (!u->rx_count)
		return 0;
	byte = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART16550_FIFO_SIZE;
	u->rx_count--;
	return byte;
}

static void rx_clear(struct uart16550 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

static void set_watch_paused(struct uart16550 *u, bool paused)
{
	if (!u->watch || u->watch_paused == paused)
		return;
	emul_loop_pause(u->watch, paused);
	u->watch_paused = paused;
}

/* Pulls host input while the FIFO has room; pauses the watch while the
 * receiver cannot take more (full, loopback, end of input). */
static void rx_fill(struct uart16550 *u)
{
	while (u->input && !u->input_eof && !loopback(u) && u->rx_count < rx_capacity(u)) {
		uint8_t buf[UART16550_FIFO_SIZE];
		size_t room = rx_capacity(u) - u->rx_count;
		long n = u->input(u->ctx, buf, room);

		if (n == 0)
			u->input_eof = true;
		if (n <= 0)
			break;
		if ((size_t)n > room)  /* a misbehaving callback: keep what fits */
			n = (long)room;
		for (long i = 0; i < n; i++)
			rx_push(u, buf[i]);
		u->stats.bytes_in += (uint64_t)n;
	}
	set_watch_paused(u, !u->input || u->input_eof || loopback(u) ||
			 u->rx_count >= rx_capacity(u));
}

/* ---- Interrupts ------------------------------------------------------------ */

static unsigned pending_sources(const struct uart16550 *u)
{
	unsigned s = 0;

	if ((u->ier & IER_RLS) && u->lsr_errors)
		s |= SRC_RLS;
	if ((u->ier & IER_RDA) && u->rx_count)
		s |= SRC_RX;
	if ((u->ier & IER_THRE) && u->thre_pending)
		s |= SRC_THRE;
	if ((u->ier & IER_MS) && u->msr_deltas)
		s |= SRC_MS;
	return s;
}

static uint8_t iir_value(const struct uart16550 *u)
{
	unsigned s = pending_sources(u);
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if (s & SRC_RLS)
		return fifo | IIR_RLS;
	if (s & SRC_RX)
		return fifo | ((fifo && u->rx_count < rx_trigger(u)) ? IIR_TIMEOUT : IIR_RDA);
	if (s & SRC_THRE)
		return fifo | IIR_THRE;
	if (s & SRC_MS)
		return fifo | IIR_MS;
	return fifo | IIR_NONE;
}

/* Pulses the line when a source became pending since the last look. */
static void update_irq(struct uart16550 *u)
{
	unsigned s = pending_sources(u);

	if ((s & ~u->raised) && u->has_irq) {
		emul_irq_pulse(&u->irq, u->irq_nr);
		u->stats.irqs++;
	}
	u->raised = s;
}

/* ---- Modem lines ----------------------------------------------------------- */

static uint8_t msr_lines(const struct uart16550 *u)
{
	uint8_t m = 0;

	if (!loopback(u))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (u->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (u->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (u->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

static uint8_t msr_deltas(uint8_t before, uint8_t after)
{
	uint8_t changed = before ^ after, d = 0;

	if (changed & MSR_CTS)
		d |= MSR_DCTS;
	if (changed & MSR_DSR)
		d |= MSR_DDSR;
	if (changed & MSR_DCD)
		d |= MSR_DDCD;
	if ((before & MSR_RI) && !(after & MSR_RI))
		d |= MSR_TERI;
	return d;
}

/* ---- Register writes ------------------------------------------------------- */

static void write_thr(struct uart16550 *u, uint8_t byte)
{
	if (loopback(u)) {
		if (!rx_push(u, byte)) {
			u->lsr_errors |= LSR_OE;
			u->stats.overruns++;
		}
	} else if (u->output) {
		if (u->output(u->ctx, &byte, 1) != 0)
			u->stats.output_errors++;
		else
			u->stats.bytes_out++;
	}
	/* The write cleared THRE; the host sent the byte at once: it is a
	 * new THR-empty condition. */
	u->raised &= ~SRC_THRE;
	u->thre_pending = true;
}

static void write_ier(struct uart16550 *u, uint8_t value)
{
	uint8_t old = u->ier;

	u->ier = value & 0x0f;
	/* Enabling the THRE interrupt while THR is empty interrupts at once. */
	if ((u->ier & IER_THRE) && !(old & IER_THRE))
		u->thre_pending = true;
}

static void write_fcr(struct uart16550 *u, uint8_t value)
{
	uint8_t fcr = (value & FCR_ENABLE) ? (value & FCR_STORED) : 0;

	/* Switching the FIFOs on or off resets them. */
	if ((fcr ^ u->fcr) & FCR_ENABLE)
		rx_clear(u);
	else if (value & FCR_CLEAR_RX)
		rx_clear(u);
	u->fcr = fcr;
	/* FCR_CLEAR_TX: the transmit FIFO is always empty already. */
	rx_fill(u);
}

static void write_mcr(struct uart16550 *u, uint8_t value)
{
	uint8_t before = msr_lines(u);

	u->mcr = value & 0x1f;
	u->msr_deltas |= msr_deltas(before, msr_lines(u));
	rx_fill(u);  /* leaving loopback reconnects the host input */
}

static void write_reg(struct uart16550 *u, uint16_t reg, uint8_t value)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_DATA:
		if (dlab)
			u->divisor = (uint16_t)((u->divisor & 0xff00) | value);
		else
			write_thr(u, value);
		break;
	case REG_IER:
		if (dlab)
			u->divisor = (uint16_t)((u->divisor & 0x00ff) | (value << 8));
		else
			write_ier(u, value);
		break;
	case REG_IIR:
		write_fcr(u, value);
		break;
	case REG_LCR:
		u->lcr = value;
		break;
	case REG_MCR:
		write_mcr(u, value);
		break;
	case REG_SCR:
		u->scr = value;
		break;
	default:  /* LSR, MSR: factory test writes, ignored */
		break;
	}
	update_irq(u);
}

/* ---- Register reads -------------------------------------------------------- */

static uint8_t read_rbr(struct uart16550 *u)
{
	uint8_t byte = rx_pop(u);

	rx_fill(u);
	return byte;
}

static uint8_t read_iir(struct uart16550 *u)
{
	uint8_t iir = iir_value(u);

	/* Reading IIR acknowledges a THR-empty interrupt it reports. */
	if ((iir & 0x0f) == IIR_THRE)
		u->thre_pending = false;
	return iir;
}

static uint8_t read_lsr(struct uart16550 *u)
{
	uint8_t lsr = u->lsr_errors | LSR_THRE | LSR_TEMT;

	if (u->rx_count)
		lsr |= LSR_DR;
	u->lsr_errors = 0;
	return lsr;
}

static uint8_t read_msr(struct uart16550 *u)
{
	uint8_t msr = msr_lines(u) | u->msr_deltas;

	u->msr_deltas = 0;
	return msr;
}

static uint8_t read_reg(struct uart16550 *u, uint16_t reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case REG_DATA:
		v = dlab ? (uint8_t)u->divisor : read_rbr(u);
		break;
	case REG_IER:
		v = dlab ? (uint8_t)(u->divisor >> 8) : u->ier;
		break;
	case REG_IIR:
		v = read_iir(u);
		break;
	case REG_LCR:
		v = u->lcr;
		break;
	case REG_MCR:
		v = u->mcr;
		break;
	case REG_LSR:
		v = read_lsr(u);
		break;
	case REG_MSR:
		v = read_msr(u);
		break;
	default:
		v = u->scr;
		break;
	}
	update_irq(u);
	return v;
}

/* ---- Bus glue and lifetime ------------------------------------------------- */

static uint8_t uart_read8(void *dev, uint16_t offset)
{
	struct uart16550 *u = dev;
	uint8_t v;

	pthread_mutex_lock(&u->lock);
	v = read_reg(u, offset);
	pthread_mutex_unlock(&u->lock);
	return v;
}

static void uart_write8(void *dev, uint16_t offset, uint8_t value)
{
	struct uart16550 *u = dev;

	pthread_mutex_lock(&u->lock);
	write_reg(u, offset, value);
	pthread_mutex_unlock(&u->lock);
}

static uint32_t uart_read(void *dev, uint16_t offset, unsigned size)
{
	return emul_read_bytes(uart_read8, dev, offset, size, UART16550_NR_PORTS);
}

static void uart_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	emul_write_bytes(uart_write8, dev, offset, size, value, UART16550_NR_PORTS);
}

static void drain_event_fd(int fd)
{
	uint64_t count;

	if (fd >= 0 && read(fd, &count, sizeof(count)) < 0) {
		/* EAGAIN: nothing signalled; anything else: nothing to do. */
	}
}

void uart16550_input_ready(struct uart16550 *u)
{
	pthread_mutex_lock(&u->lock);
	/* Drain first: input arriving after this signals the fd again. */
	drain_event_fd(u->input_fd);
	rx_fill(u);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static void uart_loop_ready(void *dev)
{
	uart16550_input_ready(dev);
}

static void uart_reset(struct uart16550 *u)
{
	u->divisor = UART16550_RESET_DIVISOR;
	u->ier = u->lcr = u->mcr = u->fcr = u->scr = 0;
	u->lsr_errors = u->msr_deltas = 0;
	u->thre_pending = false;
	u->raised = 0;
	rx_clear(u);
}

static int watch_input(struct uart16550 *u, struct emul_loop *loop)
{
	int flags;

	if (u->input_fd < 0)
		return 0;
	flags = fcntl(u->input_fd, F_GETFL);
	if (flags >= 0 && !(flags & O_NONBLOCK))
		fcntl(u->input_fd, F_SETFL, flags | O_NONBLOCK);
	if (!loop)
		return 0;
	u->watch = emul_loop_watch(loop, u->input_fd, uart_loop_ready, u);
	return u->watch ? 0 : -1;
}

struct uart16550 *uart16550_create(const struct uart16550_config *cfg)
{
	struct uart16550 *u;

	if (!cfg)
		return NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	if (cfg->irq) {
		u->irq = *cfg->irq;
		u->has_irq = true;
	}
	u->irq_nr = cfg->irq_nr;
	u->output = cfg->output;
	u->input = cfg->input;
	u->ctx = cfg->ctx;
	u->input_fd = cfg->input_event_fd;
	uart_reset(u);
	if (watch_input(u, cfg->loop) < 0) {
		uart16550_destroy(u);
		return NULL;
	}
	return u;
}

void uart16550_destroy(struct uart16550 *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}

void uart16550_region(struct uart16550 *u, uint16_t base, struct emul_pio_region *out)
{
	*out = (struct emul_pio_region){
		.name = "uart16550",
		.base = base,
		.len = UART16550_NR_PORTS,
		.read = uart_read,
		.write = uart_write,
		.dev = u,
	};
}

void uart16550_get_stats(struct uart16550 *u, struct uart16550_stats *out)
{
	pthread_mutex_lock(&u->lock);
	*out = u->stats;
	pthread_mutex_unlock(&u->lock);
}

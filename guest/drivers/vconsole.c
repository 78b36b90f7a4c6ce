/* vconsole.c: the virtio-console frontend: the kernel's console output
 * (stdout, stderr, pv_console_write) goes through the device's transmit
 * ring in chunks of up to VC_CHUNK bytes, and console input comes from its
 * receive ring (include/pvisor/io/virtio_console.h).
 *
 * Output is asynchronous: a write copies its bytes into free transmit
 * buffers, publishes them, and kicks only when the backend asked to be
 * kicked, so a busy writer costs almost no exits. One write's chunks are
 * published under one lock, so writes from different threads never
 * interleave. vconsole_flush() waits until the backend has taken every
 * byte (the kernel calls it before the domain ends).
 *
 * The driver starts itself at boot and becomes the kernel's console sink
 * (kernel/driver.h) when the device runs.
 *
 * Input buffers are posted on the first read, so a guest that never reads
 * never takes the terminal from the user. */
#include <errno.h>
#include <string.h>
#include <pv/device.h>
#include <pv/mm.h>
#include <pv/sync.h>
#include <pv/time.h>
#include <pvisor/io/virtio_console.h>
#include "kernel/driver.h"

#define VC_TX_QUEUE	256		/* chains in flight at most */
#define VC_TX_BYTES	(64u * 1024)	/* the transmit byte ring   */
#define VC_CHUNK	4096u		/* longest chain            */
#define VC_RX_SLOTS	8
#define VC_RX_BUF	512u
#define VC_SPIN_LIMIT	100000000ull	/* ns a writer in a handler may spin */

static struct pv_device dev;
static bool ready;
/* Output bytes live in a byte ring: chunk k takes tx_len[k] bytes (its
 * data plus any padding skipped to keep it contiguous) from tx_head on.
 * The backend returns chains in the order it took them, so freeing is
 * FIFO: a completion gives back the oldest chunk's bytes. */
static uint8_t *tx_buf;
static uint32_t tx_head, tx_bytes_used;
static uint32_t tx_len[VC_TX_QUEUE];
static unsigned tx_oldest, tx_in_flight;
static struct pv_mutex tx_lock;
static struct pv_sem tx_space;

static uint8_t *rx_buf;			/* VC_RX_SLOTS * VC_RX_BUF */
static bool rx_posted;
static struct pv_sem rx_ready;
/* The completed input chunk being consumed. */
static int rx_cur = -1;
static uint32_t rx_len, rx_off;

static void tx_event(unsigned int port, void *arg)
{
	(void)port;
	(void)arg;
	if (tx_space.count == 0)
		pv_sem_post(&tx_space);
}

static void rx_event(unsigned int port, void *arg)
{
	(void)port;
	(void)arg;
	if (rx_ready.count == 0)
		pv_sem_post(&rx_ready);
}

/* The kernel's console writes and reads through this once the device runs
 * (the end of this file). */
static const struct console_sink vconsole_sink;

/* A boot-time start (kernel/driver.h): starts the console device if there
 * is one; 0 or -errno. */
static int vconsole_init(void)
{
	const struct pv_device_queue_config qc[2] = {
		[PVISOR_VIRTIO_CONSOLE_RX] = { .size = 16, .handler = rx_event },
		[PVISOR_VIRTIO_CONSOLE_TX] = { .size = VC_TX_QUEUE, .handler = tx_event },
	};
	int index = pv_device_find(PVISOR_DEVICE_CONSOLE, 0), err;

	if (index < 0)
		return index;
	tx_buf = pv_pages_alloc(VC_TX_BYTES / PV_PAGE_SIZE);
	rx_buf = pv_pages_alloc(VC_RX_SLOTS * VC_RX_BUF / PV_PAGE_SIZE);
	if (!tx_buf || !rx_buf)
		return -ENOMEM;
	pv_mutex_init(&tx_lock);
	pv_sem_init(&tx_space, 0);
	pv_sem_init(&rx_ready, 0);
	err = pv_device_start(&dev, (unsigned)index, 1ull << PVISOR_VIRTIO_F_EVENT_IDX, 2, qc);
	if (err < 0)
		return err;
	ready = true;
	console_set_sink(&vconsole_sink);
	return 0;
}

static bool vconsole_ready(void)
{
	return ready && pv_device_status(dev.index) == PVISOR_DEVICE_S_RUNNING;
}

/* ---- Output ------------------------------------------------------------------ */

static struct pv_virtq *txq(void)
{
	return &dev.queues[PVISOR_VIRTIO_CONSOLE_TX].vq;
}

static void reclaim_tx(void)
{
	void *token;

	while ((token = pv_virtq_get_used(txq(), NULL))) {
		tx_bytes_used -= tx_len[tx_oldest];
		tx_oldest = (tx_oldest + 1) % VC_TX_QUEUE;
		tx_in_flight--;
	}
}

static bool can_sleep(void)
{
	return !sched_in_handler();
}

/* Bytes a chunk of n bytes at the head takes (padding to the ring's
 * start included), or 0 if the ring cannot take it now. */
static uint32_t tx_room(uint32_t n)
{
	uint32_t pad = tx_head + n > VC_TX_BYTES ? VC_TX_BYTES - tx_head : 0;

	if (tx_in_flight == VC_TX_QUEUE || tx_bytes_used + pad + n > VC_TX_BYTES)
		return 0;
	return pad + n;
}

/* Waits until the ring can take n more bytes. false if it cannot (device
 * broken, or spinning too long where we cannot sleep). */
static bool wait_tx(uint32_t n)
{
	uint64_t start = pv_clock_ns();

	for (;;) {
		reclaim_tx();
		if (tx_room(n) || txq()->broken)
			return !txq()->broken;
		if (pv_device_status(dev.index) != PVISOR_DEVICE_S_RUNNING)
			return false;
		if (can_sleep()) {
			if (pv_virtq_enable_cb(txq()))
				pv_sem_timedwait(&tx_space, pv_clock_ns() + 10000000ull);
			pv_virtq_disable_cb(txq());
		} else if (pv_clock_ns() - start > VC_SPIN_LIMIT) {
			return false;
		}
	}
}

/* Queues one chunk (tx_lock held); false if the ring is unusable. */
static bool send_chunk(const uint8_t *p, size_t n)
{
	struct pv_vq_buf buf;
	uint32_t take = tx_room((uint32_t)n);
	unsigned k = (tx_oldest + tx_in_flight) % VC_TX_QUEUE;

	if (!take) {
		if (!wait_tx((uint32_t)n))
			return false;
		take = tx_room((uint32_t)n);
		k = (tx_oldest + tx_in_flight) % VC_TX_QUEUE;
	}
	if (take > n)
		tx_head = 0;    /* skip the ring's tail: the chunk stays contiguous */
	memcpy(tx_buf + tx_head, p, n);
	buf.gpa = (uint64_t)(uintptr_t)(tx_buf + tx_head);
	buf.len = (uint32_t)n;
	if (pv_virtq_add(txq(), &buf, 1, 0, (void *)(uintptr_t)(k + 1)) < 0)
		return false;
	tx_len[k] = take;
	tx_head = (tx_head + (uint32_t)n) % VC_TX_BYTES;
	tx_bytes_used += take;
	tx_in_flight++;
	return true;
}

static long vconsole_write(const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t done = 0;

	if (!vconsole_ready())
		return -ENODEV;
	/* An event handler may have interrupted a writer: it must not wait
	 * for it, nor touch the ring under its feet. */
	if (can_sleep())
		pv_mutex_lock(&tx_lock);
	else if (pv_mutex_trylock(&tx_lock) != 0)
		return -EBUSY;
	pv_virtq_disable_cb(txq());
	reclaim_tx();
	while (done < len) {
		size_t n = len - done < VC_CHUNK ? len - done : VC_CHUNK;

		if (!send_chunk(p + done, n))
			break;
		done += n;
		/* Publish as we go, so a long write keeps the backend busy. */
		if (pv_virtq_publish(txq()))
			pv_device_kick(&dev, PVISOR_VIRTIO_CONSOLE_TX);
	}
	pv_mutex_unlock(&tx_lock);
	return done ? (long)done : -EIO;
}

static void vconsole_flush(void)
{
	uint64_t start = pv_clock_ns();

	if (!vconsole_ready() || pv_mutex_trylock(&tx_lock) != 0)
		return;
	while (tx_in_flight && pv_clock_ns() - start < VC_SPIN_LIMIT &&
	       pv_device_status(dev.index) == PVISOR_DEVICE_S_RUNNING)
		reclaim_tx();
	pv_mutex_unlock(&tx_lock);
}

/* ---- Input -------------------------------------------------------------------- */

static struct pv_virtq *rxq(void)
{
	return &dev.queues[PVISOR_VIRTIO_CONSOLE_RX].vq;
}

static void post_rx(int slot)
{
	struct pv_vq_buf buf = {
		.gpa = (uint64_t)(uintptr_t)(rx_buf + (size_t)slot * VC_RX_BUF),
		.len = VC_RX_BUF,
	};

	pv_virtq_add(rxq(), &buf, 0, 1, (void *)(uintptr_t)(slot + 1));
}

static void post_all_rx(void)
{
	for (int s = 0; s < VC_RX_SLOTS; s++)
		post_rx(s);
	rx_posted = true;
	if (pv_virtq_publish(rxq()))
		pv_device_kick(&dev, PVISOR_VIRTIO_CONSOLE_RX);
}

static bool input_closed(void)
{
	uint32_t closed = 0;

	pv_device_read_config(dev.index, offsetof(struct pvisor_virtio_console_config, input_closed),
			      &closed, sizeof(closed));
	return closed != 0;
}

/* Makes rx_cur the next completed input chunk; false if none yet. */
static bool next_rx_chunk(void)
{
	uint32_t len;
	void *token;

	while (rx_cur < 0) {
		token = pv_virtq_get_used(rxq(), &len);
		if (!token)
			return false;
		if (len == 0) {     /* nothing in it: give it straight back */
			post_rx((int)(uintptr_t)token - 1);
			continue;
		}
		rx_cur = (int)(uintptr_t)token - 1;
		rx_len = len;
		rx_off = 0;
	}
	return true;
}

static long vconsole_read_nonblock(void *buf, size_t len)
{
	size_t n;

	if (!vconsole_ready())
		return -ENODEV;
	if (!rx_posted)
		post_all_rx();
	if (!next_rx_chunk())
		return input_closed() && !next_rx_chunk() ? 0 : -EAGAIN;
	n = rx_len - rx_off < len ? rx_len - rx_off : len;
	memcpy(buf, rx_buf + (size_t)rx_cur * VC_RX_BUF + rx_off, n);
	rx_off += (uint32_t)n;
	if (rx_off == rx_len) {
		post_rx(rx_cur);
		rx_cur = -1;
		if (pv_virtq_publish(rxq()))
			pv_device_kick(&dev, PVISOR_VIRTIO_CONSOLE_RX);
	}
	return (long)n;
}

static long vconsole_read(void *buf, size_t len)
{
	for (;;) {
		long n = vconsole_read_nonblock(buf, len);

		if (n != -EAGAIN)
			return n;
		if (!pv_virtq_enable_cb(rxq()))
			continue;
		pv_sem_wait(&rx_ready);
	}
}

static const struct console_sink vconsole_sink = {
	.write = vconsole_write,
	.flush = vconsole_flush,
	.ready = vconsole_ready,
	.read = vconsole_read,
	.read_nonblock = vconsole_read_nonblock,
};

KERNEL_BOOT_START(vconsole_init);

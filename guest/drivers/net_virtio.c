/* net_virtio.c: the virtio-net frontend, the pv/net.h backend for NICs
 * listed on the device page (over pv/device.h and pv/virtq.h; net.c
 * dispatches to it through net_driver.h).
 *
 * Receive: the rx queue is kept full of page-sized, device-writable
 * buffers (one descriptor each). A frame arrives in one buffer, or with
 * MRG_RXBUF in several (the first one's header says how many); it is
 * copied out to the caller and its buffers go back to the device in one
 * publish per call. Transmit: each frame is copied behind a zeroed 12-byte
 * header into a free slot (2 KiB, one descriptor), the batch is published
 * once, and completed slots are reclaimed lazily by later sends.
 * Both queues run with device events off; a thread turns them on only
 * just before it sleeps, so the device raises an event only for a waiter.
 * Event handlers touch no ring: they post the waiter's semaphore. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pv/device.h>
#include <pv/events.h>
#include <pv/mm.h>
#include <pv/net.h>
#include <pv/sync.h>
#include <pv/thread.h>
#include <pv/time.h>
#include <pv/virtq.h>
#include <pvisor/io/virtio_net.h>
#include "net_driver.h"

#define FEATURE(bit)		(1ull << (bit))
#define NET_HDR			sizeof(struct pvisor_virtio_net_hdr)
#define RX_BUF_BYTES		PV_PAGE_SIZE
#define TX_SLOT_BYTES		2048u
#define TX_SLOTS_PER_PAGE	(PV_PAGE_SIZE / TX_SLOT_BYTES)
/* Chains one frame may span: 65550 + 12 bytes in 4 KiB buffers. */
#define RX_PARTS_MAX		((PVISOR_VIRTIO_NET_MAX_FRAME + NET_HDR + RX_BUF_BYTES - 1) / RX_BUF_BYTES)
/* While the device runs, a sleeping thread re-checks its status this often. */
#define WAIT_SLICE_NS		PV_NSEC_PER_SEC
/* Optional adaptive polling before sleeping (pv_net_config.poll_max_us,
 * as the backends do): a waiter spins up to its window for the device
 * before it turns events on and sleeps; the window grows while sleeps end
 * within the maximum and shrinks while they are longer. A sleep costs an
 * exit and a wakeup; a spin costs a CPU the host may need for the backend
 * (docs/net-frontend.md has the measurements), so it is off by default. */
#define POLL_NS_START		(10 * PV_NSEC_PER_USEC)
#define DEFAULT_MTU		1500u

_Static_assert(NET_HDR + PV_NET_HLEN + PV_NET_MTU_MAX <= TX_SLOT_BYTES, "a frame fits a tx slot");

#define WANTED_FEATURES                                                                         \
	(FEATURE(PVISOR_VIRTIO_NET_F_MRG_RXBUF) | FEATURE(PVISOR_VIRTIO_NET_F_MAC) |           \
	 FEATURE(PVISOR_VIRTIO_NET_F_STATUS) | FEATURE(PVISOR_VIRTIO_NET_F_MTU) |              \
	 FEATURE(PVISOR_VIRTIO_F_EVENT_IDX) | FEATURE(PVISOR_VIRTIO_F_INDIRECT_DESC))

/* A received buffer the device returned, waiting to be copied out. */
struct rx_part {
	uint8_t *buf;
	uint32_t len;
};

struct net_rx {
	struct pv_mutex lock;
	struct pv_sem wake;		/* posted by the rx event handler */
	uint64_t poll_ns;		/* current polling window          */
	uint8_t **bufs;			/* all buffers, for freeing       */
	uint8_t **refill;		/* returned to us, not yet re-added */
	unsigned nrefill;
	struct rx_part parts[RX_PARTS_MAX];	/* the frame being assembled */
	unsigned nparts, want_parts;
};

struct net_tx {
	struct pv_mutex lock;
	struct pv_sem wake;		/* posted by the tx event handler */
	uint64_t poll_ns;		/* current polling window          */
	uint8_t **pages;		/* slot pages, for freeing        */
	unsigned npages;
	uint8_t **free_slots;		/* stack of slots not in flight   */
	unsigned nfree;
};

struct net_virtio {
	struct pv_net base;		/* net.c's handle: first */
	struct pv_device dev;
	bool mrg;
	uint64_t poll_max_ns;		/* 0: never poll before sleeping */
	uint8_t mac[PV_NET_ALEN];
	unsigned mtu;
	struct net_rx rx;
	struct net_tx tx;
	struct pv_net_stats stats;
};

static struct net_virtio *to_vnet(struct pv_net *base)
{
	return (struct net_virtio *)base;
}

static const struct net_virtio *to_cvnet(const struct pv_net *base)
{
	return (const struct net_virtio *)base;
}

static struct pv_virtq *rx_vq(struct net_virtio *net)
{
	return &net->dev.queues[PVISOR_VIRTIO_NET_RX].vq;
}

static struct pv_virtq *tx_vq(struct net_virtio *net)
{
	return &net->dev.queues[PVISOR_VIRTIO_NET_TX].vq;
}

static bool has(const struct net_virtio *net, unsigned bit)
{
	return net->dev.features & FEATURE(bit);
}

/* The device stopped serving us (BROKEN), or broke a ring rule itself. */
static bool device_failed(struct net_virtio *net, struct pv_virtq *vq)
{
	return vq->broken || pv_device_status(net->dev.index) != PVISOR_DEVICE_S_RUNNING;
}

/* Publishes what was added to queue q and kicks if the device asked. */
static void publish(struct net_virtio *net, unsigned q, uint64_t *kicks)
{
	if (pv_virtq_publish(&net->dev.queues[q].vq)) {
		pv_device_kick(&net->dev, q);
		(*kicks)++;
	}
}

/* ---- Event handlers (upcall context: no rings, no locks) ------------------ */

static void rx_event(unsigned int port, void *arg)
{
	struct net_virtio *net = arg;

	(void)port;
	net->stats.rx_events++;
	pv_sem_post(&net->rx.wake);
}

static void tx_event(unsigned int port, void *arg)
{
	struct net_virtio *net = arg;

	(void)port;
	net->stats.tx_events++;
	pv_sem_post(&net->tx.wake);
}

/* Empties a semaphore of posts made while nobody waited. */
static void sem_drain(struct pv_sem *s)
{
	while (pv_sem_trywait(s) == 0)
		;
}

/* Has the device returned buffers we have not taken? (A peek: no barrier
 * beyond the acquire load, nothing taken.) */
static bool has_used(const struct pv_virtq *vq)
{
	return __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE) != vq->last_used_idx;
}

/* Spins, yielding to other threads, until the device returns buffers on
 * vq or ns pass; true if it did. */
static bool poll_for_used(const struct pv_virtq *vq, uint64_t ns)
{
	uint64_t end = pv_clock_ns() + ns;

	while (!has_used(vq)) {
		if (pv_clock_ns() >= end)
			return false;
		pv_thread_yield();
		__builtin_ia32_pause();
	}
	return true;
}

/* Grows the window after a sleep that polling up to max would have
 * avoided, shrinks it after a longer one (to 0: no polling). */
static void adapt_poll_window(uint64_t *window, uint64_t max, uint64_t slept_ns)
{
	if (max == 0)
		return;
	if (slept_ns <= max) {
		*window = *window ? *window * 2 : POLL_NS_START;
		if (*window > max)
			*window = max;
	} else {
		*window /= 2;
		if (*window < POLL_NS_START / 4)
			*window = 0;
	}
}

/* Waits until the device returns buffers on vq: polls for a while, then
 * sleeps on wake (events are on only meanwhile) until they come, the
 * deadline passes (0: none), or a status re-check is due. -ETIMEDOUT only
 * for the deadline. */
static int wait_for_used(struct pv_virtq *vq, struct pv_sem *wake, uint64_t *window,
			 uint64_t max_window, uint64_t deadline)
{
	uint64_t now = pv_clock_ns(), slice = now + WAIT_SLICE_NS, poll = *window;
	int rc = 0;

	if (deadline)	/* never poll past the deadline */
		poll = deadline <= now ? 0 : deadline - now < poll ? deadline - now : poll;
	if (poll && poll_for_used(vq, poll))
		return 0;
	sem_drain(wake);
	now = pv_clock_ns();
	if (pv_virtq_enable_cb(vq))
		rc = pv_sem_timedwait(wake, deadline && deadline < slice ? deadline : slice);
	pv_virtq_disable_cb(vq);
	adapt_poll_window(window, max_window, pv_clock_ns() - now);
	if (rc == -ETIMEDOUT && !(deadline && pv_clock_ns() >= deadline))
		rc = 0;
	return rc;
}

/* ---- Receive ---------------------------------------------------------------- */

static void rx_recycle(struct net_virtio *net, uint8_t *buf)
{
	net->rx.refill[net->rx.nrefill++] = buf;
}

/* Gives every returned buffer back to the device: one publish, a kick only
 * if the device asked. */
static void rx_refill(struct net_virtio *net)
{
	struct net_rx *rx = &net->rx;

	while (rx->nrefill) {
		uint8_t *buf = rx->refill[rx->nrefill - 1];
		struct pv_vq_buf b = { (uint64_t)(uintptr_t)buf, RX_BUF_BYTES };

		if (pv_virtq_add(rx_vq(net), &b, 0, 1, buf) < 0)
			break;
		rx->nrefill--;
	}
	publish(net, PVISOR_VIRTIO_NET_RX, &net->stats.rx_kicks);
}

static void rx_drop_parts(struct net_virtio *net)
{
	for (unsigned i = 0; i < net->rx.nparts; i++)
		rx_recycle(net, net->rx.parts[i].buf);
	net->rx.nparts = net->rx.want_parts = 0;
}

/* Starts a frame with its first buffer, or recycles the buffer if it
 * holds no frame or a header we cannot believe. */
static void rx_start_frame(struct net_virtio *net, uint8_t *buf, uint32_t len)
{
	const struct pvisor_virtio_net_hdr *h = (const void *)buf;
	unsigned want = 1;

	if (len == 0) {
		net->stats.rx_empty++;	/* the device dropped a frame */
		rx_recycle(net, buf);
		return;
	}
	if (net->mrg)
		want = __atomic_load_n(&h->num_buffers, __ATOMIC_RELAXED);
	if (len < NET_HDR || want == 0 || want > RX_PARTS_MAX || want > rx_vq(net)->size) {
		net->stats.rx_malformed++;
		rx_recycle(net, buf);
		return;
	}
	net->rx.parts[0] = (struct rx_part){ buf, len };
	net->rx.nparts = 1;
	net->rx.want_parts = want;
}

/* Takes used buffers until a whole frame is assembled: true when it is,
 * false when the device has returned no more yet. */
static bool rx_assemble(struct net_virtio *net)
{
	struct net_rx *rx = &net->rx;

	while (rx->nparts == 0 || rx->nparts < rx->want_parts) {
		uint32_t len;
		uint8_t *buf = pv_virtq_get_used(rx_vq(net), &len);

		if (!buf)
			return false;
		net->stats.rx_buffers++;
		if (rx->nparts == 0)
			rx_start_frame(net, buf, len);
		else
			rx->parts[rx->nparts++] = (struct rx_part){ buf, len };
	}
	return true;
}

/* Copies the assembled frame out (after the header) and recycles its
 * buffers. Returns its length, or 0 if it did not fit (dropped). */
static size_t rx_copy_out(struct net_virtio *net, uint8_t *out, size_t cap)
{
	struct net_rx *rx = &net->rx;
	size_t total = 0, off = 0;

	for (unsigned i = 0; i < rx->nparts; i++)
		total += rx->parts[i].len;
	total -= NET_HDR;
	if (total > cap) {
		net->stats.rx_oversize++;
		rx_drop_parts(net);
		return 0;
	}
	for (unsigned i = 0; i < rx->nparts; i++) {
		size_t skip = i == 0 ? NET_HDR : 0;

		memcpy(out + off, rx->parts[i].buf + skip, rx->parts[i].len - skip);
		off += rx->parts[i].len - skip;
	}
	rx_drop_parts(net);
	return total;
}

/* Fills frames[have .. n) with the frames already returned; the count. */
static unsigned rx_take(struct net_virtio *net, struct pv_net_frame *frames, unsigned have,
			unsigned n)
{
	while (have < n && rx_assemble(net)) {
		size_t len = rx_copy_out(net, frames[have].data, frames[have].cap);

		if (len == 0)
			continue;
		frames[have++].len = len;
		net->stats.rx_packets++;
		net->stats.rx_bytes += len;
	}
	return have;
}

static int rx_wait(struct net_virtio *net, uint64_t deadline)
{
	net->stats.rx_waits++;
	return wait_for_used(rx_vq(net), &net->rx.wake, &net->rx.poll_ns, net->poll_max_ns, deadline);
}

static uint64_t deadline_of(uint64_t timeout_ns)
{
	uint64_t now = pv_clock_ns();

	if (timeout_ns == PV_NET_FOREVER || timeout_ns > UINT64_MAX - now)
		return 0;
	return now + timeout_ns;
}

static int vnet_recv_batch(struct pv_net *base, struct pv_net_frame *frames, unsigned n,
			   uint64_t timeout_ns)
{
	struct net_virtio *net = to_vnet(base);
	uint64_t deadline = deadline_of(timeout_ns);
	unsigned got = 0;
	int rc = 0;

	if (!net || !frames || n == 0)
		return -EINVAL;
	pv_mutex_lock(&net->rx.lock);
	for (;;) {
		got = rx_take(net, frames, 0, n);
		rx_refill(net);
		if (got)
			break;
		if (device_failed(net, rx_vq(net))) {
			rc = -EIO;
			break;
		}
		if (timeout_ns == PV_NET_NOWAIT) {
			rc = -EAGAIN;
			break;
		}
		rc = rx_wait(net, deadline);
		if (rc < 0) {
			got = rx_take(net, frames, 0, n);	/* a last look */
			rx_refill(net);
			break;
		}
	}
	pv_mutex_unlock(&net->rx.lock);
	return got ? (int)got : rc;
}

/* ---- Transmit -------------------------------------------------------------- */

/* Takes back the slots of frames the device has sent. */
static void tx_reclaim(struct net_virtio *net)
{
	uint8_t *slot;

	while ((slot = pv_virtq_get_used(tx_vq(net), NULL)))
		net->tx.free_slots[net->tx.nfree++] = slot;
}

/* Takes a free slot. Completed slots are reclaimed only when none is
 * left (lazily: one pass over the used ring per ring's worth of frames);
 * if every slot is still in flight, publishes what was queued and waits
 * for the device to return some. */
static int tx_get_slot(struct net_virtio *net, uint8_t **slot)
{
	if (net->tx.nfree == 0)
		tx_reclaim(net);
	while (net->tx.nfree == 0) {
		if (device_failed(net, tx_vq(net)))
			return -EIO;
		publish(net, PVISOR_VIRTIO_NET_TX, &net->stats.tx_kicks);
		net->stats.tx_waits++;
		wait_for_used(tx_vq(net), &net->tx.wake, &net->tx.poll_ns, net->poll_max_ns, 0);
		tx_reclaim(net);
	}
	*slot = net->tx.free_slots[--net->tx.nfree];
	return 0;
}

static bool tx_len_valid(const struct net_virtio *net, size_t len)
{
	return len >= PV_NET_MIN_FRAME && len <= PV_NET_HLEN + net->mtu;
}

/* Copies one frame behind a zero header into a slot and adds it. */
static int tx_queue(struct net_virtio *net, const void *frame, size_t len)
{
	struct pv_vq_buf b;
	uint8_t *slot;
	int rc;

	if (!frame || !tx_len_valid(net, len))
		return -EINVAL;
	rc = tx_get_slot(net, &slot);
	if (rc < 0)
		return rc;
	memset(slot, 0, NET_HDR);
	memcpy(slot + NET_HDR, frame, len);
	b = (struct pv_vq_buf){ (uint64_t)(uintptr_t)slot, (uint32_t)(NET_HDR + len) };
	rc = pv_virtq_add(tx_vq(net), &b, 1, 0, slot);
	if (rc < 0) {
		net->tx.free_slots[net->tx.nfree++] = slot;
		return rc;
	}
	net->stats.tx_packets++;
	net->stats.tx_bytes += len;
	return 0;
}

static int vnet_send_batch(struct pv_net *base, const struct pv_net_frame *frames, unsigned n)
{
	struct net_virtio *net = to_vnet(base);
	unsigned sent = 0;
	int rc = 0;

	if (!net || (!frames && n))
		return -EINVAL;
	pv_mutex_lock(&net->tx.lock);
	while (sent < n) {
		rc = tx_queue(net, frames[sent].data, frames[sent].len);
		if (rc < 0)
			break;
		sent++;
	}
	publish(net, PVISOR_VIRTIO_NET_TX, &net->stats.tx_kicks);
	pv_mutex_unlock(&net->tx.lock);
	return sent ? (int)sent : rc;
}

/* ---- Buffers ----------------------------------------------------------------- */

static void rx_free_buffers(struct net_virtio *net, unsigned count)
{
	for (unsigned i = 0; i < count; i++)
		pv_pages_free(net->rx.bufs[i], 1);
	free(net->rx.bufs);
	free(net->rx.refill);
}

/* One page per rx entry, all handed to the device's queue at once. */
static int rx_alloc_buffers(struct net_virtio *net)
{
	unsigned size = rx_vq(net)->size;

	net->rx.bufs = calloc(size, sizeof(*net->rx.bufs));
	net->rx.refill = calloc(size, sizeof(*net->rx.refill));
	if (!net->rx.bufs || !net->rx.refill) {
		rx_free_buffers(net, 0);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < size; i++) {
		net->rx.bufs[i] = pv_pages_alloc(1);
		if (!net->rx.bufs[i]) {
			rx_free_buffers(net, i);
			return -ENOMEM;
		}
		rx_recycle(net, net->rx.bufs[i]);
	}
	return 0;
}

static void tx_free_slots(struct net_virtio *net)
{
	for (unsigned i = 0; i < net->tx.npages; i++)
		pv_pages_free(net->tx.pages[i], 1);
	free(net->tx.pages);
	free(net->tx.free_slots);
}

/* One slot per tx entry (so a slot always finds a descriptor). */
static int tx_alloc_slots(struct net_virtio *net)
{
	unsigned size = tx_vq(net)->size;
	unsigned pages = (size + TX_SLOTS_PER_PAGE - 1) / TX_SLOTS_PER_PAGE;

	net->tx.pages = calloc(pages, sizeof(*net->tx.pages));
	net->tx.free_slots = calloc(size, sizeof(*net->tx.free_slots));
	if (!net->tx.pages || !net->tx.free_slots) {
		tx_free_slots(net);
		return -ENOMEM;
	}
	for (; net->tx.npages < pages; net->tx.npages++) {
		uint8_t *page = pv_pages_alloc(1);

		if (!page) {
			tx_free_slots(net);
			return -ENOMEM;
		}
		net->tx.pages[net->tx.npages] = page;
		for (unsigned s = 0; s < TX_SLOTS_PER_PAGE && net->tx.nfree < size; s++)
			net->tx.free_slots[net->tx.nfree++] = page + s * TX_SLOT_BYTES;
	}
	return 0;
}

/* ---- Open and close ------------------------------------------------------------ */

static void read_config(struct net_virtio *net)
{
	struct pvisor_virtio_net_config cfg;

	pv_device_read_config(net->dev.index, 0, &cfg, sizeof(cfg));
	net->mrg = has(net, PVISOR_VIRTIO_NET_F_MRG_RXBUF);
	if (has(net, PVISOR_VIRTIO_NET_F_MAC)) {
		memcpy(net->mac, cfg.mac, PV_NET_ALEN);
	} else {
		static const uint8_t base[PV_NET_ALEN] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 };

		memcpy(net->mac, base, PV_NET_ALEN);
		net->mac[5] = (uint8_t)(net->mac[5] + net->dev.index);
	}
	net->mtu = DEFAULT_MTU;
	if (has(net, PVISOR_VIRTIO_NET_F_MTU) && cfg.mtu >= 68)
		net->mtu = cfg.mtu < PV_NET_MTU_MAX ? cfg.mtu : PV_NET_MTU_MAX;
}

static int start_device(struct net_virtio *net, unsigned index, const struct pv_net_config *cfg)
{
	struct pv_device_queue_config queues[2] = {
		[PVISOR_VIRTIO_NET_RX] = { .size = cfg->rx_size, .handler = rx_event, .arg = net },
		[PVISOR_VIRTIO_NET_TX] = { .size = cfg->tx_size, .handler = tx_event, .arg = net },
	};

	return pv_device_start(&net->dev, index, WANTED_FEATURES & ~cfg->features_off, 2, queues);
}

static struct net_virtio *net_alloc(void)
{
	struct net_virtio *net = calloc(1, sizeof(*net));

	if (!net)
		return NULL;
	pv_mutex_init(&net->rx.lock);
	pv_mutex_init(&net->tx.lock);
	pv_sem_init(&net->rx.wake, 0);
	pv_sem_init(&net->tx.wake, 0);
	return net;
}

static const struct pv_net_ops vnet_ops;

unsigned net_virtio_count(void)
{
	unsigned n = 0;

	while (pv_device_find(PVISOR_DEVICE_NET, n) >= 0)
		n++;
	return n;
}

int net_virtio_open(struct pv_net **netp, unsigned nth, const struct pv_net_config *cfg)
{
	static const struct pv_net_config defaults;
	int index = pv_device_find(PVISOR_DEVICE_NET, nth), rc;
	struct net_virtio *net;

	if (!netp)
		return -EINVAL;
	if (index < 0)
		return index;
	net = net_alloc();
	if (!net)
		return -ENOMEM;
	rc = start_device(net, (unsigned)index, cfg ? cfg : &defaults);
	if (rc < 0) {
		free(net);
		return rc;
	}
	read_config(net);
	net->poll_max_ns = (cfg ? cfg->poll_max_us : 0) * PV_NSEC_PER_USEC;
	rc = rx_alloc_buffers(net);
	if (rc == 0 && (rc = tx_alloc_slots(net)) < 0)
		rx_free_buffers(net, rx_vq(net)->size);
	if (rc < 0) {
		pv_device_reset(&net->dev);
		free(net);
		return rc;
	}
	pv_virtq_disable_cb(rx_vq(net));
	pv_virtq_disable_cb(tx_vq(net));
	rx_refill(net);
	net->base.ops = &vnet_ops;
	*netp = &net->base;
	return 0;
}

static void vnet_close(struct pv_net *base)
{
	struct net_virtio *net = to_vnet(base);

	if (pv_device_reset(&net->dev) < 0)
		return;		/* the device may still use the buffers: keep them */
	rx_free_buffers(net, rx_vq(net)->size);
	tx_free_slots(net);
	free(net);
}

/* ---- The device, counters ---------------------------------------------------------- */

static void vnet_mac(const struct pv_net *base, uint8_t mac[PV_NET_ALEN])
{
	memcpy(mac, to_cvnet(base)->mac, PV_NET_ALEN);
}

static unsigned vnet_mtu(const struct pv_net *base)
{
	return to_cvnet(base)->mtu;
}

static bool vnet_link_up(const struct pv_net *base)
{
	const struct net_virtio *net = to_cvnet(base);
	struct pvisor_virtio_net_config cfg;

	if (!has(net, PVISOR_VIRTIO_NET_F_STATUS))
		return true;
	pv_device_read_config(net->dev.index, 0, &cfg, sizeof(cfg));
	return cfg.status & PVISOR_VIRTIO_NET_S_LINK_UP;
}

static uint64_t vnet_features(const struct pv_net *base)
{
	return to_cvnet(base)->dev.features;
}

static unsigned vnet_device_index(const struct pv_net *base)
{
	return to_cvnet(base)->dev.index;
}

static void vnet_stats(const struct pv_net *base, struct pv_net_stats *out)
{
	*out = to_cvnet(base)->stats;
}

static const struct pv_net_ops vnet_ops = {
	.close = vnet_close,
	.mac = vnet_mac,
	.mtu = vnet_mtu,
	.link_up = vnet_link_up,
	.features = vnet_features,
	.device_index = vnet_device_index,
	.send_batch = vnet_send_batch,
	.recv_batch = vnet_recv_batch,
	.stats = vnet_stats,
};

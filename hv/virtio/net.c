/* net.c: the virtio-net backend (include/pvisor/io/virtio_net.h) over a
 * TAP device (hv/net/tap.h).
 *
 * Transmit: each chain is one frame after the driver's 12-byte header.
 * The backend writes it to the TAP with a header of its own (all zero: no
 * offloads), so nothing the guest put in its header reaches the host
 * kernel, and the frame itself goes from guest memory without a copy.
 * Receive: a frame is read from the TAP into a host buffer and copied into
 * one receive chain, or several with VIRTIO_NET_F_MRG_RXBUF. A frame that
 * does not fit waits (holding the chains it has) until the driver adds
 * more; a frame no chain could ever hold (without MRG_RXBUF) is dropped
 * and counted. Both directions are batched: many packets per kick and per
 * event. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <pvisor/io/virtio_net.h>

#include "core/domain.h"
#include "lib/log.h"
#include "net/net_spec.h"
#include "net/tap.h"
#include "virtio/bus.h"
#include "virtio/net.h"
#include "virtio/net_hdr.h"
#include "virtio/vdev.h"

#define NET_QUEUE_MAX  1024          /* measured: 256 starved host -> guest */
#define NET_BATCH      64            /* packets per direction per pass */
#define NET_HDR        sizeof(struct pvisor_virtio_net_hdr)
#define NET_MIN_FRAME  14            /* an Ethernet header */
#define NET_HELD_MAX   32            /* receive chains one frame may span */

struct net_dev {
	struct net_config cfg;
	int tap;
	bool mrg;                         /* MRG_RXBUF negotiated */
	/* The frame read from the TAP and not yet delivered. */
	uint8_t frame[NET_HDR + PVISOR_VIRTIO_NET_MAX_FRAME];
	size_t frame_len;                 /* 0: none; includes the header */
	struct vq_chain held[NET_HELD_MAX];
	unsigned nheld;
	uint64_t held_bytes;
	struct vq_chain chain;
	uint64_t rx_packets, tx_packets, rx_dropped, tx_dropped;
};

static void net_describe(struct vdev *dev, struct pvisor_device *e)
{
	struct net_dev *n = dev->priv;
	struct pvisor_virtio_net_config cfg = {
		.status = PVISOR_VIRTIO_NET_S_LINK_UP,
		.max_virtqueue_pairs = 1,
		.mtu = 1500,
	};

	memcpy(cfg.mac, n->cfg.mac, sizeof(cfg.mac));
	e->type = PVISOR_DEVICE_NET;
	e->nr_queues = 2;
	e->queues[PVISOR_VIRTIO_NET_RX].max_size = NET_QUEUE_MAX;
	e->queues[PVISOR_VIRTIO_NET_TX].max_size = NET_QUEUE_MAX;
	e->device_features = 1ull << PVISOR_VIRTIO_F_INDIRECT_DESC | 1ull << PVISOR_VIRTIO_F_EVENT_IDX |
			     1ull << PVISOR_VIRTIO_NET_F_MAC | 1ull << PVISOR_VIRTIO_NET_F_STATUS |
			     1ull << PVISOR_VIRTIO_NET_F_MTU | 1ull << PVISOR_VIRTIO_NET_F_MRG_RXBUF;
	memcpy(e->config, &cfg, sizeof(cfg));
}

static int net_start(struct vdev *dev)
{
	struct net_dev *n = dev->priv;

	n->mrg = dev->features & (1ull << PVISOR_VIRTIO_NET_F_MRG_RXBUF);
	n->frame_len = 0;
	n->nheld = 0;
	n->held_bytes = 0;
	return 0;
}

/* ---- Transmit ---------------------------------------------------------------- */

/* Writes one transmit chain to the TAP; false if the frame was dropped. */
static bool send_frame(struct net_dev *n, const struct vq_chain *c)
{
	static const struct pvisor_virtio_net_hdr zero_hdr;
	struct iovec iov[VQ_MAX_CHAIN + 1];
	uint64_t skip = NET_HDR, frame = c->readable_bytes - NET_HDR;
	int cnt = 1;

	iov[0] = (struct iovec){ (void *)&zero_hdr, NET_HDR };
	for (unsigned i = 0; i < c->nbufs; i++) {
		const struct vq_buf *b = &c->bufs[i];

		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		iov[cnt++] = (struct iovec){ (uint8_t *)b->host + skip, b->len - skip };
		skip = 0;
	}
	return writev(n->tap, iov, cnt) == (ssize_t)(NET_HDR + frame);
}

static int transmit(struct vdev *dev)
{
	struct net_dev *n = dev->priv;
	struct virtqueue *vq = &dev->queues[PVISOR_VIRTIO_NET_TX].vq;
	int done = 0, rc = 0;

	while (done < NET_BATCH && (rc = vq_pop(vq, &n->chain)) == 1) {
		const struct vq_chain *c = &n->chain;

		if (c->writable_bytes) {
			vdev_mark_broken(dev, "transmit chain has device-writable buffers");
			return -1;
		}
		if (c->readable_bytes < NET_HDR + NET_MIN_FRAME ||
		    c->readable_bytes > NET_HDR + PVISOR_VIRTIO_NET_MAX_FRAME || !send_frame(n, c))
			n->tx_dropped++;
		else
			n->tx_packets++;
		vq_push(vq, c->head, 0);
		done++;
	}
	if (rc < 0) {
		vdev_mark_broken(dev, vq_broken_reason(vq));
		return -1;
	}
	if (done)
		vdev_notify(dev, PVISOR_VIRTIO_NET_TX);
	return done;
}

/* ---- Receive ------------------------------------------------------------------ */

/* Reads the next frame from the TAP into n->frame; false if none. */
static bool read_frame(struct net_dev *n)
{
	ssize_t len = read(n->tap, n->frame, sizeof(n->frame));

	if (len < 0) {
		if (errno != EAGAIN && errno != EINTR)
			n->rx_dropped++;
		return false;
	}
	if (len < (ssize_t)(NET_HDR + NET_MIN_FRAME)) {
		n->rx_dropped++;   /* a runt: nothing to deliver, look for the next */
		return false;
	}
	n->frame_len = (size_t)len;
	return true;
}

/* Copies frame bytes into one chain's writable buffers; returns the count. */
static uint32_t fill_chain(const struct vq_chain *c, const uint8_t *src, size_t len)
{
	uint32_t off = 0;

	for (unsigned i = 0; i < c->nbufs && off < len; i++) {
		const struct vq_buf *b = &c->bufs[i];
		size_t take = len - off < b->len ? len - off : b->len;

		memcpy(b->host, src + off, take);
		off += (uint32_t)take;
	}
	return off;
}

/* Takes receive chains until the frame fits. 1: it fits; 0: wait for the
 * driver; -1: broken. */
static int gather_chains(struct vdev *dev, struct net_dev *n, struct virtqueue *vq)
{
	while (n->held_bytes < n->frame_len) {
		struct vq_chain *c;
		int rc;

		if (n->nheld == (n->mrg ? NET_HELD_MAX : 1u))
			return 1;   /* will not fit: deliver truncated as a drop */
		c = &n->held[n->nheld];
		rc = vq_pop(vq, c);
		if (rc < 0) {
			vdev_mark_broken(dev, vq_broken_reason(vq));
			return -1;
		}
		if (rc == 0)
			return 0;
		/* nbufs 0: only zero-length descriptors, nothing to write into. */
		if (c->readable_bytes || c->nbufs == 0 || c->bufs[0].len < NET_HDR) {
			vdev_mark_broken(dev, "receive chain must be writable, its first buffer at least "
					      "12 bytes");
			return -1;
		}
		n->nheld++;
		n->held_bytes += c->writable_bytes;
	}
	return 1;
}

/* Delivers the held frame into the held chains (or drops it). */
static void deliver(struct vdev *dev, struct net_dev *n, struct virtqueue *vq)
{
	struct pvisor_virtio_net_hdr *h = (void *)n->frame;
	size_t off = 0;
	unsigned used = 0;

	if (n->held_bytes < n->frame_len) {
		n->rx_dropped++;
		for (unsigned i = 0; i < n->nheld; i++)
			vq_push(vq, n->held[i].head, 0);
		used = n->nheld;
	} else {
		memset(h, 0, NET_HDR);
		while (off < n->frame_len)
			off += fill_chain(&n->held[used++], n->frame + off, n->frame_len - off);
		/* The header went into the first chain; now say how many followed
		 * (the guest's buffer may start at any byte). */
		net_hdr_set_num_buffers(n->held[0].bufs[0].host, (uint16_t)used);
		off = 0;
		for (unsigned i = 0; i < used; i++) {
			uint64_t len = n->held[i].writable_bytes;

			if (len > n->frame_len - off)
				len = n->frame_len - off;
			vq_push(vq, n->held[i].head, (uint32_t)len);
			off += len;
		}
		for (unsigned i = used; i < n->nheld; i++)
			vq_push(vq, n->held[i].head, 0);
		n->rx_packets++;
	}
	n->nheld = 0;
	n->held_bytes = 0;
	n->frame_len = 0;
}

static int receive(struct vdev *dev)
{
	struct net_dev *n = dev->priv;
	struct virtqueue *vq = &dev->queues[PVISOR_VIRTIO_NET_RX].vq;
	int done = 0, rc;

	while (done < NET_BATCH) {
		if (!n->frame_len && (!vq_more_avail(vq) && !n->nheld))
			break;          /* no buffers: leave frames in the TAP */
		if (!n->frame_len && !read_frame(n))
			break;
		rc = gather_chains(dev, n, vq);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		deliver(dev, n, vq);
		done++;
	}
	if (done)
		vdev_notify(dev, PVISOR_VIRTIO_NET_RX);
	return done;
}

static int net_process(struct vdev *dev)
{
	return vdev_process_pair(dev, transmit, receive);
}

/* Receive buffers are work only while the backend waits for them (a frame
 * is held, or there are none, so the TAP is not being read). */
static bool net_want_kick(struct vdev *dev, unsigned q)
{
	struct net_dev *n = dev->priv;

	return q == PVISOR_VIRTIO_NET_TX || n->frame_len ||
	       !vq_more_avail(&dev->queues[PVISOR_VIRTIO_NET_RX].vq);
}

/* Watch the TAP only while there is somewhere to put a frame. */
static bool net_want_fd(struct vdev *dev, unsigned w)
{
	struct net_dev *n = dev->priv;

	return !n->frame_len && vq_more_avail(&dev->queues[PVISOR_VIRTIO_NET_RX].vq);
}

static void net_reset(struct vdev *dev)
{
	struct net_dev *n = dev->priv;

	n->frame_len = 0;
	n->nheld = 0;
	n->held_bytes = 0;
}

static void net_add_io(struct vdev *dev, struct domain_io *io)
{
	struct net_dev *n = dev->priv;

	io->net_packets += __atomic_load_n(&n->rx_packets, __ATOMIC_RELAXED) +
			   __atomic_load_n(&n->tx_packets, __ATOMIC_RELAXED);
}

static void net_print_stats(struct vdev *dev, FILE *out)
{
	struct net_dev *n = dev->priv;

	fprintf(out, "    %s: rx %llu packets (%llu dropped), tx %llu packets (%llu dropped)\n",
		n->cfg.ifname, (unsigned long long)n->rx_packets, (unsigned long long)n->rx_dropped,
		(unsigned long long)n->tx_packets, (unsigned long long)n->tx_dropped);
}

static void net_destroy(struct vdev *dev)
{
	struct net_dev *n = dev->priv;

	tap_close(n->tap);
	free(n);
}

static const struct vdev_ops net_ops = {
	.name = "net",
	.describe = net_describe,
	.start = net_start,
	.process = net_process,
	.want_fd = net_want_fd,
	.want_kick = net_want_kick,
	.reset = net_reset,
	.print_stats = net_print_stats,
	.add_io = net_add_io,
	.destroy = net_destroy,
};

static struct vdev *net_make(struct domain *d, unsigned index, const void *arg)
{
	struct net_dev *n = calloc(1, sizeof(*n));
	struct vdev *dev;
	char err[256];

	if (!n) {
		log_error("out of memory creating a network device");
		return NULL;
	}
	n->cfg = *(const struct net_config *)arg;
	n->tap = tap_open(n->cfg.ifname, err, sizeof(err));
	if (n->tap < 0) {
		log_error("--net tap=%s: %s", n->cfg.ifname, err);
		free(n);
		return NULL;
	}
	dev = vdev_create(d, index, &net_ops, n);
	if (!dev) {
		tap_close(n->tap);
		free(n);
		return NULL;
	}
	vdev_watch_fd(dev, n->tap);
	return dev;
}

static int virtio_net_attach(struct domain *d, const void *arg)
{
	return virtio_bus_add(d, net_make, arg);
}

const struct device_type virtio_net_device = { "virtio-net", virtio_net_attach };

/* fuzz_netreq.c: fuzzes the virtio-net device (hv/virtio/net.c, linked
 * unchanged) against a guest that offers any transmit and receive chains,
 * over a fake TAP: one end of a socket pair of packets (this file stands
 * in for hv/net/tap.c), whose other end the harness reads and writes, and
 * a fake device framework (fake_vdev.c).
 *
 * The input:
 *   [0]      bit 0: MRG_RXBUF negotiated; bit 1: INDIRECT_DESC
 *   [1]      frames the host sends (% 9), each: le16 length (header
 *            included; short ones are runts), u8 n and n bytes of content
 *            (the rest a pattern)
 *   then     u8 transmit chains (% 65), the transmit queue's chains, then
 *            the receive queue's (fake_vdev.h)
 * The device is served until it has nothing left. A model of the protocol
 * (include/pvisor/io/virtio_net.h) predicts what reaches the TAP and
 * where each received frame goes: every transmit chain of a valid size
 * arrives as exactly one packet, a zero header and the chain's bytes
 * after its 12-byte header, in order, and no other packet does; a
 * transmit chain with a writable buffer breaks the device; each received
 * frame fills the next receive chain (or up to 32 with MRG_RXBUF) with
 * a header that is zero but num_buffers and then the frame, used lengths
 * exactly the bytes written, or is dropped with the chains it took
 * returned empty; a receive chain with a readable buffer or a first
 * buffer under 12 bytes breaks the device. Guest RAM changes only in the
 * writable buffers of the chains and the used rings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pvisor/io/virtio_net.h>

#include "fake_vdev.h"
#include "net/net_spec.h"
#include "net/tap.h"
#include "virtio/net.h"

#define NET_HDR      sizeof(struct pvisor_virtio_net_hdr)
#define MIN_PACKET   (NET_HDR + 14)
#define MAX_PACKET   (NET_HDR + PVISOR_VIRTIO_NET_MAX_FRAME)
#define MAX_FRAMES   8u
#define HELD_MAX     32u
#define SOCK_BUF     (4 << 20)

#define F_MRG        0x01
#define F_INDIRECT   0x02

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- The fake TAP (tap.h) ------------------------------------------------------------ */

static int tap_pair[2] = { -1, -1 };   /* [0] the device's, [1] the host's */

static void big_buffers(int fd)
{
	int n = SOCK_BUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &n, sizeof(n)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof(n));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &n, sizeof(n)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &n, sizeof(n));
}

int tap_open(const char *ifname, char *err, size_t errlen)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, tap_pair) < 0)
		abort();
	big_buffers(tap_pair[0]);
	big_buffers(tap_pair[1]);
	return tap_pair[0];
}

void tap_close(int fd)
{
	close(fd);
	close(tap_pair[1]);
}

/* The next packet at one end of the pair, into packet[]: its length, or
 * -1 when there is none. */
static uint8_t packet[MAX_PACKET + 1];

static ssize_t next_packet(int fd)
{
	return recv(fd, packet, sizeof(packet), MSG_DONTWAIT);
}

/* ---- Frames the host sends ------------------------------------------------------------ */

struct frame {
	uint32_t len;
	uint32_t at;                 /* in frame_bytes */
};

static struct frame frames[MAX_FRAMES];
static unsigned nframes;
static uint8_t frame_bytes[MAX_FRAMES * MAX_PACKET];

static void read_frames(struct fake_input *in)
{
	uint32_t at = 0;

	nframes = fake_u8(in) % (MAX_FRAMES + 1);
	for (unsigned f = 0; f < nframes; f++) {
		uint32_t len = fake_le16(in), n = fake_u8(in);

		frames[f] = (struct frame){ len, at };
		for (uint32_t i = 0; i < len; i++)
			frame_bytes[at + i] = (uint8_t)(i * 13 + f);
		for (uint32_t i = 0; i < n; i++) {
			uint8_t b = fake_u8(in);

			if (i < len)
				frame_bytes[at + i] = b;
		}
		at += len;
	}
}

static void send_frames(void)
{
	for (unsigned f = 0; f < nframes; f++)
		if (send(tap_pair[1], frame_bytes + frames[f].at, frames[f].len, MSG_DONTWAIT) !=
		    (ssize_t)frames[f].len)
			abort();
}

/* ---- What the TAP received -------------------------------------------------------------- */

static uint8_t sent[FAKE_RAM_SIZE + FAKE_QUEUE_SIZE * NET_HDR];
static uint32_t sent_len[FAKE_QUEUE_SIZE];
static unsigned nsent;
static uint32_t sent_bytes;

/* Takes every packet the device wrote to the TAP since the last call. */
static void collect_sent(void)
{
	ssize_t n;

	while ((n = next_packet(tap_pair[1])) >= 0) {
		if (nsent == FAKE_QUEUE_SIZE || (size_t)n > sizeof(sent) - sent_bytes)
			abort();   /* more packets or bytes than the chains held */
		memcpy(sent + sent_bytes, packet, (size_t)n);
		sent_len[nsent++] = (uint32_t)n;
		sent_bytes += (uint32_t)n;
	}
	if (errno != EAGAIN)
		abort();
}

/* ---- Transmit: the model and its check --------------------------------------------------- */

/* How many transmit chains the device takes before one breaks it, and
 * the packets the TAP must have got from them, in order. */
static unsigned check_transmit(const struct fake_queue *q)
{
	static uint8_t want[sizeof(sent)];
	uint32_t off = 0, k = 0;
	unsigned c;

	for (c = 0; c < q->nchains; c++) {
		const struct fake_chain *ch = &q->chains[c];
		uint64_t r = fake_chain_bytes(ch, false);

		if (fake_chain_bytes(ch, true))
			break;
		if (r < MIN_PACKET || r > MAX_PACKET)
			continue;
		if (k == nsent || sent_len[k] != r)
			abort();   /* a packet missing, or not the chain's size */
		memset(want, 0, NET_HDR);
		if (!fake_chain_read(ch, NET_HDR, want + NET_HDR, r - NET_HDR) ||
		    memcmp(sent + off, want, r))
			abort();   /* the TAP got other bytes than the chain's frame */
		off += (uint32_t)r;
		k++;
	}
	if (k != nsent)
		abort();   /* a packet no chain asked for */
	return c;
}

/* Every taken transmit chain is used once, in order, with length 0. */
static void check_tx_used(const struct fake_queue *q, unsigned taken)
{
	if (fake_used_count(q) != taken)
		abort();
	for (unsigned i = 0; i < taken; i++) {
		uint32_t id, len;

		fake_used_entry(q, i, &id, &len);
		if (id != q->chains[i].head || len != 0)
			abort();
	}
}

/* ---- Receive: the model ------------------------------------------------------------------- */

/* A receive chain the device returns: its length, and for a delivered
 * frame which one, where in it this chain starts and how many chains it
 * took (frame -1: dropped, returned empty). */
struct rx_use {
	unsigned chain;
	uint32_t len;
	int frame;
	uint32_t at;
	uint16_t nbufs;
};

static struct rx_use rx_used[FAKE_QUEUE_SIZE];
static unsigned nrx_used;
static uint8_t stream[MAX_PACKET];

static bool rx_chain_ok(const struct fake_chain *c)
{
	for (unsigned i = 0; i < c->nsegs; i++)
		if (c->segs[i].len)
			return c->segs[i].writable && c->segs[i].len >= NET_HDR;
	return false;
}

/* Takes chains for a frame of len bytes from *next on: how many (0: it
 * waits for more); -1 when one breaks the device. */
static int take_chains(const struct fake_queue *q, unsigned *next, uint32_t len, bool mrg,
		       uint64_t *held)
{
	unsigned taken = 0;

	*held = 0;
	while (*held < len && taken < (mrg ? HELD_MAX : 1u)) {
		if (*next == q->nchains)
			return 0;
		if (!rx_chain_ok(&q->chains[*next]))
			return -1;
		*held += fake_chain_bytes(&q->chains[(*next)++], true);
		taken++;
	}
	return (int)taken;
}

/* Returns whether the receive chains break the device; fills rx_used. */
static bool model_receive(const struct fake_queue *q, bool mrg)
{
	unsigned next = 0;

	nrx_used = 0;
	for (unsigned f = 0; f < nframes; f++) {
		uint32_t len = frames[f].len, left = len;
		unsigned first = next;
		uint64_t held;
		int taken;

		if (len < MIN_PACKET)
			continue;                  /* a runt: read and dropped */
		if (next == q->nchains)
			break;                     /* no buffers: left in the TAP */
		taken = take_chains(q, &next, len, mrg, &held);
		if (taken <= 0)
			return taken < 0;
		for (unsigned c = first; c < next; c++) {
			uint64_t w = fake_chain_bytes(&q->chains[c], true);
			uint32_t n = held < len ? 0 : (uint32_t)(w < left ? w : left);

			rx_used[nrx_used++] = (struct rx_use){ c, n, held < len ? -1 : (int)f, len - left,
							       (uint16_t)taken };
			left -= n;
		}
	}
	return false;
}

/* The bytes a delivered frame puts into its chains: a zero header but
 * num_buffers, then the frame. */
static void expected_stream(unsigned f, uint16_t nbufs)
{
	memcpy(stream, frame_bytes + frames[f].at, frames[f].len);
	memset(stream, 0, NET_HDR);
	memcpy(stream + offsetof(struct pvisor_virtio_net_hdr, num_buffers), &nbufs, sizeof(nbufs));
}

/* Compares the first len writable bytes of chain c with want. */
static void check_chain_bytes(const struct fake_chain *c, const uint8_t *want, uint32_t len)
{
	for (unsigned i = 0; i < c->nsegs && len; i++) {
		const struct fake_seg *s = &c->segs[i];
		uint32_t n = s->len < len ? s->len : len;

		if (!s->writable)
			continue;
		if (memcmp(fake_guest.ram + s->gpa, want, n))
			abort();   /* a received frame landed wrong */
		want += n;
		len -= n;
	}
}

/* The used receive entries and the bytes in their chains against the model. */
static void check_rx_used(const struct fake_queue *q)
{
	if (fake_used_count(q) != nrx_used)
		abort();
	for (unsigned i = 0; i < nrx_used; i++) {
		const struct rx_use *e = &rx_used[i];
		uint32_t id, len;

		fake_used_entry(q, i, &id, &len);
		if (id != q->chains[e->chain].head || len != e->len)
			abort();
		if (e->frame < 0)
			continue;
		expected_stream((unsigned)e->frame, e->nbufs);
		check_chain_bytes(&q->chains[e->chain], stream + e->at, e->len);
	}
}

/* ---- One run ------------------------------------------------------------------------------ */

/* The device: made once (it holds a 64 KiB frame and 32 chains), started
 * afresh for each run as a guest restarts it. */
static struct vdev *device(uint8_t flags)
{
	static struct net_config cfg = { .ifname = "fuzz0" };
	static struct vdev *dev;

	if (!dev)
		dev = fake_vdev_attach(&virtio_net_device, &cfg);
	dev->ops->reset(dev);
	dev->broken = false;
	while (next_packet(tap_pair[0]) >= 0 || next_packet(tap_pair[1]) >= 0)
		;   /* what the last run left in the TAP */
	dev->features = 0;
	if (flags & F_MRG)
		dev->features |= 1ull << PVISOR_VIRTIO_NET_F_MRG_RXBUF;
	if (flags & F_INDIRECT)
		dev->features |= 1ull << PVISOR_VIRTIO_F_INDIRECT_DESC;
	return dev;
}

static void serve(struct vdev *dev)
{
	nsent = 0;
	sent_bytes = 0;
	for (unsigned pass = 0; pass < 2 * FAKE_QUEUE_SIZE + MAX_FRAMES; pass++) {
		int rc = dev->ops->process(dev);

		collect_sent();
		if (rc < 0)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake_input in = { data, size, 0 };
	static struct fake_queue tx, rx;
	const struct fake_queue *qs[2] = { &tx, &rx };
	uint8_t flags = fake_u8(&in);
	struct vdev *dev = device(flags);
	unsigned taken;
	bool rx_breaks;

	fake_guest_reset();
	read_frames(&in);
	fake_queue_rings(&tx);
	fake_queue_rings(&rx);
	fake_queue_build(&tx, &in, fake_u8(&in) % (FAKE_QUEUE_SIZE + 1), flags & F_INDIRECT);
	fake_queue_build(&rx, &in, FAKE_QUEUE_SIZE, flags & F_INDIRECT);
	fake_guest_snapshot();
	fake_queue_attach(dev, PVISOR_VIRTIO_NET_RX, &rx, dev->features);
	fake_queue_attach(dev, PVISOR_VIRTIO_NET_TX, &tx, dev->features);
	if (dev->ops->start(dev) != 0)
		abort();
	send_frames();
	serve(dev);

	fake_check_writes(qs, 2);
	taken = check_transmit(&tx);
	check_tx_used(&tx, taken);
	if (taken < tx.nchains) {
		if (!dev->broken || fake_used_count(&rx))
			abort();   /* a bad transmit chain stops the device */
		return 0;
	}
	rx_breaks = model_receive(&rx, flags & F_MRG);
	if (dev->broken != rx_breaks)
		abort();
	check_rx_used(&rx);
	return 0;
}

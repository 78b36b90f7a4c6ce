/* pv/net.h: the network frontend: sending and receiving Ethernet frames
 * on a pvisor virtio-net device (include/pvisor/io/virtio_net.h; the host
 * half is a TAP device, `pvisor run --net tap=NAME`). docs/net-frontend.md
 * explains the design and what it costs.
 *
 *	struct pv_net *net;
 *	uint8_t frame[PV_NET_FRAME_MAX];
 *	if (pv_net_open(&net, 0) == 0) {
 *		pv_net_send(net, reply, reply_len);
 *		int len = pv_net_recv(net, frame, sizeof(frame), PV_NET_FOREVER);
 *	}
 *
 * Frames are plain Ethernet frames (destination MAC first, no FCS, no
 * virtio-net header: the driver adds and strips it). Sending copies the
 * frame, so it may live anywhere (a thread stack, a string literal);
 * receiving copies into the caller's buffer. Many frames travel per kick
 * and per event both ways: use the batch calls where there are many.
 *
 * Threads: one thread may send while another receives (each direction has
 * its own lock, so several senders or several receivers also work, one at
 * a time). Receiving blocks on the device's event, whose handler only
 * wakes the waiting thread. Not for event handlers (the calls take locks).
 *
 * Functions returning int return 0, a count or a length, or a negative
 * errno value: -ENODEV (no such device), -ENOMEM, -EINVAL (bad
 * arguments), -EAGAIN (nothing to receive now), -ETIMEDOUT, and -EIO when
 * the device stopped (it found a rule broken, or the driver found the
 * device breaking one): close the device and open it again. */
#ifndef PV_NET_H
#define PV_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PV_NET_ALEN		6
#define PV_NET_HLEN		14			/* Ethernet header */
#define PV_NET_MIN_FRAME	PV_NET_HLEN		/* shortest frame sent */
/* The longest frame pv_net_send() takes is PV_NET_HLEN + the device's MTU
 * (pv_net_mtu(); 1500 unless the device says otherwise, at most
 * PV_NET_MTU_MAX). Received frames may be longer when the host's side of
 * the link has a larger MTU (up to PV_NET_RECV_MAX with MRG_RXBUF). */
#define PV_NET_MTU_MAX		2018u
#define PV_NET_FRAME_MAX	(PV_NET_HLEN + 1500u)	/* at the usual MTU */
#define PV_NET_RECV_MAX		65550u

/* Timeouts for pv_net_recv*(). */
#define PV_NET_NOWAIT		((uint64_t)0)
#define PV_NET_FOREVER		UINT64_MAX

struct pv_net;

/* What pv_net_open_with() may change; zero-filled = the defaults. */
struct pv_net_config {
	uint16_t rx_size;	/* receive queue entries (0: the device's most) */
	uint16_t tx_size;	/* transmit queue entries (0: the device's most) */
	uint32_t poll_max_us;	/* spin up to this long (adaptive) for the
				 * device before sleeping; 0: never. Cuts a
				 * round trip's wakeup where the host has CPU
				 * to spare, costs one where it has not. */
	uint64_t features_off;	/* virtio feature bits not to negotiate (tests) */
};

/* Opens the nth (from 0) network device: negotiates VERSION_1, MRG_RXBUF,
 * MAC, STATUS, MTU, EVENT_IDX and INDIRECT_DESC (whichever the device
 * offers), fills the receive queue and starts the device. *netp is the
 * handle for the other calls. -ENODEV, -EBUSY (already open), -ENOMEM, or
 * the hypervisor's error. */
int pv_net_open(struct pv_net **netp, unsigned nth);
int pv_net_open_with(struct pv_net **netp, unsigned nth, const struct pv_net_config *cfg);

/* Stops the device and frees everything; frames in flight are lost. No
 * thread may be using net. */
void pv_net_close(struct pv_net *net);

/* ---- The device ------------------------------------------------------------ */

/* The device's MAC address (the device's, or 52:54:00:00:00:01 + the
 * device index if it offers none). */
void pv_net_mac(const struct pv_net *net, uint8_t mac[PV_NET_ALEN]);

/* The link MTU: the device's (VIRTIO_NET_F_MTU), else 1500. */
unsigned pv_net_mtu(const struct pv_net *net);

/* Is the link up? (Always, without VIRTIO_NET_F_STATUS.) */
bool pv_net_link_up(const struct pv_net *net);

/* The negotiated virtio feature bits. */
uint64_t pv_net_features(const struct pv_net *net);

/* Index of the device on the device page. */
unsigned pv_net_device_index(const struct pv_net *net);

/* ---- Sending ------------------------------------------------------------------ */

/* One frame for the batch calls. Send: data and len. Receive: data and
 * cap (the buffer's size); the call sets len. */
struct pv_net_frame {
	void *data;
	size_t cap;
	size_t len;
};

/* Queues one frame (PV_NET_MIN_FRAME .. PV_NET_HLEN + MTU bytes) and
 * notifies the device if it asked to be. Waits while all transmit slots
 * are in flight. 0, -EINVAL (length) or -EIO. */
int pv_net_send(struct pv_net *net, const void *frame, size_t len);

/* Queues frames[0 .. n) with one notification at most per ring-full
 * (usually one for the whole batch, often none while the device polls).
 * Waits for slots as pv_net_send() does. Returns n, or a negative errno if
 * the first frame could not be queued; frames before an error that came
 * later are sent, and the count of them is returned. */
int pv_net_send_batch(struct pv_net *net, const struct pv_net_frame *frames, unsigned n);

/* ---- Receiving ---------------------------------------------------------------- */

/* Copies the next received frame into buf and returns its length.
 * timeout_ns: PV_NET_NOWAIT returns -EAGAIN at once when none is there,
 * PV_NET_FOREVER waits without limit, else -ETIMEDOUT after that long.
 * A frame longer than cap is discarded and counted (rx_oversize); the call
 * goes on with the next one, so give it PV_NET_FRAME_MAX bytes (more if
 * the host side may send larger frames). */
int pv_net_recv(struct pv_net *net, void *buf, size_t cap, uint64_t timeout_ns);

/* pv_net_recv(net, buf, cap, PV_NET_NOWAIT). */
int pv_net_poll(struct pv_net *net, void *buf, size_t cap);

/* Receives up to n frames: waits (as pv_net_recv) for the first one, then
 * takes the others that are already there. Returns the count (>= 1), or
 * -EAGAIN / -ETIMEDOUT / -EIO / -EINVAL. */
int pv_net_recv_batch(struct pv_net *net, struct pv_net_frame *frames, unsigned n,
		      uint64_t timeout_ns);

/* ---- Counters ------------------------------------------------------------------- */

struct pv_net_stats {
	uint64_t tx_packets, tx_bytes;	/* frames queued (bytes without header) */
	uint64_t tx_kicks;		/* doorbell writes for the tx queue      */
	uint64_t tx_waits;		/* times a sender waited for a free slot */
	uint64_t tx_events;		/* tx-queue events from the device       */
	uint64_t rx_packets, rx_bytes;	/* frames handed to callers              */
	uint64_t rx_kicks;		/* doorbell writes for the rx queue      */
	uint64_t rx_waits;		/* times a receiver slept                */
	uint64_t rx_events;		/* rx-queue events from the device       */
	uint64_t rx_buffers;		/* receive buffers the device filled     */
	uint64_t rx_oversize;		/* frames longer than the caller's buffer */
	uint64_t rx_empty;		/* chains the device gave back unused    */
	uint64_t rx_malformed;		/* bad header or num_buffers: dropped    */
};

/* A consistent-enough snapshot (each counter is read once). */
void pv_net_stats(const struct pv_net *net, struct pv_net_stats *out);

#endif

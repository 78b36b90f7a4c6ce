/* fake_vdev.h: what the virtio device harnesses (fuzz_blkreq.c,
 * fuzz_netreq.c) share: a fake guest with RAM (one heap block, so ASan
 * sees any access outside it), queues built from a description the fuzz
 * input gives (chains of buffers at known places, so the harness knows
 * what each chain holds), and stand-ins for the device framework
 * (hv/virtio/vdev.c, bus.c) that a device type calls. The device's own
 * file is linked unchanged: its make function reaches the harness through
 * virtio_bus_add and vdev_create below.
 *
 * After a run, fake_check_writes() compares guest RAM with the snapshot
 * taken when the queues were built: a byte may change only inside a
 * device-writable buffer of a chain or in a used ring. */
#ifndef PVISOR_FUZZ_FAKE_VDEV_H
#define PVISOR_FUZZ_FAKE_VDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/device.h"
#include "core/guest_phys.h"
#include "virtio/vdev.h"

#define FAKE_RAM_SIZE   (256u << 10)
#define FAKE_QUEUE_SIZE 64u
#define FAKE_MAX_SEGS   8u

/* A cursor over the fuzz input: every read past its end gives 0. */
struct fake_input {
	const uint8_t *data;
	size_t size, pos;
};

uint8_t fake_u8(struct fake_input *in);
uint16_t fake_le16(struct fake_input *in);
uint64_t fake_le64(struct fake_input *in);
bool fake_input_left(const struct fake_input *in);

/* One buffer of a chain as the harness laid it out. */
struct fake_seg {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

struct fake_chain {
	uint16_t head;
	unsigned nsegs;            /* readable ones first, then writable */
	struct fake_seg segs[FAKE_MAX_SEGS];
};

struct fake_queue {
	uint64_t desc, avail, used;
	unsigned nchains;
	struct fake_chain chains[FAKE_QUEUE_SIZE];
};

struct fake_guest {
	uint8_t *ram;
	uint8_t *before;           /* RAM when the queues were built */
	uint8_t ballooned[FAKE_RAM_SIZE / 4096];
	uint64_t next_free;        /* bump allocator for rings and buffers */
	struct pv_mmu mmu;
	struct guest_memory gm;
	struct guest_view view;
};

extern struct fake_guest fake_guest;

/* Empties guest RAM and the allocator. */
void fake_guest_reset(void);

/* Places q's rings in RAM (before any queue's buffers). */
void fake_queue_rings(struct fake_queue *q);

/* Reads chain descriptions from in until it ends, the descriptor table or
 * RAM is full, or max_chains were built; lays them out (rings, indirect
 * tables, buffers) and makes them all available. Each chain in the input:
 *   u8   bits 0..2: buffers - 1; bit 3: through an indirect table
 *   per buffer: u8 flags: bit 0 device-writable; bits 1..2 the length:
 *        0: u8, 1: 512 * (u8 % 9), 2: le16, 3: 1 byte; then, for a
 *        readable buffer, u8 n and n bytes of content (the rest of the
 *        buffer is a pattern).
 * Readable buffers are put before writable ones (the queue's rule, which
 * fuzz_virtq checks). */
void fake_queue_build(struct fake_queue *q, struct fake_input *in, unsigned max_chains,
		      bool indirect);

/* Sets up queue qi of dev over q (vq_init with the given features). */
void fake_queue_attach(struct vdev *dev, unsigned qi, const struct fake_queue *q,
		       uint64_t features);

/* Copies len bytes of a chain's readable part from offset off (through
 * the snapshot, so what the guest offered); false if it is shorter. */
bool fake_chain_read(const struct fake_chain *c, uint64_t off, void *dst, size_t len);
/* Byte counts of a chain's readable and writable buffers. */
uint64_t fake_chain_bytes(const struct fake_chain *c, bool writable);

/* Remembers guest RAM as it is now (after the queues were built). */
void fake_guest_snapshot(void);
/* Aborts if a byte of RAM changed outside every writable buffer of the
 * given queues' chains and their used rings. */
void fake_check_writes(const struct fake_queue *const *qs, unsigned nq);

/* The used ring of q: how many entries, and entry i. */
uint16_t fake_used_count(const struct fake_queue *q);
void fake_used_entry(const struct fake_queue *q, unsigned i, uint32_t *id, uint32_t *len);
/* The chain of q whose head is id, or NULL. */
const struct fake_chain *fake_chain_of(const struct fake_queue *q, uint32_t id);

/* The device type's attach(), through the stand-in bus: the device it
 * made (abort if none), and its removal. */
struct vdev *fake_vdev_attach(const struct device_type *type, const void *arg);
void fake_vdev_destroy(struct vdev *dev);

#endif

/* blk_driver.h: the internal interface behind pv/blk.h. blk.c implements
 * the public functions by dispatching through a struct pv_blk's ops to
 * one of two backends:
 *
 *   blk_virtio.c       the virtio-blk frontend (a device page lists disks)
 *   pc/ata_blk.c       ATA PIO disks on the emulated PC's primary channel
 *
 * A backend embeds struct pv_blk as the first member of its own handle,
 * fills in ops, and implements every operation with the semantics that
 * pv/blk.h documents (its argument checks included). */
#ifndef GUEST_DRIVERS_BLK_DRIVER_H
#define GUEST_DRIVERS_BLK_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <pv/blk.h>

struct pv_blk_ops {
	int (*close)(struct pv_blk *dev);

	uint64_t (*sectors)(const struct pv_blk *dev);
	bool (*readonly)(const struct pv_blk *dev);
	unsigned (*index)(const struct pv_blk *dev);
	uint64_t (*features)(const struct pv_blk *dev);
	uint32_t (*block_size)(const struct pv_blk *dev);
	unsigned (*queue_size)(const struct pv_blk *dev);
	uint32_t (*max_transfer)(const struct pv_blk *dev);

	int (*read)(struct pv_blk *dev, uint64_t sector, void *buf, uint64_t len);
	int (*write)(struct pv_blk *dev, uint64_t sector, const void *buf, uint64_t len);
	int (*flush)(struct pv_blk *dev);
	int (*discard)(struct pv_blk *dev, uint64_t sector, uint64_t nsectors);
	int (*write_zeroes)(struct pv_blk *dev, uint64_t sector, uint64_t nsectors);
	int (*get_id)(struct pv_blk *dev, char id[PV_BLK_ID_BYTES + 1]);

	int (*submit_batch)(struct pv_blk *dev, struct pv_blk_req *const *reqs, unsigned n);
	int (*wait)(struct pv_blk *dev, struct pv_blk_req *req);
	int (*wait_any)(struct pv_blk *dev);
	int (*poll)(struct pv_blk *dev);
	unsigned (*in_flight)(const struct pv_blk *dev);
	void (*set_poll_ns)(struct pv_blk *dev, uint32_t ns);
	void (*stats)(const struct pv_blk *dev, struct pv_blk_stats *out);
};

/* The public handle: each backend's own struct starts with it. */
struct pv_blk {
	const struct pv_blk_ops *ops;
};

/* Virtio-blk disks listed on the device page (0 without a page). */
unsigned blk_virtio_count(void);
/* Opens the nth virtio-blk disk; -ENODEV when there is none. */
int blk_virtio_open(unsigned nth, struct pv_blk **out);

/* Opens the nth ATA disk found on the primary channel (master first);
 * -ENODEV when there is no controller or no such disk. */
int ata_blk_open(unsigned nth, struct pv_blk **out);

#endif

/* blk.c: pv/blk.h, dispatched to the backend that drives the disk
 * (blk_driver.h).
 *
 * pv_blk_open() picks the backend by the hardware the machine has, never
 * by a mode: a device page that lists virtio-blk disks means the virtio
 * frontend (blk_virtio.c) serves every disk; without one, a machine with
 * an interrupt controller (pv_irq_available(): emulated hardware, full
 * virtualization) gets the ATA disks found by probing the primary channel
 * (pc/ata_blk.c). A PV machine without disks never touches an I/O
 * port. Every other call goes through the handle's ops. */
#include <errno.h>
#include <stddef.h>
#include <pv/blk.h>
#include <pv/irq.h>
#include "blk_driver.h"

int pv_blk_open(unsigned nth, struct pv_blk **out)
{
	if (!out)
		return -EINVAL;
	if (blk_virtio_count() > 0)
		return blk_virtio_open(nth, out);
	if (pv_irq_available())
		return ata_blk_open(nth, out);
	return -ENODEV;
}

int pv_blk_close(struct pv_blk *dev)
{
	return dev->ops->close(dev);
}

/* ---- Facts ---------------------------------------------------------------- */

uint64_t pv_blk_sectors(const struct pv_blk *dev)
{
	return dev->ops->sectors(dev);
}

bool pv_blk_readonly(const struct pv_blk *dev)
{
	return dev->ops->readonly(dev);
}

unsigned pv_blk_index(const struct pv_blk *dev)
{
	return dev->ops->index(dev);
}

uint64_t pv_blk_features(const struct pv_blk *dev)
{
	return dev->ops->features(dev);
}

uint32_t pv_blk_block_size(const struct pv_blk *dev)
{
	return dev->ops->block_size(dev);
}

unsigned pv_blk_queue_size(const struct pv_blk *dev)
{
	return dev->ops->queue_size(dev);
}

uint32_t pv_blk_max_transfer(const struct pv_blk *dev)
{
	return dev->ops->max_transfer(dev);
}

/* ---- Synchronous I/O -------------------------------------------------------- */

int pv_blk_read(struct pv_blk *dev, uint64_t sector, void *buf, uint64_t len)
{
	return dev->ops->read(dev, sector, buf, len);
}

int pv_blk_write(struct pv_blk *dev, uint64_t sector, const void *buf, uint64_t len)
{
	return dev->ops->write(dev, sector, buf, len);
}

int pv_blk_flush(struct pv_blk *dev)
{
	return dev->ops->flush(dev);
}

int pv_blk_discard(struct pv_blk *dev, uint64_t sector, uint64_t nsectors)
{
	return dev->ops->discard(dev, sector, nsectors);
}

int pv_blk_write_zeroes(struct pv_blk *dev, uint64_t sector, uint64_t nsectors)
{
	return dev->ops->write_zeroes(dev, sector, nsectors);
}

int pv_blk_get_id(struct pv_blk *dev, char id[PV_BLK_ID_BYTES + 1])
{
	return dev->ops->get_id(dev, id);
}

/* ---- Asynchronous I/O -------------------------------------------------------- */

int pv_blk_submit(struct pv_blk *dev, struct pv_blk_req *req)
{
	return dev->ops->submit_batch(dev, &req, 1) == 1 ? 0 : req->status;
}

int pv_blk_submit_batch(struct pv_blk *dev, struct pv_blk_req *const *reqs, unsigned n)
{
	return dev->ops->submit_batch(dev, reqs, n);
}

int pv_blk_wait(struct pv_blk *dev, struct pv_blk_req *req)
{
	return dev->ops->wait(dev, req);
}

int pv_blk_wait_any(struct pv_blk *dev)
{
	return dev->ops->wait_any(dev);
}

int pv_blk_poll(struct pv_blk *dev)
{
	return dev->ops->poll(dev);
}

unsigned pv_blk_in_flight(const struct pv_blk *dev)
{
	return dev->ops->in_flight(dev);
}

void pv_blk_set_poll_ns(struct pv_blk *dev, uint32_t ns)
{
	dev->ops->set_poll_ns(dev, ns);
}

void pv_blk_stats(const struct pv_blk *dev, struct pv_blk_stats *out)
{
	dev->ops->stats(dev, out);
}

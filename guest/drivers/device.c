/* device.c: PV device discovery, start and reset over the device page
 * (pv/device.h, include/pvisor/device.h).
 *
 * The device page is written by the hypervisor before boot and read here
 * each time (reading it costs nothing). pv_device_start() builds every
 * queue, writes the driver's fields and makes one DEVICE_OP hypercall;
 * any failure unwinds what was built. */
#include <errno.h>
#include <string.h>
#include <pv/device.h>
#include <pv/events.h>
#include <pv/kernel.h>
#include <pv/mm.h>
#include <pv/virtq.h>
#include "platform/platform.h"

_Static_assert(PV_VIRTQ_EIO == EIO && PV_VIRTQ_EINVAL == EINVAL && PV_VIRTQ_ENOSPC == ENOSPC,
	       "pv/virtq.h errno values are the C library's");

#define FEATURE(bit) (1ull << (bit))

/* ---- Discovery --------------------------------------------------------- */

static const volatile struct pvisor_device_page *device_page(void)
{
	uint64_t gva = pv_start_info()->device_page;
	const volatile struct pvisor_device_page *page;

	if (gva == 0)
		return NULL;
	page = (const volatile struct pvisor_device_page *)(uintptr_t)gva;
	return page->magic == PVISOR_DEVICE_PAGE_MAGIC ? page : NULL;
}

unsigned pv_device_count(void)
{
	const volatile struct pvisor_device_page *page = device_page();
	uint32_t n;

	if (!page)
		return 0;
	n = page->nr_devices;
	return n < PVISOR_MAX_DEVICES ? n : PVISOR_MAX_DEVICES;
}

/* The device's entry, writable: only pv_device_start() writes (driver's
 * fields). */
static volatile struct pvisor_device *device_entry(unsigned index)
{
	if (index >= pv_device_count())
		return NULL;
	return (volatile struct pvisor_device *)&device_page()->devices[index];
}

const volatile struct pvisor_device *pv_device_info(unsigned index)
{
	return device_entry(index);
}

int pv_device_find(uint32_t type, unsigned nth)
{
	unsigned count = pv_device_count();

	for (unsigned i = 0; i < count; i++) {
		if (pv_device_info(i)->type != type)
			continue;
		if (nth-- == 0)
			return (int)i;
	}
	return -ENODEV;
}

int pv_device_read_config(unsigned index, unsigned offset, void *buf, size_t len)
{
	const volatile struct pvisor_device *d = pv_device_info(index);
	uint8_t *out = buf;

	if (!d)
		return -ENODEV;
	if (offset > PVISOR_DEVICE_CONFIG_SIZE || len > PVISOR_DEVICE_CONFIG_SIZE - offset)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		out[i] = d->config[offset + i];
	return 0;
}

int pv_device_status(unsigned index)
{
	const volatile struct pvisor_device *d = pv_device_info(index);

	return d ? (int)d->status : -ENODEV;
}

/* ---- DEVICE_OP (a hypercall; -ENODEV on a machine without PV devices) --- */

static int device_op(unsigned cmd, unsigned index)
{
	return (int)platform->device_op(cmd, index);
}

/* ---- Queues ------------------------------------------------------------ */

/* The largest power of two <= min(wanted, max_size) (wanted 0: max_size),
 * or 0 if the device takes no entries. */
static uint16_t queue_size(uint16_t wanted, uint16_t max_size)
{
	uint32_t limit = wanted && wanted < max_size ? wanted : max_size;
	uint32_t size = 1;

	if (limit == 0)
		return 0;
	if (limit > PVISOR_VIRTQ_MAX_SIZE)
		limit = PVISOR_VIRTQ_MAX_SIZE;
	while (size * 2 <= limit)
		size *= 2;
	return (uint16_t)size;
}

static void queue_release(struct pv_device_queue *dq)
{
	if (dq->port > 0)
		pv_evtchn_close((unsigned)dq->port);
	if (dq->mem)
		pv_pages_free(dq->mem, dq->pages);
	memset(dq, 0, sizeof(*dq));
}

static void queues_release(struct pv_device *dev)
{
	for (unsigned q = 0; q < PVISOR_DEVICE_MAX_QUEUES; q++)
		queue_release(&dev->queues[q]);
}

/* Allocates and lays out the rings of queue q (identity-mapped, so the
 * address is the guest-physical one). */
static int queue_rings(struct pv_device *dev, struct pv_device_queue *dq, uint16_t size,
		       unsigned max_indirect)
{
	size_t bytes;

	if (!(dev->features & FEATURE(PVISOR_VIRTIO_F_INDIRECT_DESC)))
		max_indirect = 0;
	bytes = pv_virtq_mem_bytes(size, max_indirect);
	if (bytes == 0)
		return -EINVAL;
	dq->pages = bytes / PV_PAGE_SIZE;
	dq->mem = pv_pages_alloc(dq->pages);
	if (!dq->mem)
		return -ENOMEM;
	return pv_virtq_init(&dq->vq, size, dq->mem, (uint64_t)(uintptr_t)dq->mem, dev->features,
			     max_indirect);
}

/* Builds queue q and writes its driver fields into the device page. */
static int queue_setup(struct pv_device *dev, volatile struct pvisor_device *d, unsigned q,
		       const struct pv_device_queue_config *cfg)
{
	volatile struct pvisor_device_queue *hq = &d->queues[q];
	struct pv_device_queue *dq = &dev->queues[q];
	uint16_t size = queue_size(cfg->size, hq->max_size);
	int rc;

	if (size == 0)
		return -EINVAL;
	rc = queue_rings(dev, dq, size, cfg->max_indirect);
	if (rc < 0)
		return rc;
	rc = pv_evtchn_alloc_unbound(PVISOR_DOMID_BACKEND, cfg->handler, cfg->arg);
	if (rc < 0)
		return rc;
	dq->port = rc;
	dq->doorbell = hq->doorbell;
	hq->size = size;
	hq->desc_gpa = dq->vq.desc_gpa;
	hq->avail_gpa = dq->vq.avail_gpa;
	hq->used_gpa = dq->vq.used_gpa;
	hq->event_port = (uint32_t)dq->port;
	return 0;
}

/* ---- Start and reset --------------------------------------------------- */

static int start_checks(volatile struct pvisor_device *d, unsigned nr_queues,
			const struct pv_device_queue_config *queues)
{
	if (!d)
		return -ENODEV;
	if (!(d->device_features & FEATURE(PVISOR_VIRTIO_F_VERSION_1)))
		return -ENODEV;
	if (d->status != PVISOR_DEVICE_S_OFFERED)
		return -EBUSY;
	if (nr_queues != d->nr_queues || nr_queues > PVISOR_DEVICE_MAX_QUEUES ||
	    (nr_queues && !queues))
		return -EINVAL;
	return 0;
}

int pv_device_start(struct pv_device *dev, unsigned index, uint64_t wanted,
		    unsigned nr_queues, const struct pv_device_queue_config *queues)
{
	volatile struct pvisor_device *d = device_entry(index);
	int rc = start_checks(d, nr_queues, queues);

	if (rc < 0)
		return rc;
	memset(dev, 0, sizeof(*dev));
	dev->index = index;
	dev->type = d->type;
	dev->features = (wanted & d->device_features) | FEATURE(PVISOR_VIRTIO_F_VERSION_1);
	dev->nr_queues = nr_queues;
	for (unsigned q = 0; q < nr_queues; q++) {
		rc = queue_setup(dev, d, q, &queues[q]);
		if (rc < 0)
			goto undo;
	}
	d->driver_features = dev->features;
	rc = device_op(PVISOR_DEVICE_START, index);
	if (rc < 0)
		goto undo;
	dev->running = true;
	return 0;
undo:
	queues_release(dev);
	return rc;
}

int pv_device_stop(struct pv_device *dev)
{
	int rc;

	if (!dev->running)
		return 0;
	rc = device_op(PVISOR_DEVICE_RESET, dev->index);
	if (rc < 0)
		return rc;
	dev->running = false;
	return 0;
}

int pv_device_reset(struct pv_device *dev)
{
	int rc = pv_device_stop(dev);

	if (rc < 0)
		return rc;
	queues_release(dev);
	return 0;
}

/* ---- DMA addresses ----------------------------------------------------- */

int pv_dma_addr(const void *p, size_t len, uint64_t *gpa)
{
	uint64_t start = (uint64_t)(uintptr_t)p;
	uint64_t ram_end = pv_start_info()->nr_pages * PV_PAGE_SIZE;

	if (start < PVISOR_GUEST_VA_MIN || start > ram_end || len > ram_end - start)
		return -EFAULT;
	if (start < PV_VMAP_END && start + len > PV_VMAP_START)
		return -EFAULT;		/* mapped, but not at its frame's address */
	*gpa = start;
	return 0;
}

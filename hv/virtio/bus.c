/* bus.c: a domain's virtio bus (bus.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pvisor/errno.h>

#include "core/domain.h"
#include "lib/log.h"
#include "virtio/bus.h"
#include "virtio/vdev.h"

struct virtio_bus {
	struct domain *dom;
	struct vdev *dev[PVISOR_MAX_DEVICES];
	unsigned count;
};

/* ---- The core's hooks ---------------------------------------------------- */

/* Stops every backend and frees the devices. */
static void bus_destroy(void *bus)
{
	struct virtio_bus *b = bus;

	for (unsigned i = 0; i < b->count; i++)
		vdev_destroy(b->dev[i]);
	free(b);
}

/* A doorbell write that reached the vCPU thread (no ioeventfd, or a
 * device that is not running): passes the kick on to the backend. */
static void doorbell_exit(struct virtio_bus *b, uint16_t port)
{
	unsigned n = port - PVISOR_PORT_DOORBELL_BASE, index = n / 4, q = n % 4;
	struct vdev *dev;
	uint64_t one = 1;

	b->dom->stats.doorbell_exits++;
	if (index >= b->count)
		return;
	dev = b->dev[index];
	if (dev->running && q < dev->nr_queues &&
	    write(dev->queues[q].kick_fd, &one, sizeof(one)) != sizeof(one))
		log_errno("device %u: doorbell", index);
}

static bool bus_port_exit(void *bus, struct vcpu *v)
{
	const struct kvm_run *run = v->run;

	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.count != 1 || run->io.size != 1 ||
	    !virtio_is_doorbell(run->io.port))
		return false;
	doorbell_exit(bus, run->io.port);
	return true;
}

static long bus_device_op(void *bus, uint64_t cmd, uint64_t index)
{
	struct virtio_bus *b = bus;

	if (index >= b->count)
		return -PVISOR_EINVAL;
	switch (cmd) {
	case PVISOR_DEVICE_START: return vdev_start(b->dev[index]);
	case PVISOR_DEVICE_RESET: return vdev_reset(b->dev[index]);
	default:                  return -PVISOR_ENOSYS;
	}
}

static bool bus_pins_pfn(void *bus, uint64_t pfn)
{
	struct virtio_bus *b = bus;

	for (unsigned i = 0; i < b->count; i++)
		if (vdev_pins_pfn(b->dev[i], pfn))
			return true;
	return pfn == PVISOR_DEVICE_PAGE_GVA >> 12 && b->count > 0;
}

static void bus_print_stats(void *bus, FILE *out)
{
	struct virtio_bus *b = bus;

	for (unsigned i = 0; i < b->count; i++) {
		const struct vdev *dev = b->dev[i];
		uint64_t kicks = 0, notifies = 0;

		for (unsigned q = 0; q < dev->nr_queues; q++) {
			kicks += dev->queues[q].kicks;
			notifies += dev->queues[q].notifies;
		}
		fprintf(out, "  device %u %-8s items %llu  kicks %llu  events %llu  polls hit %llu"
			"  sleeps %llu%s\n", i, dev->ops->name, (unsigned long long)dev->stats.items,
			(unsigned long long)kicks, (unsigned long long)notifies,
			(unsigned long long)dev->stats.poll_hits, (unsigned long long)dev->stats.sleeps,
			dev->broken ? "  BROKEN" : "");
		if (dev->ops->print_stats)
			dev->ops->print_stats(b->dev[i], out);
	}
}

static void bus_add_io(void *bus, struct domain_io *io)
{
	struct virtio_bus *b = bus;

	for (unsigned i = 0; i < b->count; i++)
		if (b->dev[i]->ops->add_io)
			b->dev[i]->ops->add_io(b->dev[i], io);
}

static const struct bus_ops virtio_bus_ops = {
	.name = "virtio",
	.destroy = bus_destroy,
	.port_exit = bus_port_exit,
	.device_op = bus_device_op,
	.pins_pfn = bus_pins_pfn,
	.print_stats = bus_print_stats,
	.add_io = bus_add_io,
};

/* ---- Attaching devices ---------------------------------------------------- */

static struct virtio_bus *bus_get(struct domain *d)
{
	struct virtio_bus *b = domain_find_bus(d, &virtio_bus_ops);
	struct pvisor_device_page *page = virtio_device_page(d);

	if (b)
		return b;
	b = calloc(1, sizeof(*b));
	if (!b) {
		log_error("out of memory");
		return NULL;
	}
	if (domain_add_bus(d, &virtio_bus_ops, b) < 0) {
		free(b);
		return NULL;
	}
	b->dom = d;
	memset(page, 0, sizeof(*page));
	page->magic = PVISOR_DEVICE_PAGE_MAGIC;
	return b;
}

int virtio_bus_add(struct domain *d, vdev_make_fn make, const void *arg)
{
	struct virtio_bus *b = bus_get(d);
	struct vdev *dev;

	if (!b)
		return -1;
	if (b->count == PVISOR_MAX_DEVICES) {
		log_error("too many devices: at most %u", PVISOR_MAX_DEVICES);
		return -1;
	}
	dev = make(d, b->count, arg);
	if (!dev)
		return -1;
	b->dev[b->count++] = dev;
	vdev_publish(dev);
	virtio_device_page(d)->nr_devices = b->count;
	return 0;
}

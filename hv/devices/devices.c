/* devices.c: a domain's PV devices as a set (see devices.h). */
#include <string.h>
#include <unistd.h>

#include <pvisor/errno.h>

#include "core/domain.h"
#include "core/log.h"
#include "devices/devices.h"
#include "devices/vdev.h"

struct pvisor_device_page *devices_page(struct domain *d)
{
	return (struct pvisor_device_page *)(d->gm.base + PVISOR_DEVICE_PAGE_GVA);
}

static int add_device(struct domain *d, struct vdev *dev)
{
	if (!dev)
		return -1;
	d->devices.dev[d->devices.count++] = dev;
	vdev_publish(dev);
	devices_page(d)->nr_devices = d->devices.count;
	return 0;
}

int devices_create(struct domain *d)
{
	const struct domain_config *cfg = d->cfg;
	struct pvisor_device_page *page = devices_page(d);

	memset(page, 0, sizeof(*page));
	page->magic = PVISOR_DEVICE_PAGE_MAGIC;
	if (cfg->nr_device_makers > PVISOR_MAX_DEVICES) {
		log_error("too many devices: at most %u", PVISOR_MAX_DEVICES);
		return -1;
	}
	for (unsigned i = 0; i < cfg->nr_device_makers; i++)
		if (add_device(d, cfg->device_makers[i].make(d, d->devices.count,
							     cfg->device_makers[i].arg)) < 0)
			return -1;
	return 0;
}

void devices_destroy(struct domain *d)
{
	for (unsigned i = 0; i < d->devices.count; i++)
		vdev_destroy(d->devices.dev[i]);
	d->devices.count = 0;
}

long devices_hypercall(struct domain *d, uint64_t cmd, uint64_t index)
{
	if (index >= d->devices.count)
		return -PVISOR_EINVAL;
	switch (cmd) {
	case PVISOR_DEVICE_START: return vdev_start(d->devices.dev[index]);
	case PVISOR_DEVICE_RESET: return vdev_reset(d->devices.dev[index]);
	default:                  return -PVISOR_ENOSYS;
	}
}

bool devices_pin_pfn(struct domain *d, uint64_t pfn)
{
	for (unsigned i = 0; i < d->devices.count; i++)
		if (vdev_pins_pfn(d->devices.dev[i], pfn))
			return true;
	return pfn == PVISOR_DEVICE_PAGE_GVA >> 12 && d->devices.count > 0;
}

void devices_doorbell_exit(struct domain *d, uint16_t port)
{
	unsigned n = port - PVISOR_PORT_DOORBELL_BASE, index = n / 4, q = n % 4;
	struct vdev *dev;
	uint64_t one = 1;

	d->stats.doorbell_exits++;
	if (index >= d->devices.count)
		return;
	dev = d->devices.dev[index];
	if (dev->running && q < dev->nr_queues &&
	    write(dev->queues[q].kick_fd, &one, sizeof(one)) != sizeof(one))
		log_errno("device %u: doorbell", index);
}

void devices_print_stats(struct domain *d, FILE *out)
{
	for (unsigned i = 0; i < d->devices.count; i++) {
		const struct vdev *dev = d->devices.dev[i];
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
			dev->ops->print_stats(d->devices.dev[i], out);
	}
}

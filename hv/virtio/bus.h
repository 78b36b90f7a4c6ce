/* bus.h: a domain's virtio bus: its PV devices, the device page that
 * describes them to the guest, PVISOR_HC_DEVICE_OP, and the doorbell
 * exits that KVM did not turn into eventfd signals. The first virtio
 * device attached to a domain creates its bus and registers it with the
 * core (core/device.h); each device takes the next device page slot. */
#ifndef PVISOR_VIRTIO_BUS_H
#define PVISOR_VIRTIO_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include <pvisor/device.h>

struct domain;
struct vdev;

/* Makes device `index` of d from arg (a device type's configuration):
 * NULL after logging a one-line error. */
typedef struct vdev *(*vdev_make_fn)(struct domain *d, unsigned index, const void *arg);

/* Adds a device made by make(d, index, arg) to d's virtio bus, creating
 * the bus first if need be: 0, or -1 after logging. What a virtio device
 * type's attach() calls. */
int virtio_bus_add(struct domain *d, vdev_make_fn make, const void *arg);

/* Is port a doorbell port? */
static inline bool virtio_is_doorbell(uint16_t port)
{
	return port >= PVISOR_PORT_DOORBELL_BASE &&
	       port < PVISOR_PORT_DOORBELL_BASE + 4 * PVISOR_MAX_DEVICES;
}

#endif

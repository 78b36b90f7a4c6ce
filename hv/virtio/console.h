/* console.h: the virtio-console device (console.c): the host console
 * (hv/console/) served through receive and transmit queues. */
#ifndef PVISOR_HV_VIRTIO_CONSOLE_H
#define PVISOR_HV_VIRTIO_CONSOLE_H

#include "core/device.h"

/* arg: the process's struct console (console/console.h). */
extern const struct device_type virtio_console_device;

#endif

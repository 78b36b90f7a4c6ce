/* net.h: the virtio-net device (net.c): a NIC on a host TAP device
 * (hv/net/), with receive and transmit queues. */
#ifndef PVISOR_HV_VIRTIO_NET_H
#define PVISOR_HV_VIRTIO_NET_H

#include "core/device.h"

/* arg: a struct net_config (net/net_spec.h). */
extern const struct device_type virtio_net_device;

#endif

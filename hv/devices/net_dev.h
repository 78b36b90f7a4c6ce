/* net_dev.h: the virtio-net device (net_dev.c). */
#ifndef PVISOR_NET_DEV_H
#define PVISOR_NET_DEV_H

struct domain;
struct vdev;

/* A device_maker: arg is a struct net_config (hv/net/net_spec.h). */
struct vdev *net_dev_create(struct domain *d, unsigned index, const void *arg);

#endif

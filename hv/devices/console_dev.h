/* console_dev.h: the virtio-console device (console_dev.c). */
#ifndef PVISOR_CONSOLE_DEV_H
#define PVISOR_CONSOLE_DEV_H

struct domain;
struct vdev;

/* A device_maker: arg is the process's struct console. */
struct vdev *console_dev_create(struct domain *d, unsigned index, const void *arg);

#endif

/* blk_dev.h: the virtio-blk device (blk_dev.c). */
#ifndef PVISOR_BLK_DEV_H
#define PVISOR_BLK_DEV_H

struct domain;
struct vdev;

/* A device_maker: arg is a struct disk_config (hv/blk/disk_spec.h). */
struct vdev *blk_dev_create(struct domain *d, unsigned index, const void *arg);
/* "io_uring" or "threads". */
const char *blk_dev_engine(const struct vdev *dev);

#endif

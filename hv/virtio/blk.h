/* blk.h: the virtio-blk device (blk.c): a disk image (hv/disk/) served
 * through a virtio request queue. */
#ifndef PVISOR_HV_VIRTIO_BLK_H
#define PVISOR_HV_VIRTIO_BLK_H

#include "core/device.h"

/* arg: a struct disk_config (disk/disk_spec.h). */
extern const struct device_type virtio_blk_device;

#endif

/* pc.h: the emulated PC of hybrid and full mode (docs/full-virt.md) and
 * the devices that plug into it, as device types (core/device.h).
 *
 * pc_platform brings the in-kernel irqchip's companions: a 16550 UART
 * (COM1) on the host console, the 8254 PIT and the CMOS RTC, the exit
 * port, and the rule that unowned ports read as all ones. It must be
 * attached before the devices that plug into it: the ATA disks (one
 * channel, master then slave) and the RTL8139 NICs. A PV domain has no PC. */
#ifndef PVISOR_PC_H
#define PVISOR_PC_H

#include "core/device.h"

#define PC_MAX_DISKS 2
#define PC_MAX_NICS  2

/* arg: the process's struct console (console/console.h). In full mode the
 * UART also reads the console's input; in hybrid mode the virtio console
 * owns input. */
extern const struct device_type pc_platform;
/* arg: a struct disk_config (disk/disk_spec.h). */
extern const struct device_type ata_disk_device;
/* arg: a struct net_config (net/net_spec.h). */
extern const struct device_type rtl8139_device;

#endif

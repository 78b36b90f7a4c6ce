/* devices.h: a domain's set of PV devices: creating them from the
 * configuration, the device page, PVISOR_HC_DEVICE_OP, and the questions
 * the rest of the hypervisor asks about them. */
#ifndef PVISOR_DEVICES_H
#define PVISOR_DEVICES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <pvisor/device.h>

struct domain;
struct vdev;

struct device_set {
	struct vdev *dev[PVISOR_MAX_DEVICES];
	unsigned count;
};

/* Creates the devices the domain's configuration names (console first,
 * then disks, then NICs) and fills in the device page. Returns 0, or -1
 * after logging a one-line error. */
int devices_create(struct domain *d);
/* Stops every backend and frees the devices (safe on a partial set). */
void devices_destroy(struct domain *d);

/* The device page, in guest memory. */
struct pvisor_device_page *devices_page(struct domain *d);

/* PVISOR_HC_DEVICE_OP(cmd, index). */
long devices_hypercall(struct domain *d, uint64_t cmd, uint64_t index);

/* Is guest page pfn a ring of a running device? (MEMORY_OP refuses.) */
bool devices_pin_pfn(struct domain *d, uint64_t pfn);

/* A doorbell write that reached the vCPU thread (no ioeventfd, or a
 * device that is not running): passes the kick on to the backend. */
void devices_doorbell_exit(struct domain *d, uint16_t port);

/* Is port a doorbell port? */
static inline bool devices_is_doorbell(uint16_t port)
{
	return port >= PVISOR_PORT_DOORBELL_BASE &&
	       port < PVISOR_PORT_DOORBELL_BASE + 4 * PVISOR_MAX_DEVICES;
}

/* One line per device for --stats. */
void devices_print_stats(struct domain *d, FILE *out);

#endif

/* pv/device.h: PV devices: finding them on the device page, starting and
 * resetting them, kicking their queues (include/pvisor/device.h explains
 * the protocol).
 *
 * A frontend finds its device with pv_device_find(), reads its
 * configuration with pv_device_info() / pv_device_read_config(), and
 * starts it with pv_device_start(): the queue rings, their memory and
 * their event ports are set up here, and each queue's event port calls
 * the frontend's handler (upcall context: pv/events.h). The frontend then
 * drives dev->queues[q].vq with pv/virtq.h and kicks with pv_device_kick()
 * when pv_virtq_publish() says so. A struct pv_device is the frontend's
 * (static or allocated); these functions do not lock it.
 *
 * Functions returning int return 0 (or an index) or a negative errno
 * value; the hypervisor's errors (-EINVAL, -EBUSY, -ENOMEM) pass through. */
#ifndef PV_DEVICE_H
#define PV_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pvisor/pvisor.h>
#include <pv/events.h>
#include <pv/virtq.h>

/* ---- Discovery -------------------------------------------------------------- */

/* Devices on the device page; 0 when there is none (no page, or a page
 * without the magic). */
unsigned pv_device_count(void);

/* Device index as the hypervisor wrote it (the guest writes only the
 * driver's fields, through pv_device_start()); NULL if index is out of
 * range. */
const volatile struct pvisor_device *pv_device_info(unsigned index);

/* Index of the nth (from 0) device of type PVISOR_DEVICE_*, or -ENODEV. */
int pv_device_find(uint32_t type, unsigned nth);

/* Copies len bytes at offset of device index's configuration space into
 * buf. -ENODEV (no such device) or -EINVAL (outside the 64 bytes). */
int pv_device_read_config(unsigned index, unsigned offset, void *buf, size_t len);

/* PVISOR_DEVICE_S_OFFERED, _RUNNING or _BROKEN (the device found a broken
 * rule: reset it), or -ENODEV. */
int pv_device_status(unsigned index);

/* ---- Starting and resetting ----------------------------------------------------- */

/* What the frontend wants of one queue. */
struct pv_device_queue_config {
	uint16_t size;		/* entries wanted (0: the most the device takes); the
				 * queue gets the largest power of two <= both */
	unsigned max_indirect;	/* descriptors per indirect table (0: none; used only
				 * if INDIRECT_DESC is negotiated), <= PV_VIRTQ_MAX_CHAIN */
	pv_event_handler_t handler; /* runs when the device raises the queue's port */
	void *arg;		/* handler's argument */
};

struct pv_device_queue {
	struct pv_virtq vq;	/* the rings: drive them with pv/virtq.h    */
	void *mem;		/* the rings' pages (pv_pages_alloc)         */
	size_t pages;
	int port;		/* event port the device raises (0: none)    */
	uint16_t doorbell;	/* I/O port that kicks the device            */
};

struct pv_device {
	unsigned index;		/* on the device page        */
	uint32_t type;		/* PVISOR_DEVICE_*           */
	uint64_t features;	/* negotiated feature bits   */
	unsigned nr_queues;
	bool running;		/* started, not yet stopped  */
	struct pv_device_queue queues[PVISOR_DEVICE_MAX_QUEUES];
};

/* Starts device index with nr_queues queues (exactly the device's count),
 * configured by queues[0 .. nr_queues). Features: the device gets
 * `wanted & device_features` plus VIRTIO_F_VERSION_1 (dev->features tells
 * the frontend what it got). For each queue, allocates identity-mapped
 * pages for the rings, initialises dev->queues[q].vq and allocates an
 * event port for the backend with the queue's handler; writes the driver's
 * fields into the device page and asks the hypervisor to start the device.
 * dev is overwritten unless the device is missing, busy or the arguments
 * are wrong. On any failure undoes everything and returns: -ENODEV (no such device,
 * or no VERSION_1), -EBUSY (not in the offered state), -EINVAL (bad queue
 * count or config), -ENOMEM (no pages or ports), or the hypervisor's error. */
int pv_device_start(struct pv_device *dev, unsigned index, uint64_t wanted,
		    unsigned nr_queues, const struct pv_device_queue_config *queues);

/* Stops the device (PVISOR_DEVICE_RESET): when it returns 0 the backend no
 * longer touches the rings, which stay allocated so the frontend can take
 * back requests in flight (pv_virtq_detach_unused()). No-op if not
 * running. */
int pv_device_stop(struct pv_device *dev);

/* Stops the device if it runs, then closes its event ports and frees its
 * rings; dev may be started again. Requests still in flight are forgotten.
 * If stopping fails nothing is freed (the device may still use the rings)
 * and the error is returned. */
int pv_device_reset(struct pv_device *dev);

/* ---- Running ------------------------------------------------------------------- */

/* Notifies the device that queue q has new buffers: a one-byte write to
 * its doorbell port, which KVM hands to the backend without involving
 * pvisor's vCPU thread. Call it when pv_virtq_publish() returns true. */
static inline void pv_device_kick(const struct pv_device *dev, unsigned q)
{
	__asm__ volatile("outb %%al, %%dx"
			 : : "a"(0), "d"(dev->queues[q].doorbell) : "memory");
}

/* 0 with *gpa = the guest-physical address of p when [p, p + len) is
 * identity-mapped guest RAM (what device buffers must be: kernel image,
 * boot stack, pv_pages_alloc() and malloc() memory), -EFAULT otherwise
 * (e.g. thread stacks, which live in the vmap area): then copy through a
 * bounce buffer. Cannot know about pages the program ballooned out. */
int pv_dma_addr(const void *p, size_t len, uint64_t *gpa);

#endif

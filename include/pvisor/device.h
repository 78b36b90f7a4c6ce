/* device.h: how a guest finds, configures and starts its PV devices.
 *
 * pvisor's devices are virtio 1.x devices (block, network, console) whose
 * backends run in the privileged domain: threads of the pvisor process on
 * the host. The guest finds them on the device page, a page of guest RAM
 * at PVISOR_DEVICE_PAGE_GVA that the hypervisor fills in before boot
 * (start_info.device_page names it). Reading the page costs nothing;
 * there is no per-register exit as with PCI or MMIO transports.
 *
 * Starting a device, for each device d on the page:
 *   1. read type, device_features, config, and each queue's max_size;
 *   2. write driver_features (a subset of device_features that includes
 *      PVISOR_VIRTIO_F_VERSION_1);
 *   3. for each queue: allocate its rings in guest RAM (virtio_ring.h),
 *      allocate an event channel with
 *      EVTCHN_ALLOC_UNBOUND(PVISOR_DOMID_BACKEND), and write size, the
 *      three ring addresses and event_port;
 *   4. call PVISOR_HC_DEVICE_OP(PVISOR_DEVICE_START, d). The hypervisor
 *      copies the driver's fields once, validates them, binds each event
 *      port to the backend and starts the backend; status becomes
 *      PVISOR_DEVICE_S_RUNNING.
 *
 * Running:
 *   - the guest notifies queue q of device d ("kick") with any one-byte
 *     `out` to port queues[q].doorbell. The write never reaches pvisor's
 *     vCPU thread (KVM signals the backend's eventfd), and is needed only
 *     when the device asked for it (virtio_ring.h: USED_F_NO_NOTIFY or
 *     avail_event): a backend that is busy or polling asks not to be kicked;
 *   - the backend raises event_port when it has returned buffers and the
 *     driver asked to hear about it (AVAIL_F_NO_INTERRUPT or used_event);
 *   - a backend that finds a rule of the ring or of its device protocol
 *     broken stops the device, sets status to PVISOR_DEVICE_S_BROKEN
 *     (virtio's DEVICE_NEEDS_RESET) and raises every queue's event port.
 *
 * PVISOR_DEVICE_RESET(d) stops the backend (after its in-flight host I/O
 * completes), unbinds the event ports (they become unbound ports again)
 * and sets status back to PVISOR_DEVICE_S_OFFERED; the driver's fields and
 * rings may then be reused or freed. A reboot resets every device.
 *
 * PVISOR_HC_DEVICE_OP(cmd, d) returns 0 or:
 *   -PVISOR_EINVAL  d >= nr_devices; or START with features outside
 *                   device_features or without VERSION_1, a queue size
 *                   that is not a power of two <= max_size, a ring that is
 *                   misaligned or not in guest RAM, rings that overlap the
 *                   device page, or an event port that is not unbound for
 *                   PVISOR_DOMID_BACKEND;
 *   -PVISOR_EBUSY   START of a running or broken device (reset it first);
 *   -PVISOR_ENOMEM  the host could not start the backend.
 *
 * While a device runs, PVISOR_MEM_DECREASE_RESERVATION refuses (-EBUSY) the
 * pages of its rings. Buffers must lie in guest RAM, not ballooned out,
 * and a device-writable buffer must not touch pages 0..4 (start info to
 * device page): a chain that breaks either rule breaks the device. */
#ifndef PVISOR_DEVICE_H
#define PVISOR_DEVICE_H

#include "abi.h"
#include "io/virtio_ring.h"

#define PVISOR_DEVICE_PAGE_GVA    0x4000ull
#define PVISOR_DEVICE_PAGE_MAGIC  0x7665647672767000ull /* "\0pvrvdev" */

#define PVISOR_MAX_DEVICES        15u
#define PVISOR_DEVICE_MAX_QUEUES  4u
#define PVISOR_DEVICE_CONFIG_SIZE 64u

/* The privileged domain, where backends live: the peer of device ports. */
#define PVISOR_DOMID_BACKEND      0u

/* Device types: the virtio device IDs. */
#define PVISOR_DEVICE_NET         1u
#define PVISOR_DEVICE_BLOCK       2u
#define PVISOR_DEVICE_CONSOLE     3u

/* status: written by the hypervisor only. */
#define PVISOR_DEVICE_S_OFFERED   0u  /* not started (or reset)              */
#define PVISOR_DEVICE_S_RUNNING   1u  /* started; the backend serves queues  */
#define PVISOR_DEVICE_S_BROKEN    2u  /* the driver broke a rule; reset it   */

/* Doorbell ports: device d, queue q rings port BASE + 4 * d + q. Listed
 * here so both sides agree; drivers read queues[q].doorbell. */
#define PVISOR_PORT_DOORBELL_BASE 0x100u

/* PVISOR_HC_DEVICE_OP commands. */
#define PVISOR_DEVICE_START       0u
#define PVISOR_DEVICE_RESET       1u

/* H: written by the hypervisor before boot; G: written by the guest
 * before START (the hypervisor reads them once, at START). */
struct pvisor_device_queue {
	uint16_t max_size;     /* H: largest queue size the device accepts    */
	uint16_t doorbell;     /* H: the I/O port that kicks this queue        */
	uint16_t size;         /* G: queue size, a power of two <= max_size    */
	uint16_t pad0;
	uint32_t event_port;   /* G: the port the device raises (see above)    */
	uint32_t pad1;
	uint64_t desc_gpa;     /* G: descriptor table, 16-byte aligned         */
	uint64_t avail_gpa;    /* G: available ring, 2-byte aligned            */
	uint64_t used_gpa;     /* G: used ring, 4-byte aligned                 */
};

struct pvisor_device {
	uint32_t type;             /* H: PVISOR_DEVICE_*                       */
	uint32_t status;           /* H: PVISOR_DEVICE_S_*                     */
	uint64_t device_features;  /* H: virtio feature bits offered           */
	uint64_t driver_features;  /* G: the bits the driver accepts           */
	uint32_t nr_queues;        /* H: queues the device has                 */
	uint32_t pad;
	struct pvisor_device_queue queues[PVISOR_DEVICE_MAX_QUEUES];
	/* H: the device's virtio configuration space (virtio_blk.h,
	 * virtio_net.h, virtio_console.h); read-only for the guest. */
	uint8_t config[PVISOR_DEVICE_CONFIG_SIZE];
};

struct pvisor_device_page {
	uint64_t magic;            /* PVISOR_DEVICE_PAGE_MAGIC                 */
	uint32_t nr_devices;       /* devices[0 .. nr_devices) are valid       */
	uint32_t pad;
	struct pvisor_device devices[PVISOR_MAX_DEVICES];
};

_Static_assert(sizeof(struct pvisor_device_queue) == 40, "device queue layout");
_Static_assert(sizeof(struct pvisor_device) == 256, "device layout");
_Static_assert(sizeof(struct pvisor_device_page) <= PVISOR_PAGE_SIZE, "device page fits");

#endif

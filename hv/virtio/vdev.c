/* vdev.c: a PV device's life cycle on the host: create, START (validate
 * what the guest wrote, bind ports, doorbells, backend thread), RESET and
 * destroy; plus the helpers device types use to notify and to fail. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <pvisor/errno.h>

#include "core/domain.h"
#include "core/layout.h"
#include "lib/log.h"
#include "core/guest_phys.h"
#include "virtio/vdev.h"


struct pvisor_device_page *virtio_device_page(struct domain *d)
{
	return (struct pvisor_device_page *)(d->gm.base + PVISOR_DEVICE_PAGE_GVA);
}

struct vdev *vdev_create(struct domain *dom, unsigned index, const struct vdev_ops *ops,
			 void *priv)
{
	struct vdev *dev = calloc(1, sizeof(*dev));
	bool fds_ok;

	if (!dev) {
		log_error("out of memory creating device %u", index);
		return NULL;
	}
	dev->dom = dom;
	dev->index = index;
	dev->ops = ops;
	dev->priv = priv;
	dev->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fds_ok = dev->stop_fd >= 0;
	for (unsigned q = 0; q < PVISOR_DEVICE_MAX_QUEUES; q++) {
		dev->queues[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		dev->queues[q].doorbell = (uint16_t)(PVISOR_PORT_DOORBELL_BASE + 4 * index + q);
		fds_ok = fds_ok && dev->queues[q].kick_fd >= 0;
	}
	if (!fds_ok) {
		log_errno("cannot create the eventfds of device %u", index);
		dev->ops = NULL;   /* the caller still owns priv */
		vdev_destroy(dev);
		return NULL;
	}
	return dev;
}

void vdev_publish(struct vdev *dev)
{
	struct pvisor_device *e = vdev_entry(dev);

	memset(e, 0, sizeof(*e));
	dev->ops->describe(dev, e);
	dev->type = e->type;
	dev->offered = e->device_features | (1ull << PVISOR_VIRTIO_F_VERSION_1);
	e->device_features = dev->offered;
	dev->nr_queues = e->nr_queues;
	for (unsigned q = 0; q < dev->nr_queues; q++) {
		e->queues[q].doorbell = dev->queues[q].doorbell;
		dev->queues[q].max_size = e->queues[q].max_size;
	}
	e->status = PVISOR_DEVICE_S_OFFERED;
}

struct pvisor_device *vdev_entry(const struct vdev *dev)
{
	return &virtio_device_page(dev->dom)->devices[dev->index];
}

void vdev_destroy(struct vdev *dev)
{
	if (!dev)
		return;
	vdev_reset(dev);
	if (dev->ops && dev->ops->destroy)
		dev->ops->destroy(dev);
	for (unsigned q = 0; q < PVISOR_DEVICE_MAX_QUEUES; q++) {
		if (dev->queues[q].kick_fd >= 0)
			close(dev->queues[q].kick_fd);
		free(dev->queues[q].held);
	}
	if (dev->stop_fd >= 0)
		close(dev->stop_fd);
	free(dev);
}

int vdev_watch_fd(struct vdev *dev, int fd)
{
	if (dev->nr_watch == VDEV_MAX_WATCH)
		return -1;
	dev->watch_fds[dev->nr_watch++] = fd;
	return 0;
}

static void set_status(struct vdev *dev, uint32_t status)
{
	__atomic_store_n(&vdev_entry(dev)->status, status, __ATOMIC_RELEASE);
}

/* ---- START ----------------------------------------------------------------- */

static bool range_in_fixed_pages(uint64_t gpa, uint64_t len)
{
	return gpa < GUEST_PHYS_FIXED_END && len > 0;
}

/* Records which pages queue q's three areas cover (for the balloon check). */
static void pin_rings(struct vdev *dev, unsigned q, const struct pvisor_device_queue *dq)
{
	const uint64_t gpa[3] = { dq->desc_gpa, dq->avail_gpa, dq->used_gpa };
	const uint64_t len[3] = { pvisor_virtq_desc_bytes(dq->size),
				  pvisor_virtq_avail_bytes(dq->size) + 2,
				  pvisor_virtq_used_bytes(dq->size) + 2 };

	for (unsigned i = 0; i < 3; i++) {
		dev->ring_first_pfn[q * 3 + i] = gpa[i] >> PAGE_SHIFT;
		dev->ring_last_pfn[q * 3 + i] = (gpa[i] + len[i] - 1) >> PAGE_SHIFT;
	}
}

static int setup_queue(struct vdev *dev, unsigned q, const struct pvisor_device_queue *dq)
{
	struct vdev_queue *vq = &dev->queues[q];

	if (!pvisor_virtq_size_valid(dq->size) || dq->size > vq->max_size)
		return -PVISOR_EINVAL;
	if (range_in_fixed_pages(dq->desc_gpa, pvisor_virtq_desc_bytes(dq->size)) ||
	    range_in_fixed_pages(dq->avail_gpa, pvisor_virtq_avail_bytes(dq->size)) ||
	    range_in_fixed_pages(dq->used_gpa, pvisor_virtq_used_bytes(dq->size)))
		return -PVISOR_EINVAL;
	if (vq->held_size < dq->size) {
		free(vq->held);
		vq->held_size = 0;
		vq->held = calloc(dq->size, sizeof(*vq->held));
		if (!vq->held)
			return -PVISOR_ENOMEM;
		vq->held_size = dq->size;
	}
	if (vq_init(&vq->vq, &dev->dom->view, dq->size, dq->desc_gpa, dq->avail_gpa, dq->used_gpa,
		    dev->features) < 0)
		return -PVISOR_EINVAL;
	vq->vq.held = vq->held;
	vq->vq.hold_lock = &dev->dom->held_lock;
	vq->event_port = dq->event_port;
	vq->kicks = vq->notifies = 0;
	pin_rings(dev, q, dq);
	return 0;
}

static void unbind_ports(struct vdev *dev, unsigned bound)
{
	for (unsigned q = 0; q < bound; q++)
		evtchn_unbind_backend(&dev->dom->evtchn, dev->queues[q].event_port);
}

static int bind_ports(struct vdev *dev)
{
	for (unsigned q = 0; q < dev->nr_queues; q++) {
		if (evtchn_bind_backend(&dev->dom->evtchn, dev->queues[q].event_port) < 0) {
			unbind_ports(dev, q);
			return -PVISOR_EINVAL;
		}
	}
	return 0;
}

/* Registers queue q's doorbell port as an ioeventfd. Where KVM refuses,
 * the vCPU thread forwards doorbell exits to kick_fd instead (slower, but
 * the same semantics). */
static void attach_doorbell(struct vdev *dev, unsigned q, bool attach)
{
	struct vdev_queue *vq = &dev->queues[q];
	struct kvm_ioeventfd io = {
		.addr = vq->doorbell,
		.len = 1,
		.fd = vq->kick_fd,
		.flags = KVM_IOEVENTFD_FLAG_PIO | (attach ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (!attach && !vq->ioeventfd)
		return;
	if (ioctl(dev->dom->vm_fd, KVM_IOEVENTFD, &io) < 0) {
		if (attach)
			log_debug("device %u: no ioeventfd for port %#x (%s); doorbells exit to pvisor",
				  dev->index, vq->doorbell, strerror(errno));
		vq->ioeventfd = false;
		return;
	}
	vq->ioeventfd = attach;
}

/* Copies the guest's half of the entry once, then checks it. */
static int configure(struct vdev *dev, struct pvisor_device *snap)
{
	const struct pvisor_device *e = vdev_entry(dev);
	int rc;

	memcpy(snap, e, sizeof(*snap));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if ((snap->driver_features & ~dev->offered) ||
	    !(snap->driver_features & (1ull << PVISOR_VIRTIO_F_VERSION_1)))
		return -PVISOR_EINVAL;
	dev->features = snap->driver_features;
	for (unsigned q = 0; q < dev->nr_queues; q++) {
		rc = setup_queue(dev, q, &snap->queues[q]);
		if (rc)
			return rc;
	}
	return 0;
}

int vdev_start(struct vdev *dev)
{
	struct pvisor_device snap;
	int rc;

	if (dev->running || dev->broken)
		return -PVISOR_EBUSY;
	rc = configure(dev, &snap);
	if (rc)
		return rc;
	rc = bind_ports(dev);
	if (rc)
		return rc;
	rc = dev->ops->start ? dev->ops->start(dev) : 0;
	if (rc) {
		unbind_ports(dev, dev->nr_queues);
		return rc;
	}
	for (unsigned q = 0; q < dev->nr_queues; q++)
		attach_doorbell(dev, q, true);
	dev->poll_ns = 0;
	if (pthread_create(&dev->thread, NULL, vdev_backend_thread, dev) != 0) {
		for (unsigned q = 0; q < dev->nr_queues; q++)
			attach_doorbell(dev, q, false);
		if (dev->ops->reset)
			dev->ops->reset(dev);
		unbind_ports(dev, dev->nr_queues);
		return -PVISOR_ENOMEM;
	}
	dev->running = true;
	set_status(dev, PVISOR_DEVICE_S_RUNNING);
	return 0;
}

/* ---- RESET ----------------------------------------------------------------- */

static void drain_fd(int fd)
{
	uint64_t n;

	while (read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		;
}

int vdev_reset(struct vdev *dev)
{
	uint64_t one = 1;

	if (!dev->running && !dev->broken)
		return 0;
	if (dev->running) {
		__atomic_store_n(&dev->stopping, true, __ATOMIC_RELEASE);
		if (write(dev->stop_fd, &one, sizeof(one)) != sizeof(one))
			log_errno("device %u: cannot stop its backend", dev->index);
		pthread_join(dev->thread, NULL);
		dev->running = false;
		dev->stopping = false;
		drain_fd(dev->stop_fd);
	}
	for (unsigned q = 0; q < dev->nr_queues; q++) {
		attach_doorbell(dev, q, false);
		drain_fd(dev->queues[q].kick_fd);
	}
	unbind_ports(dev, dev->nr_queues);
	if (dev->ops->reset)
		dev->ops->reset(dev);
	memset(dev->ring_first_pfn, 0, sizeof(dev->ring_first_pfn));
	memset(dev->ring_last_pfn, 0, sizeof(dev->ring_last_pfn));
	dev->broken = false;
	set_status(dev, PVISOR_DEVICE_S_OFFERED);
	return 0;
}

bool vdev_pins_pfn(const struct vdev *dev, uint64_t pfn)
{
	if (!dev->running)
		return false;
	for (unsigned i = 0; i < dev->nr_queues * 3; i++)
		if (pfn >= dev->ring_first_pfn[i] && pfn <= dev->ring_last_pfn[i])
			return true;
	for (unsigned q = 0; q < dev->nr_queues; q++)
		if (vq_holds_pfn(&dev->queues[q].vq, pfn))
			return true;
	return false;
}

/* ---- Helpers for device types ----------------------------------------------- */

void vdev_notify(struct vdev *dev, unsigned q)
{
	struct vdev_queue *vq = &dev->queues[q];

	if (vq_should_notify(&vq->vq)) {
		vq->notifies++;
		evtchn_raise_backend(&dev->dom->evtchn, vq->event_port);
	}
}

void vdev_mark_broken(struct vdev *dev, const char *why)
{
	if (dev->broken)
		return;
	dev->broken = true;
	log_error("device %u (%s) stopped: the guest broke its protocol: %s", dev->index,
		  dev->ops->name, why);
	set_status(dev, PVISOR_DEVICE_S_BROKEN);
	for (unsigned q = 0; q < dev->nr_queues; q++)
		evtchn_raise_backend(&dev->dom->evtchn, dev->queues[q].event_port);
}

/* vdev.h: a PV device's host half: its entry on the device page, its
 * queues with their doorbells and event ports, and the backend thread
 * that serves them (include/pvisor/device.h is the guest's view).
 *
 * A device type (block, network, console) supplies a struct vdev_ops. The
 * framework owns everything else: it validates what the guest asks for at
 * START, registers each queue's doorbell as a KVM ioeventfd (so a kick is
 * never a userspace exit on the vCPU thread), runs the backend thread with
 * an adaptive polling window, raises event channels, and stops it all at
 * RESET, reboot or teardown.
 *
 * Threads: describe, start and reset run on the vCPU thread (or before it
 * exists); process and quiesce run on the backend thread, which alone
 * touches the queues while the device runs. */
#ifndef PVISOR_VDEV_H
#define PVISOR_VDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <pvisor/device.h>

#include "virtio/virtqueue.h"

struct domain;
struct vdev;

/* Most extra file descriptors (TAP, stdin, io_uring completions) whose
 * readiness wakes a backend thread. */
#define VDEV_MAX_WATCH 4

struct vdev_ops {
	const char *name;                        /* "block", "net", "console" */
	/* Fills in type, device_features, config and queues[].max_size of the
	 * device page entry (the rest is the framework's). */
	void (*describe)(struct vdev *dev, struct pvisor_device *entry);
	/* START, on the vCPU thread, after the queues were validated and set
	 * up, before the backend thread runs. 0 or -PVISOR_E*. */
	int (*start)(struct vdev *dev);
	/* Backend thread: does the work that is ready (queues, watched fds,
	 * completions) without blocking. Returns the number of items handled
	 * (0: nothing to do), or -1 after vdev_mark_broken(). */
	int (*process)(struct vdev *dev);
	/* Backend thread, before it sleeps: would buffers the guest adds to
	 * queue q be new work? Yes for request and transmit queues (NULL
	 * means yes for all); for a receive queue only while the device holds
	 * data and waits for buffers. Kicks are enabled, and raced-in buffers
	 * re-checked, only on such queues, so a receive queue full of idle
	 * buffers neither keeps the backend awake nor makes the guest kick. */
	bool (*want_kick)(struct vdev *dev, unsigned q);
	/* Backend thread, before it sleeps: should it wake when watched fd w
	 * is readable? (A NIC with no receive buffers ignores its TAP until
	 * the guest adds some, which kicks.) NULL: always. */
	bool (*want_fd)(struct vdev *dev, unsigned w);
	/* Backend thread, idle: is busy-polling worth it now? (A disk with
	 * host I/O in flight is woken by its completions; spinning would take
	 * the CPU its host I/O needs.) NULL: always. */
	bool (*should_poll)(struct vdev *dev);
	/* Backend thread, when it is told to stop: wait for the host I/O in
	 * flight and complete it, so that no buffer is touched afterwards. */
	void (*quiesce)(struct vdev *dev);
	/* vCPU thread, after the backend thread has stopped (RESET, reboot,
	 * teardown): forget the per-start state. */
	void (*reset)(struct vdev *dev);
	/* --stats: extra lines about the device (NULL: none). */
	void (*print_stats)(struct vdev *dev, FILE *out);
	/* Adds the device's I/O so far to *io (NULL: none); any thread. */
	void (*add_io)(struct vdev *dev, struct domain_io *io);
	/* Teardown: release what the type allocated at create. */
	void (*destroy)(struct vdev *dev);
};

struct vdev_queue {
	struct virtqueue vq;
	uint16_t max_size;           /* what the device page offers */
	uint16_t doorbell;           /* I/O port */
	int kick_fd;                 /* eventfd the doorbell signals, -1 */
	bool ioeventfd;              /* KVM signals kick_fd in the kernel */
	uint32_t event_port;         /* bound to the backend while running */
	uint64_t kicks;              /* doorbell writes the backend consumed */
	uint64_t notifies;           /* events raised to the guest */
	struct vq_span *held;        /* vq.held's storage, held_size entries */
	uint16_t held_size;
};

struct vdev_stats {
	uint64_t items;              /* requests/packets/chunks processed */
	uint64_t wakeups;            /* backend woke from sleep */
	uint64_t poll_hits;          /* work found while polling */
	uint64_t sleeps;
};

struct vdev {
	struct domain *dom;
	unsigned index;              /* on the device page */
	const struct vdev_ops *ops;
	char thread_name[16];        /* its backend thread's: "block-backend" */
	void *priv;                  /* the device type's state */
	uint32_t type;
	uint64_t offered;            /* device_features */
	uint64_t features;           /* negotiated at START */
	unsigned nr_queues;
	struct vdev_queue queues[PVISOR_DEVICE_MAX_QUEUES];
	uint64_t ring_first_pfn[PVISOR_DEVICE_MAX_QUEUES * 3];
	uint64_t ring_last_pfn[PVISOR_DEVICE_MAX_QUEUES * 3];

	int watch_fds[VDEV_MAX_WATCH];
	unsigned nr_watch;

	pthread_t thread;
	bool running;                /* START succeeded, thread alive */
	bool stopping;               /* RESET asked the thread to stop */
	int stop_fd;                 /* eventfd: stop the backend thread */
	bool broken;                 /* set by the backend thread */
	uint64_t poll_ns;            /* current adaptive polling window */
	struct vdev_stats stats;
};

/* The device page, in guest memory. */
struct pvisor_device_page *virtio_device_page(struct domain *d);

/* Creates device `index` of a domain (not started). Returns NULL after
 * logging a one-line error. */
struct vdev *vdev_create(struct domain *dom, unsigned index, const struct vdev_ops *ops,
			 void *priv);
void vdev_destroy(struct vdev *dev);

/* Fills the device's entry on the device page from ops->describe (the
 * framework keeps its own copy of everything the guest must not change). */
void vdev_publish(struct vdev *dev);

/* The device page entry, in guest memory (the host side reads only its H
 * fields and writes status). */
struct pvisor_device *vdev_entry(const struct vdev *dev);

/* PVISOR_DEVICE_START / _RESET (vCPU thread). 0 or -PVISOR_E*. */
int vdev_start(struct vdev *dev);
int vdev_reset(struct vdev *dev);

/* Does this running device hold guest page pfn: one of its rings, or a
 * buffer of a chain it popped and has not pushed? Call with the domain's
 * held_lock held (the balloon does, around this and its decrease). */
bool vdev_pins_pfn(const struct vdev *dev, uint64_t pfn);

/* ---- For device types ---------------------------------------------------- */

/* Wakes the backend thread whenever fd is readable (call from create). */
int vdev_watch_fd(struct vdev *dev, int fd);

/* After pushing used buffers on queue q: raises its event port if the
 * driver asked to hear about them. */
void vdev_notify(struct vdev *dev, unsigned q);

/* The guest broke a rule: logs why (once), sets status BROKEN, raises
 * every queue's port; the backend serves nothing more until RESET. */
void vdev_mark_broken(struct vdev *dev, const char *why);

/* process() of a device with two directions: first, then second (unless
 * first failed). The sum of items handled, or -1. */
int vdev_process_pair(struct vdev *dev, int (*first)(struct vdev *), int (*second)(struct vdev *));

/* The backend thread's loop (backend.c). */
void *vdev_backend_thread(void *arg);

#endif

/* device.h: how the domain core meets devices without knowing any.
 *
 * One mechanism wires every device into a domain, paravirtual or
 * emulated. The CLI (later the daemon) lists the domain's devices in its
 * configuration as device_specs: a device_type and the type's own
 * configuration. While the domain is built, before its vCPUs exist, the
 * core calls each type's attach() in order.
 *
 * A device type attaches to a device bus: the virtio device page
 * (hv/virtio/bus.c) or the emulated PC (hv/hw/pc.c). A bus registers
 * itself with the domain once, through domain_add_bus(), with the hooks
 * below; they are all the core ever calls. Buses are found again by
 * their ops table (domain_find_bus), so the first device of a kind
 * creates its bus and later ones join it. */
#ifndef PVISOR_CORE_DEVICE_H
#define PVISOR_CORE_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct domain;
struct vcpu;

/* A kind of device a domain can be given. */
struct device_type {
	const char *name;                /* "virtio-blk", "ata-disk", ... */
	/* Adds one device, built from arg, to d: 0, or -1 after logging a
	 * one-line error. */
	int (*attach)(struct domain *d, const void *arg);
};

/* One device of a domain's configuration. arg must live as long as the
 * configuration. */
struct device_spec {
	const struct device_type *type;
	const void *arg;
};

/* A domain's device I/O so far, for the toolstack's rates. */
struct domain_io {
	uint64_t blk_requests;  /* block requests completed */
	uint64_t net_packets;   /* packets received and sent */
};

/* What a bus hooks into the domain core. Every hook but name may be NULL. */
struct bus_ops {
	const char *name;
	/* A bus that answers every port (the emulated PC: unowned ports read
	 * as all ones) is asked after all others. */
	bool catch_all_ports;
	/* Before the vCPUs run: 0, or -1 after logging. */
	int (*start)(void *bus);
	/* Teardown (buses go in reverse order of registration). Stops every
	 * thread of the bus before it returns. */
	void (*destroy)(void *bus);
	/* A KVM_EXIT_IO the core itself did not take (v->run describes it):
	 * true if the bus owns the port and handled it. */
	bool (*port_exit)(void *bus, struct vcpu *v);
	/* A KVM_EXIT_MMIO: true if handled. */
	bool (*mmio_exit)(void *bus, struct vcpu *v);
	/* PVISOR_HC_DEVICE_OP(cmd, index): a result, or -PVISOR_E*. */
	long (*device_op)(void *bus, uint64_t cmd, uint64_t index);
	/* Does a device hold guest page pfn (MEMORY_OP must not take it)? */
	bool (*pins_pfn)(void *bus, uint64_t pfn);
	/* --stats lines. */
	void (*print_stats)(void *bus, FILE *out);
	/* Adds the bus's I/O so far to *io (`pvisor info`, `top`); any thread. */
	void (*add_io)(void *bus, struct domain_io *io);
};

#define DOMAIN_MAX_BUSES 4

struct domain_bus {
	const struct bus_ops *ops;
	void *bus;
};

/* Registers a bus with d (during attach): 0, or -1 after logging. */
int domain_add_bus(struct domain *d, const struct bus_ops *ops, void *bus);
/* The bus registered with ops, or NULL. */
void *domain_find_bus(struct domain *d, const struct bus_ops *ops);

/* ---- For the core: the hooks of every bus, in order ---------------------- */

/* Attaches cfg->devices in order: 0, or -1 after logging. */
int domain_attach_devices(struct domain *d);
/* Does a bus answer every port (hybrid and full mode need the PC)? */
bool domain_has_catch_all_bus(struct domain *d);
int domain_start_buses(struct domain *d);
void domain_destroy_buses(struct domain *d);
bool domain_bus_port_exit(struct domain *d, struct vcpu *v);
bool domain_bus_mmio_exit(struct domain *d, struct vcpu *v);
/* -PVISOR_EINVAL when no bus serves DEVICE_OP (the domain has no PV device). */
long domain_bus_device_op(struct domain *d, uint64_t cmd, uint64_t index);
bool domain_bus_pins_pfn(struct domain *d, uint64_t pfn);
void domain_bus_print_stats(struct domain *d, FILE *out);
void domain_bus_add_io(struct domain *d, struct domain_io *io);

#endif

/* device.c: the domain's buses, and the core's calls into them
 * (device.h). The core asks buses in registration order, except that a
 * catch-all bus (the emulated PC) is kept behind every other. */
#include <string.h>

#include <pvisor/errno.h>

#include "core/domain.h"
#include "lib/log.h"

int domain_add_bus(struct domain *d, const struct bus_ops *ops, void *bus)
{
	unsigned at = d->nr_buses;

	if (d->nr_buses == DOMAIN_MAX_BUSES) {
		log_error("%s: too many device buses", ops->name);
		return -1;
	}
	if (!ops->catch_all_ports)
		while (at > 0 && d->buses[at - 1].ops->catch_all_ports)
			at--;
	memmove(&d->buses[at + 1], &d->buses[at], (d->nr_buses - at) * sizeof(d->buses[0]));
	d->buses[at] = (struct domain_bus){ ops, bus };
	d->nr_buses++;
	return 0;
}

void *domain_find_bus(struct domain *d, const struct bus_ops *ops)
{
	for (unsigned i = 0; i < d->nr_buses; i++)
		if (d->buses[i].ops == ops)
			return d->buses[i].bus;
	return NULL;
}

bool domain_has_catch_all_bus(struct domain *d)
{
	return d->nr_buses && d->buses[d->nr_buses - 1].ops->catch_all_ports;
}

int domain_attach_devices(struct domain *d)
{
	const struct domain_config *cfg = d->cfg;

	for (unsigned i = 0; i < cfg->nr_devices; i++)
		if (cfg->devices[i].type->attach(d, cfg->devices[i].arg) < 0)
			return -1;
	return 0;
}

int domain_start_buses(struct domain *d)
{
	for (unsigned i = 0; i < d->nr_buses; i++)
		if (d->buses[i].ops->start && d->buses[i].ops->start(d->buses[i].bus) < 0)
			return -1;
	return 0;
}

void domain_destroy_buses(struct domain *d)
{
	while (d->nr_buses > 0) {
		struct domain_bus *b = &d->buses[--d->nr_buses];

		if (b->ops->destroy)
			b->ops->destroy(b->bus);
	}
}

bool domain_bus_port_exit(struct domain *d, struct vcpu *v)
{
	for (unsigned i = 0; i < d->nr_buses; i++)
		if (d->buses[i].ops->port_exit && d->buses[i].ops->port_exit(d->buses[i].bus, v))
			return true;
	return false;
}

bool domain_bus_mmio_exit(struct domain *d, struct vcpu *v)
{
	for (unsigned i = 0; i < d->nr_buses; i++)
		if (d->buses[i].ops->mmio_exit && d->buses[i].ops->mmio_exit(d->buses[i].bus, v))
			return true;
	return false;
}

long domain_bus_device_op(struct domain *d, uint64_t cmd, uint64_t index)
{
	for (unsigned i = 0; i < d->nr_buses; i++)
		if (d->buses[i].ops->device_op)
			return d->buses[i].ops->device_op(d->buses[i].bus, cmd, index);
	return -PVISOR_EINVAL;   /* no PV device at any index */
}

bool domain_bus_pins_pfn(struct domain *d, uint64_t pfn)
{
	for (unsigned i = 0; i < d->nr_buses; i++)
		if (d->buses[i].ops->pins_pfn && d->buses[i].ops->pins_pfn(d->buses[i].bus, pfn))
			return true;
	return false;
}

void domain_bus_add_io(struct domain *d, struct domain_io *io)
{
	for (unsigned i = 0; i < d->nr_buses; i++)
		if (d->buses[i].ops->add_io)
			d->buses[i].ops->add_io(d->buses[i].bus, io);
}

void domain_bus_print_stats(struct domain *d, FILE *out)
{
	for (unsigned i = 0; i < d->nr_buses; i++)
		if (d->buses[i].ops->print_stats)
			d->buses[i].ops->print_stats(d->buses[i].bus, out);
}

/* machine.h: the emulated PC of hybrid and full mode (docs/full-virt.md):
 * the in-kernel irqchip, the port bus with its device models (UART, PIT,
 * RTC, ATA, RTL8139), the exit port, and how a vCPU's port, MMIO and
 * event exits reach them. A PV domain has no machine. */
#ifndef PVISOR_MACHINE_H
#define PVISOR_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct domain;
struct vcpu;

/* Creates the in-kernel irqchip. Must run before the first vCPU exists. */
int machine_create_irqchip(struct domain *d);
/* Builds the device models of d->cfg->mode. 0, or -1 after logging. */
int machine_create(struct domain *d);
/* Starts the event loop (timers, TAP, console input). */
int machine_start(struct domain *d);
void machine_destroy(struct domain *d);

/* A KVM_EXIT_IO of a hybrid/full guest that PV handling did not take. */
void machine_pio_exit(struct vcpu *v);
/* A KVM_EXIT_MMIO: unowned addresses read as all ones, writes vanish. */
void machine_mmio_exit(struct vcpu *v);
/* Event-channel notification in hybrid mode: pulse the events IRQ. */
void machine_event_notify(void *domain, unsigned vcpu);

void machine_print_stats(struct domain *d, FILE *out);

#endif

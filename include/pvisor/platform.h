/* platform.h: how one guest binary learns which machine it runs on, and
 * the fixed hardware of the emulated PC in hybrid and full mode
 * (docs/full-virt.md is the whole contract).
 *
 * CPUID leaf PVISOR_CPUID_BASE returns ebx:ecx:edx = "pvisorpvisor" when
 * pvisor's interface is offered (pv and hybrid mode); leaf
 * PVISOR_CPUID_FEATURES returns eax = ABI version, ebx = PVISOR_CPUID_PV_*.
 * In full mode the signature is absent. */
#ifndef PVISOR_PLATFORM_H
#define PVISOR_PLATFORM_H

#include "abi.h"

#define PVISOR_CPUID_BASE        0x40000000u
#define PVISOR_CPUID_FEATURES    0x40000001u
#define PVISOR_CPUID_SIGNATURE   "pvisorpvisor"   /* ebx, ecx, edx */

#define PVISOR_CPUID_PV_CPU      (1u << 0) /* CPL3, hypercalls, upcalls, PV MMU/clock */
#define PVISOR_CPUID_PV_DEVICES  (1u << 1) /* device page, virtqueues, event channels */

/* The boot loader's tables in hybrid/full mode (guest-physical). */
#define PVISOR_BOOT_GDT          0x8000u
#define PVISOR_BOOT_PML4         0x9000u

/* The exit port: a 32-bit write ends the domain. */
#define PVISOR_EXIT_PORT         0x501u
#define PVISOR_EXITPORT_STATUS_MASK  0xffu
#define PVISOR_EXITPORT_REASON_SHIFT 8
#define PVISOR_EXITPORT_POWEROFF     0u
#define PVISOR_EXITPORT_REBOOT       1u
#define PVISOR_EXITPORT_CRASH        2u

/* ISA interrupt lines: edge, active high, on IOAPIC pin n = IRQ n except
 * IRQ 0, which arrives on pin 2, as in the MP specification's default
 * configuration and on other PCs (QEMU's; ACPI's override of IRQ 0). */
#define PVISOR_IRQ_PIT           0u
#define PVISOR_IOAPIC_PIN_PIT    2u
#define PVISOR_IRQ_COM1          4u
#define PVISOR_IRQ_EVENTS        5u   /* hybrid: event channel upcall */
#define PVISOR_IRQ_RTC           8u
#define PVISOR_IRQ_NIC1          10u
#define PVISOR_IRQ_NIC0          11u
#define PVISOR_IRQ_ATA0          14u

/* I/O port bases. */
#define PVISOR_PORT_PIT          0x40u
#define PVISOR_PORT_PORTB        0x61u
#define PVISOR_PORT_CMOS         0x70u
#define PVISOR_PORT_ATA0         0x1f0u
#define PVISOR_PORT_ATA0_CTL     0x3f6u
#define PVISOR_PORT_COM1         0x3f8u
#define PVISOR_PORT_NIC0         0xc000u
#define PVISOR_PORT_NIC1         0xc100u

#define PVISOR_LAPIC_GPA         0xfee00000u
#define PVISOR_IOAPIC_GPA        0xfec00000u

#endif

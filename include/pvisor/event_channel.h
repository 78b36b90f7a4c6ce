/* event_channel.h: event channels, pvisor's only interrupt mechanism.
 *
 * A port is a numbered endpoint with a pending bit and a mask bit in the
 * shared info page. Raising an unmasked port sets its pending bit, its
 * word's bit in the vCPU's evtchn_pending_sel and upcall_pending, and
 * delivers an upcall if upcall_mask is clear (or wakes a blocked vCPU).
 *
 * PVISOR_HC_EVENT_CHANNEL_OP(cmd, a, b):
 *   PVISOR_EVTCHN_BIND_VIRQ(virq)        -> new port raised by that virtual
 *       IRQ. -EINVAL for an unknown virq, -EEXIST if it is already bound.
 *   PVISOR_EVTCHN_ALLOC_UNBOUND(remote)  -> new port that domain `remote`
 *       (PVISOR_DOMID_SELF for this one) may connect to. remote
 *       PVISOR_DOMID_BACKEND (device.h) offers the port to the backends of
 *       this domain's devices: PVISOR_DEVICE_START binds it.
 *   PVISOR_EVTCHN_BIND_INTERDOMAIN(remote, rport) -> new local port
 *       connected to unbound port rport of domain remote; sending on either
 *       end raises the other. -EINVAL if rport is not unbound for us.
 *   PVISOR_EVTCHN_SEND(port)             -> 0; raises the peer of an
 *       interdomain port. -EINVAL if port is not connected.
 *   PVISOR_EVTCHN_CLOSE(port)            -> 0; frees the port (its peer, if
 *       any, becomes unbound). Pending/mask bits are cleared. -EBUSY for a
 *       port a running device is bound to (reset the device first).
 *   PVISOR_EVTCHN_UNMASK(port)           -> 0; clears the mask bit and, if
 *       the port is pending, delivers it as if newly raised.
 * Every command returns -EINVAL for a port outside [1, NR_EVENT_PORTS) or
 * one that is not allocated, -ENOMEM when no port is free. */
#ifndef PVISOR_EVENT_CHANNEL_H
#define PVISOR_EVENT_CHANNEL_H

#include "shared_info.h"

#define PVISOR_EVTCHN_BIND_VIRQ          0
#define PVISOR_EVTCHN_ALLOC_UNBOUND      1
#define PVISOR_EVTCHN_BIND_INTERDOMAIN   2
#define PVISOR_EVTCHN_SEND               3
#define PVISOR_EVTCHN_CLOSE              4
#define PVISOR_EVTCHN_UNMASK             5

#define PVISOR_DOMID_SELF                0x7ff0u

/* Virtual IRQs. */
#define PVISOR_VIRQ_TIMER    0  /* the one-shot timer expired           */
#define PVISOR_VIRQ_CONSOLE  1  /* console input is available           */
#define PVISOR_VIRQ_CONTROL  2  /* the toolstack asks something of the guest:
                                   shared_info.control_request says what */
#define PVISOR_NR_VIRQS      3

#endif

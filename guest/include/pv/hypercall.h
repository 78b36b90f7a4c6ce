/* pv/hypercall.h: raw hypercalls (guest/arch/x86_64/hypercall.h), for
 * programs that want to talk to the hypervisor directly, such as the
 * hostile test guests. Prefer the pv/ functions otherwise. */
#ifndef PV_HYPERCALL_H
#define PV_HYPERCALL_H

#include "../../arch/x86_64/hypercall.h"

#endif

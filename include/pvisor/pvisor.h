/* pvisor.h: the whole pvisor guest ABI in one include. */
#ifndef PVISOR_PVISOR_H
#define PVISOR_PVISOR_H

#include "abi.h"
#include "errno.h"
#include "hypercall.h"
#include "start_info.h"
#include "shared_info.h"
#include "event_channel.h"
#include "mmu.h"
#include "memory.h"
#include "callback.h"
#include "device.h"
#include "platform.h"

#endif

/* pv/pv.h: the whole pvisor guest programming interface in one include.
 * docs/guest.md is the guide; each header documents its own functions. */
#ifndef PV_PV_H
#define PV_PV_H

#include <pv/kernel.h>
#include <pv/console.h>
#include <pv/time.h>
#include <pv/thread.h>
#include <pv/sync.h>
#include <pv/events.h>
#include <pv/mm.h>
#include <pv/trap.h>

#endif

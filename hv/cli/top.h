/* top.h: `pvisor top [--interval SECONDS] [--iterations N]`: live
 * per-domain rates (like xentop), a client of the control API. */
#ifndef PVISOR_TOP_H
#define PVISOR_TOP_H

/* argv[0] is "top". Returns an exit status. */
int ctl_top(int argc, char **argv);

#endif

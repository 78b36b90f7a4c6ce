/* errno.h: error codes returned (negated) by pvisor hypercalls.
 * The values are Linux's, so a guest C library can pass them through. */
#ifndef PVISOR_ERRNO_H
#define PVISOR_ERRNO_H

#define PVISOR_EPERM      1   /* operation not permitted (e.g. writable map of a hypervisor page) */
#define PVISOR_ENOENT     2   /* no such object (e.g. page not populated) */
#define PVISOR_E2BIG      7   /* argument list / batch too long */
#define PVISOR_EAGAIN    11   /* try again (e.g. no console input yet) */
#define PVISOR_ENOMEM    12   /* out of hypervisor resources (page-table pool, ports) */
#define PVISOR_EFAULT    14   /* guest pointer not mapped with the needed access */
#define PVISOR_EBUSY     16   /* object in use (e.g. page still mapped) */
#define PVISOR_EEXIST    17   /* already exists (e.g. VIRQ already bound) */
#define PVISOR_EINVAL    22   /* invalid argument */
#define PVISOR_ENOSYS    38   /* unknown hypercall or sub-command */

#endif

/* ctl.h: the toolstack verbs, thin clients of the daemon's control API
 * (docs/api.md): pvisor daemon, create, list, and the verbs on one domain
 * (destroy, pause, unpause, shutdown, reboot, info, wait, console). */
#ifndef PVISOR_CTL_H
#define PVISOR_CTL_H

#include <stdbool.h>

/* Each takes the command's argv (argv[0] is the verb) and returns pvisor's
 * exit status. */
int ctl_daemon(int argc, char **argv);
int ctl_create(int argc, char **argv);
int ctl_list(int argc, char **argv);
/* argv[0] is one of the verbs on one domain. */
int ctl_domain_verb(int argc, char **argv);
bool ctl_is_domain_verb(const char *verb);

#endif

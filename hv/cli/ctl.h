/* ctl.h: the toolstack verbs, thin clients of the daemon's control API
 * (docs/api.md): pvisor daemon, create, list, destroy. */
#ifndef PVISOR_CTL_H
#define PVISOR_CTL_H

/* Each takes the command's argv (argv[0] is the verb) and returns pvisor's
 * exit status. */
int ctl_daemon(int argc, char **argv);
int ctl_create(int argc, char **argv);
int ctl_list(int argc, char **argv);
int ctl_destroy(int argc, char **argv);

#endif

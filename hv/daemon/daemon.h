/* daemon.h: `pvisor daemon`, the control plane of many domains: the
 * domain table behind a UNIX socket that speaks the control API
 * (docs/api.md). Runs in the foreground. */
#ifndef PVISOR_DAEMON_H
#define PVISOR_DAEMON_H

#define PVISOR_DEFAULT_SOCKET "/run/pvisor/control.sock"
#define PVISOR_DEFAULT_STATE_DIR "/var/lib/pvisor"

#define PVISOR_DEFAULT_CGROUP "pvisor"

/* Serves until SIGTERM or SIGINT. SELF_EXE is the pvisor binary the domain
 * processes run; CGROUP names the directory of domain cgroups at the top
 * of the host's cpu hierarchy (daemon/cgroups.h). Returns an exit status. */
int daemon_main(const char *socket_path, const char *state_dir, const char *self_exe, const char *cgroup,
		bool jail);

#endif

/* domctl.h: a domain's own control socket. A `pvisor run` given
 * --control-socket PATH serves it on a thread of its own, so that the
 * daemon (and so the toolstack) can reach the domain without being its
 * parent: after a daemon restart it connects again (design §10). One JSON
 * request per line, the daemon's reply shape (docs/api.md "The domain
 * socket"): info, pause, unpause, shutdown, reboot, console. */
#ifndef PVISOR_DOMCTL_H
#define PVISOR_DOMCTL_H

struct console;
struct domain;
struct domctl;

/* Listens on PATH (a stale socket file is replaced; a live one is an
 * error) and serves it until domctl_stop. console_in is the write end of
 * the console's input pipe: an attached console client's keys go there.
 * Returns NULL after an error message. */
struct domctl *domctl_start(const char *path, struct console *console, int console_in);

/* The domain that requests act on: set after each boot, NULL while there
 * is none (between a reboot's destroy and the next build). */
void domctl_set_domain(struct domctl *ctl, struct domain *d);

/* Stops serving and removes the socket. */
void domctl_stop(struct domctl *ctl);

#endif

/* console_client.h: `pvisor console NAME`: the terminal end of a domain's
 * console, over the connection the daemon passes (docs/api.md "console"). */
#ifndef PVISOR_CONSOLE_CLIENT_H
#define PVISOR_CONSOLE_CLIENT_H

/* Relays the connection to the terminal (raw mode when stdin is one) until
 * the user presses Ctrl-] (0, the guest runs on) or the domain ends (0).
 * Closes fd. Returns an exit status. */
int console_client_run(int fd, const char *name);

#endif

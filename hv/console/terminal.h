/* terminal.h: raw mode for pvisor's controlling terminal while a guest
 * owns it through the virtio console, restored on every way out (normal
 * exit, error exit, fatal signal). In raw mode Ctrl-C goes to the guest;
 * the escape key Ctrl-] stops the guest instead. */
#ifndef PVISOR_TERMINAL_H
#define PVISOR_TERMINAL_H

#include <stdbool.h>

#define TERMINAL_ESCAPE 0x1d   /* Ctrl-] */

/* Puts fd's terminal in raw mode if fd is a terminal (idempotent).
 * Returns true when raw mode is on. */
bool terminal_enter_raw(int fd);
/* Restores the saved mode (idempotent; async-signal-safe). */
void terminal_restore(void);

#endif

/* host_files.h: the host files a domain opens at every boot, kept open
 * across boots so that a confined pvisor never opens a path again
 * (docs/confinement.md, "The jail").
 *
 * Before `pvisor run --jail` leaves the host's file system and its root
 * user, it opens what a boot needs once, with keeping on: /dev/kvm, the
 * guest image, every disk image (and an overlay's base) and every TAP
 * device. Each boot then opens them through this table and gets a
 * duplicate of the kept descriptor, rewound to offset 0. Without keeping
 * (no --jail) the table stays empty and every call is a plain open. */
#ifndef PVISOR_HOST_FILES_H
#define PVISOR_HOST_FILES_H

#include <stdbool.h>

/* While on, every file opened through host_file_open and every TAP noted
 * with host_file_note is kept. */
void host_files_keep(bool on);

/* open(path, flags): a duplicate of the kept (path, flags) if there is
 * one, else the file itself (kept too while keeping is on). -1 and errno
 * as open's. */
int host_file_open(const char *path, int flags);

/* A duplicate of what was noted under key (a TAP: "tap:NAME"), or -1. */
int host_file_kept(const char *key);

/* Keeps a duplicate of fd under key, if keeping is on. 0, or -1 (errno). */
int host_file_note(const char *key, int fd);

/* How many files are kept (for tests and --verbose). */
unsigned host_files_count(void);

#endif

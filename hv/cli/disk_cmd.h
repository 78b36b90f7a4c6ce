/* disk_cmd.h: `pvisor disk ...`, the commands that manage disk images
 * (create-overlay, commit, info). */
#ifndef PVISOR_BLK_DISK_CMD_H
#define PVISOR_BLK_DISK_CMD_H

/* argv[0] is "disk". Returns the exit status: 0, or PVISOR_EXIT_ERROR
 * after one line on stderr. */
int disk_command(int argc, char **argv);

#endif

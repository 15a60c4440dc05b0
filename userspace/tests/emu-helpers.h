/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CHIPKEY_EMU_HELPERS_H
#define CHIPKEY_EMU_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Write a fuse image with @chip_id, a random (or all-@fill) key, an EC ROM key. */
int th_make_state(const char *path, const uint8_t chip_id[16], int unprogrammed,
		  uint8_t fill, mode_t mode, uint8_t *rom_der, size_t *rom_len);
/*
 * Start chipkey-emu in the foreground with stderr to @log; wait until the
 * socket accepts connections.  Returns the pid, or -1 (the process exited:
 * *status has its wait status).
 */
pid_t th_start_emu(const char *bin, const char *state, const char *sock,
		   const char *log, const char *extra_arg, const char *extra_val,
		   int *status);
/* SIGTERM and reap; returns the wait status. */
int th_stop_emu(pid_t pid);
/* Does @path contain @needle? */
int th_file_contains(const char *path, const char *needle);

#endif

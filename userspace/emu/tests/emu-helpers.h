/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the emulator tests: state files, starting and stopping
 * chipkey-emu, raw protocol frames (include/chipkey/emu_messages.h).
 */
#ifndef CHIPKEY_EMU_HELPERS_H
#define CHIPKEY_EMU_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/chipkey.h>

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

/* Connect to the emulator at @sock (10 s receive timeout); fd or -1. */
int th_raw_connect(const char *sock);
/* Read exactly @len bytes from @fd.  0, or -1 if it closed or failed. */
int th_read_full(int fd, uint8_t *p, size_t len);
/* Send a request frame: header with @magic and @cmd, then @len bytes. 0/-1. */
int th_raw_send(int fd, uint32_t magic, uint32_t cmd, const void *payload,
		uint32_t len);
/*
 * Read a reply, its payload (at most @cap bytes) into @payload and its
 * length into *@plen (if not NULL).  Its status, or 1 if the connection
 * closed or failed or the reply is not one.
 */
int th_raw_recv(int fd, uint8_t *payload, size_t cap, size_t *plen);
/*
 * One wrap/unwrap request over a new connection: @x, then @dlen bytes of
 * @data.  The reply's status, or 1 / -1 if the connection failed.
 */
int th_raw_xfer(const char *sock, uint32_t cmd, const struct chipkey_xfer *x,
		const uint8_t *data, size_t dlen);

/*
 * The hex value of @key in the block "name = @name" of a test vector file
 * (docs/test-vectors/attest-v1.txt) into a new buffer *@out (free() it,
 * never NULL on success) of *@len bytes.  0, -ENOENT or -EINVAL.
 */
int th_vec_hex(const char *file, const char *name, const char *key,
	       uint8_t **out, size_t *len);

#endif

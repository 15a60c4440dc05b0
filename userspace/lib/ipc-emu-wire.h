/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libchipkey emulator backend: the request/reply frames (ipc-emu-wire.c),
 * used by the per-request code of ipc-emu.c.  Not an API.
 */
#ifndef CHIPKEY_LIB_IPC_EMU_WIRE_H
#define CHIPKEY_LIB_IPC_EMU_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Input bytes of a request: up to two buffers sent after the structure. */
struct emu_data {
	const void *p[2];
	size_t len[2];
};

/*
 * One request and its reply.  Returns 0 with *status set, or a transport
 * error; *broken is set whenever the connection cannot be used again.
 * A reply larger than @dst_cap comes back in *spill (malloc'd, @plen bytes
 * of payload after the structure): free it with ck_emu_drop_spill().
 */
int ck_emu_transact(int fd, unsigned int cmd, const uint8_t *st_out,
		    size_t st_out_len, const struct emu_data *data,
		    uint8_t *st_in, size_t st_in_len, void *dst,
		    size_t dst_cap, int *status, size_t *plen,
		    uint8_t **spill, int *broken);

/* Wipe and free a spilled reply (it may hold plaintext). */
void ck_emu_drop_spill(uint8_t *spill, size_t plen, size_t st_len);

#endif /* CHIPKEY_LIB_IPC_EMU_WIRE_H */

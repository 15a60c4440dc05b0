/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CHIPKEY_EMU_SERVER_H
#define CHIPKEY_EMU_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include "chip.h"

/*
 * Answer one request (already read: command and payload) for @chip.
 * @privileged: the peer may wrap/unwrap.  Returns a malloc'ed reply frame
 * (header included) in *reply / *reply_len, or NULL on out-of-memory.
 */
void ck_emu_handle(const struct ck_chip *chip, int privileged, uint32_t cmd,
		   const uint8_t *payload, size_t len, uint8_t **reply,
		   size_t *reply_len);

/* Build a reply frame with just a status (no payload). */
uint8_t *ck_emu_status_frame(int status, size_t *reply_len);

#endif /* CHIPKEY_EMU_SERVER_H */

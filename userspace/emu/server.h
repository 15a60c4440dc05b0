/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CHIPKEY_EMU_SERVER_H
#define CHIPKEY_EMU_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <chipkey/emu_messages.h>
#include "chip.h"

/* Size of a buffer that holds any reply frame. */
#define CK_EMU_REPLY_BUF	(CK_EMU_HDR_LEN + CK_EMU_MAX_PAYLOAD)

/*
 * Answer one request (already read: command and payload) for @chip.
 * @privileged: the peer may wrap/unwrap.  Writes the reply frame (header
 * included) into @reply, which must hold CK_EMU_REPLY_BUF bytes, and returns
 * its length.  @payload and @reply must not overlap.
 */
size_t ck_emu_handle(const struct ck_chip *chip, int privileged, uint32_t cmd,
		     const uint8_t *payload, size_t len,
		     uint8_t reply[CK_EMU_REPLY_BUF]);

/* Write a reply frame with just a status (no payload); returns its length. */
size_t ck_emu_status_frame(int status, uint8_t buf[CK_EMU_HDR_LEN]);

#endif /* CHIPKEY_EMU_SERVER_H */

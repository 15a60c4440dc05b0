// SPDX-License-Identifier: GPL-2.0
/*
 * The frames of modes 3 and 4 on the connected socket: a 4-byte header
 * (<chipkey/link_cms.h>), then at most CK_LINK_FRAME_MAX bytes of body.
 * A frame must arrive whole within ck_link_frame_timeout_ms of the start
 * of ck_link_frame_recv(): a peer that stalls cannot hold a connection.
 * The I/O (deadline reads, header-then-body writes) is frame-io.c's, shared
 * with the mode-2 frame; only the header format is this file's.
 */
#include <errno.h>
#include <stdlib.h>

#include "link/link-cms.h"

int ck_link_frame_send(int fd, uint8_t type, const uint8_t *body, size_t len)
{
	struct ck_link_frame_hdr h = { .type = type, .len = (uint16_t)len };
	uint8_t hdr[CK_LINK_FRAME_HDR_LEN];
	int err;

	if (len > CK_LINK_FRAME_MAX)
		return ck_link_fail(-EMSGSIZE, "frame of %zu bytes: over %d", len,
				    CK_LINK_FRAME_MAX);
	ck_link_frame_hdr_encode(&h, hdr);
	err = ck_link_frame_write(fd, hdr, sizeof(hdr), body, len);
	return err ? ck_link_fail(err, "send: %s", "write failed") : 0;
}

int ck_link_frame_timeout_ms = CK_LINK_FRAME_TIMEOUT_MS;

int ck_link_frame_recv(int fd, uint8_t type, uint8_t **body, size_t *len)
{
	uint8_t hdr[CK_LINK_FRAME_HDR_LEN];
	struct ck_link_frame_hdr h;
	int64_t deadline = ck_link_now_ms() + ck_link_frame_timeout_ms;
	uint8_t *b;
	int err;

	*body = NULL;
	*len = 0;
	err = ck_link_read_until(fd, hdr, sizeof(hdr), deadline);
	if (err)
		return ck_link_fail(err, "receive: %s", err == -ECONNRESET ?
				    "the peer closed the connection" : err == -ETIMEDOUT ?
				    "no whole frame header before the deadline" : "read failed");
	err = ck_link_frame_hdr_decode(hdr, &h);
	if (err)
		return ck_link_fail(err, "frame header: %s", err == -EMSGSIZE ?
				    "body over the limit" : "nonzero reserved byte");
	if (h.type != type)
		return ck_link_fail(-EPROTO, "frame type 0x%02x, expected 0x%02x", h.type, type);
	b = malloc(h.len ? h.len : 1);
	if (!b)
		return -ENOMEM;
	err = ck_link_read_until(fd, b, h.len, deadline);
	if (err) {
		free(b);
		return ck_link_fail(err, "frame body: %s (%u bytes announced)",
				    err == -ETIMEDOUT ? "not whole before the deadline" :
				    "truncated", h.len);
	}
	*body = b;
	*len = h.len;
	return 0;
}

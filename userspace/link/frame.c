// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The mode-2 frame (link.h): a u32 length, at most CK_LINK_FRAME_MAX of
 * <chipkey/link_messages.h>, then the body; the I/O is frame-io.c's, shared
 * with the mode-3/4 frame (link-cms-frame.c).  Mode 2 has no deadline of
 * its own: the server bounds the time a peer may take (chipkey-service's
 * deadline watchdog shuts the socket down).
 */
#include <errno.h>

#include <chipkey/byteorder.h>
#include <chipkey/link_messages.h>
#include "link.h"

int ck_link_msg_send(int fd, const void *body, size_t len)
{
	uint8_t hdr[CK_LINK_FRAME_HDR];

	if (len > CK_LINK_FRAME_MAX)
		return -EMSGSIZE;
	ck_put_be32(hdr, (uint32_t)len);
	return ck_link_frame_write(fd, hdr, sizeof(hdr), body, len);
}

int ck_link_msg_recv(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	uint8_t hdr[CK_LINK_FRAME_HDR];
	uint32_t n;
	int err = ck_link_read_full(fd, hdr, sizeof(hdr));

	if (err)
		return err;
	n = ck_get_be32(hdr);
	if (n > CK_LINK_FRAME_MAX || n > cap)
		return -EMSGSIZE;
	*len = n;
	return ck_link_read_full(fd, buf, n);
}

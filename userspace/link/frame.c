// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Blocking socket I/O of the pre-TLS exchange (link.h): whole reads and
 * writes, and length-prefixed frames bounded by CK_LINK_FRAME_MAX.  The
 * server bounds the time a peer may take (chipkey-service's deadline
 * watchdog shuts the socket down).
 */
#include <errno.h>
#include <unistd.h>

#include <chipkey/byteorder.h>
#include <chipkey/link_messages.h>
#include "common/file.h"
#include "link.h"

int ck_link_read_full(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECONNRESET;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int ck_link_write_full(int fd, const void *buf, size_t n)
{
	return ck_file_write_all(fd, buf, n);	/* callers ignore SIGPIPE */
}

int ck_link_msg_send(int fd, const void *body, size_t len)
{
	uint8_t hdr[CK_LINK_FRAME_HDR];
	int err;

	if (len > CK_LINK_FRAME_MAX)
		return -EMSGSIZE;
	ck_put_be32(hdr, (uint32_t)len);
	err = ck_link_write_full(fd, hdr, sizeof(hdr));
	return err ? err : ck_link_write_full(fd, body, len);
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

// SPDX-License-Identifier: GPL-2.0
/*
 * The frames of modes 3 and 4 on the connected socket: a 4-byte header
 * (<chipkey/link_cms.h>), then at most CK_LINK_FRAME_MAX bytes of body.
 * A frame must arrive whole within ck_link_frame_timeout_ms of the start
 * of ck_link_frame_recv(): a peer that stalls cannot hold a connection.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
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
	err = ck_file_write_all(fd, hdr, sizeof(hdr));
	if (!err)
		err = ck_file_write_all(fd, body, len);
	return err ? ck_link_fail(err, "send: %s", "write failed") : 0;
}

int ck_link_frame_timeout_ms = CK_LINK_FRAME_TIMEOUT_MS;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Exactly @len bytes before @deadline (monotonic ms), retrying on EINTR;
 * -ECONNRESET at end of file, -ETIMEDOUT past the deadline. */
static int read_full(int fd, uint8_t *buf, size_t len, int64_t deadline)
{
	while (len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			continue;	/* the deadline is checked above */
		n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int ck_link_frame_recv(int fd, uint8_t type, uint8_t **body, size_t *len)
{
	uint8_t hdr[CK_LINK_FRAME_HDR_LEN];
	struct ck_link_frame_hdr h;
	int64_t deadline = now_ms() + ck_link_frame_timeout_ms;
	uint8_t *b;
	int err;

	*body = NULL;
	*len = 0;
	err = read_full(fd, hdr, sizeof(hdr), deadline);
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
	err = read_full(fd, b, h.len, deadline);
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

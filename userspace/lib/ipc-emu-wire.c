// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libchipkey emulator backend, the wire: one request frame out and its
 * reply in, over the Unix socket of a chipkey-emu process (ipc-emu-wire.h).
 * Format: include/chipkey/emu_messages.h and docs/emulator-protocol.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chipkey/emu_messages.h>
#include "ipc-emu-wire.h"
/* Send all of @iov (modified), restarting after partial writes. */
static int send_iov(int fd, struct iovec *iov, int iovcnt)
{
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };

	while (m.msg_iovlen) {
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
		size_t left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left = (size_t)n;
		while (m.msg_iovlen && left >= m.msg_iov->iov_len) {
			left -= m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen) {
			m.msg_iov->iov_base = (uint8_t *)m.msg_iov->iov_base + left;
			m.msg_iov->iov_len -= left;
		}
	}
	return 0;
}

/* Read at least @min and at most @max bytes; returns the count or -errno. */
static ssize_t read_some(int fd, void *buf, size_t min, size_t max)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < min) {
		ssize_t n = read(fd, p + got, max - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;	/* emulator went away */
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int read_all(int fd, void *buf, size_t len)
{
	ssize_t n = read_some(fd, buf, len, len);

	return n < 0 ? (int)n : 0;
}

/*
 * Send header + struct + data with one sendmsg: the input bytes go from the
 * caller's buffers to the socket, never through a copy.
 */
static int send_request(int fd, unsigned int cmd, const uint8_t *st,
			size_t st_len, const struct emu_data *d)
{
	struct ck_emu_req_hdr h = {
		.magic = CK_EMU_REQ_MAGIC,
		.version = CK_EMU_PROTO_VERSION,
		.cmd = cmd,
		.len = (uint32_t)(st_len + (d ? d->len[0] + d->len[1] : 0)),
	};
	uint8_t hb[CK_EMU_HDR_LEN];
	struct iovec iov[4];
	int i;
	int n = 0;

	ck_emu_req_hdr_encode(&h, hb);
	iov[n].iov_base = hb;
	iov[n++].iov_len = sizeof(hb);
	if (st_len) {
		iov[n].iov_base = (void *)st;
		iov[n++].iov_len = st_len;
	}
	for (i = 0; d && i < 2; i++) {
		if (d->len[i]) {
			iov[n].iov_base = (void *)d->p[i];
			iov[n++].iov_len = d->len[i];
		}
	}
	return send_iov(fd, iov, n);
}

#define ST_MAX	CK_EMU_ATTEST_LEN	/* the largest structure */

/*
 * Receive a reply whose payload is a structure of @st_len bytes followed by
 * output bytes.  On return *status is the emulator's status, *plen the
 * payload length, the first min(*plen, @st_len) payload bytes are in @st;
 * the output bytes (*plen - @st_len, if positive) are read straight into
 * @dst when the status is 0 and they fit in @dst_cap, else into *spill
 * (malloc'ed; the caller rejects such a reply).
 *
 * The header and the structure are asked for with one read: a reply is
 * never shorter than its header, and the emulator sends nothing but the
 * reply to a request, so this never consumes bytes of anything else.
 */
static int recv_reply(int fd, uint8_t *st, size_t st_len, void *dst,
		      size_t dst_cap, int *status, size_t *plen,
		      uint8_t **spill)
{
	uint8_t buf[CK_EMU_HDR_LEN + ST_MAX];
	struct ck_emu_reply_hdr h;
	size_t have, st_n, rest;
	ssize_t got;
	int ret;

	*spill = NULL;
	got = read_some(fd, buf, CK_EMU_HDR_LEN, CK_EMU_HDR_LEN + st_len);
	if (got < 0)
		return (int)got;
	ck_emu_reply_hdr_decode(buf, &h);
	if (h.magic != CK_EMU_REPLY_MAGIC || h.version != CK_EMU_PROTO_VERSION ||
	    h.len > CK_EMU_MAX_PAYLOAD || h.status > 0)
		return -EPROTO;
	have = (size_t)got - CK_EMU_HDR_LEN;
	if (have > h.len)
		return -EPROTO;		/* more bytes than the frame holds */
	st_n = h.len < st_len ? h.len : st_len;
	memcpy(st, buf + CK_EMU_HDR_LEN, have);
	if (have < st_n) {
		ret = read_all(fd, st + have, st_n - have);
		if (ret)
			return ret;
	}
	rest = h.len - st_n;
	if (rest) {
		uint8_t *to = dst;

		if (h.status != 0 || rest > dst_cap) {
			to = malloc(rest);
			if (!to)
				return -ENOMEM;
			*spill = to;
		}
		ret = read_all(fd, to, rest);
		if (ret) {
			if (*spill) {
				explicit_bzero(*spill, rest);
				free(*spill);
				*spill = NULL;
			} else {
				explicit_bzero(to, rest);
			}
			return ret;
		}
	}
	*status = h.status;
	*plen = h.len;
	return 0;
}

/*
 * One request and its reply.  Returns 0 with *status set, or a transport
 * error; *broken is set whenever the connection cannot be used again.
 *
 * A failed send is not the end: an emulator that refuses a connection
 * (-EBUSY: too many connections) answers with one status frame before it
 * hangs up, and that frame is still there to be read.
 */
int ck_emu_transact(int fd, unsigned int cmd, const uint8_t *st_out,
		    size_t st_out_len, const struct emu_data *data,
		    uint8_t *st_in, size_t st_in_len, void *dst, size_t dst_cap,
		    int *status, size_t *plen, uint8_t **spill, int *broken)
{
	int sret, ret;

	*spill = NULL;
	sret = send_request(fd, cmd, st_out, st_out_len, data);
	if (sret && sret != -EPIPE && sret != -ECONNRESET) {
		*broken = 1;
		return sret;
	}
	ret = recv_reply(fd, st_in, st_in_len, dst, dst_cap, status, plen,
			 spill);
	if (ret || sret)
		*broken = 1;
	if (ret)
		return sret ? sret : ret;
	return 0;
}

void ck_emu_drop_spill(uint8_t *spill, size_t plen, size_t st_len)
{
	if (spill) {
		explicit_bzero(spill, plen - st_len);	/* may hold plaintext */
		free(spill);
	}
}

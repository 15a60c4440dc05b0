// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Provisioning protocol framing (see frame.h): the frame header codec and
 * reading/writing one whole frame over TLS with the body limit, the socket
 * timeouts and the connection deadline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <openssl/crypto.h>

#include <chipkey/byteorder.h>
#include "common/crashpoint.h"
#include "proto/frame.h"

#ifdef CK_CRASH_HOOKS
/* Test builds: crash points "send:TYPE", "sent:TYPE", "recv:TYPE". */
static void frame_crash_point(const char *what, uint16_t type)
{
	char name[32];

	snprintf(name, sizeof(name), "%s:%s", what, spp_type_name(type));
	CK_CRASH_POINT(name);
}
#else
#define frame_crash_point(what, type) do { } while (0)
#endif

time_t spp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int spp_set_timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

/* Header: body length u32, type u16, version u16 (docs: "Framing"). */
void spp_header_encode(const struct ck_spp_header *h, uint8_t out[CK_SPP_FRAME_HDR_LEN])
{
	ck_put_be32(out, h->body_len);
	ck_put_be16(out + CK_SPP_LEN_U32, h->type);
	ck_put_be16(out + CK_SPP_LEN_U32 + CK_SPP_LEN_U16, h->version);
}

void spp_header_decode(const uint8_t in[CK_SPP_FRAME_HDR_LEN], struct ck_spp_header *h)
{
	h->body_len = ck_get_be32(in);
	h->type = ck_get_be16(in + CK_SPP_LEN_U32);
	h->version = ck_get_be16(in + CK_SPP_LEN_U32 + CK_SPP_LEN_U16);
}

static int io_error(struct spp_conn *c, int ret, int saved_errno)
{
	int e = SSL_get_error(c->ssl, ret);

	if (e == SSL_ERROR_ZERO_RETURN)
		return -ECONNRESET;
	if (e == SSL_ERROR_SYSCALL &&
	    (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK))
		return -ETIMEDOUT;
	if (e == SSL_ERROR_SYSCALL && saved_errno == 0)
		return -ECONNRESET;
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return -ETIMEDOUT;
	return -EIO;
}

static int read_full(struct spp_conn *c, uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t got = 0;
		int r;

		if (c->deadline && spp_now() > c->deadline)
			return -ETIMEDOUT;
		errno = 0;
		r = SSL_read_ex(c->ssl, buf + done, len - done, &got);
		if (r <= 0)
			return io_error(c, r, errno);
		done += got;
	}
	return 0;
}

int spp_recv(struct spp_conn *c, struct spp_frame *f, size_t max)
{
	uint8_t raw[CK_SPP_FRAME_HDR_LEN];
	struct ck_spp_header h;
	int err;

	memset(f, 0, sizeof(*f));
	err = read_full(c, raw, sizeof(raw));
	if (err)
		return err;
	spp_header_decode(raw, &h);
	f->len = h.body_len;
	f->type = h.type;
	f->version = h.version;
	if (f->len > max)
		return -EMSGSIZE;
	f->body = malloc(f->len ? f->len : 1);
	if (!f->body)
		return -ENOMEM;
	err = read_full(c, f->body, f->len);
	if (err) {
		spp_frame_clear(f);
		return err;
	}
	if (f->version != CK_SPP_VERSION)
		return -EPROTO;
	frame_crash_point("recv", f->type);
	return 0;
}

void spp_frame_clear(struct spp_frame *f)
{
	if (f->body) {
		OPENSSL_cleanse(f->body, f->len);
		free(f->body);
	}
	memset(f, 0, sizeof(*f));
}

/* One SSL_write of header + body (one TLS record for small frames). */
int spp_send_raw(struct spp_conn *c, const struct ck_spp_header *h,
		 const void *body, size_t len)
{
	size_t total = CK_SPP_FRAME_HDR_LEN + len, written = 0;
	uint8_t *buf;
	int r, err = 0;

	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	spp_header_encode(h, buf);
	if (len)
		memcpy(buf + CK_SPP_FRAME_HDR_LEN, body, len);
	frame_crash_point("send", h->type);
	errno = 0;
	r = SSL_write_ex(c->ssl, buf, total, &written);
	if (r <= 0)
		err = io_error(c, r, errno);
	else
		frame_crash_point("sent", h->type);
	OPENSSL_cleanse(buf, total);
	free(buf);
	return err;
}

int spp_send(struct spp_conn *c, uint16_t type, const void *body, size_t len)
{
	struct ck_spp_header h = {
		.body_len = (uint32_t)len,
		.type = type,
		.version = CK_SPP_VERSION,
	};

	if (len > CK_SPP_MAX_BODY)
		return -EMSGSIZE;
	return spp_send_raw(c, &h, body, len);
}

const char *spp_type_name(uint16_t type)
{
	switch (type) {
	case CK_SPP_HELLO: return "HELLO";
	case CK_SPP_OFFER: return "OFFER";
	case CK_SPP_BACKUP: return "BACKUP";
	case CK_SPP_DONE: return "DONE";
	case CK_SPP_ALREADY: return "ALREADY";
	case CK_SPP_ERROR: return "ERROR";
	}
	return "UNKNOWN";
}

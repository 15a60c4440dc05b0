// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The authenticated channel between two paired devices (channel.h,
 * docs/pairing.md "The channel").  The TLS handshake is the service
 * link's (link/tls.c: an external PSK through OpenSSL's TLS 1.3 PSK
 * session callbacks, psk_dhe_ke only, and afterwards the check that the
 * PSK was used and an (EC)DHE group negotiated); here only the PSK, its
 * identity and the relay.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/kdf.h"
#include "link/tls.h"
#include "channel.h"

int ck_pair_channel_secret(const struct ck_pair_record *r, const char *self,
			   enum ck_pair_role role, struct ck_link_secret *out)
{
	static const char label[] = CK_PAIR_CHANNEL_LABEL;
	const char *conn = role == CK_PAIR_CONNECT ? self : r->identity;
	const char *lis = role == CK_PAIR_CONNECT ? r->identity : self;
	uint8_t info[sizeof(label) + 2 * CK_DP_DEVICE_ID_LEN];
	int err;

	memset(out, 0, sizeof(*out));
	if (strlen(conn) != CK_DP_DEVICE_ID_LEN || strlen(lis) != CK_DP_DEVICE_ID_LEN)
		return -EINVAL;
	memcpy(info, label, sizeof(label));	/* the label and its NUL */
	memcpy(info + sizeof(label), conn, CK_DP_DEVICE_ID_LEN);
	memcpy(info + sizeof(label) + CK_DP_DEVICE_ID_LEN, lis, CK_DP_DEVICE_ID_LEN);
	err = ck_hkdf_sha256(r->link_key, CK_PAIR_KEY_LEN, info, sizeof(info), out->key);
	if (err) {
		OPENSSL_cleanse(out, sizeof(*out));
		return err;
	}
	out->key_len = CK_HKDF_OUT_LEN;
	snprintf(out->psk_identity, sizeof(out->psk_identity), "%s%s:%s",
		 CK_PAIR_CHANNEL_PSK_ID_PREFIX, conn, lis);
	snprintf(out->peer, sizeof(out->peer), "%s", r->identity);
	return 0;
}

int ck_pair_channel_open(struct ck_link_conn *c, int fd, struct ck_link_secret *sec,
			 enum ck_pair_role role)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->secret = *sec;
	OPENSSL_cleanse(sec, sizeof(*sec));
	/* c->server stays NULL: the server's PSK is c->secret (key_len 32),
	 * accepted only for exactly its psk_identity */
	err = role == CK_PAIR_CONNECT ? ck_link_tls_client(c) : ck_link_tls_server(c);
	if (!err)
		memcpy(c->peer, c->secret.peer, sizeof(c->peer));
	OPENSSL_cleanse(&c->secret, sizeof(c->secret));
	return err;
}

/* What an SSL call that failed with @ret waits for: POLLIN / POLLOUT, or
 * 0 for an end (*@err: -ECONNRESET, or 0 for close_notify). */
static short wants(SSL *ssl, int ret, int *err)
{
	int e = SSL_get_error(ssl, ret);

	*err = 0;
	if (e == SSL_ERROR_WANT_READ)
		return POLLIN;
	if (e == SSL_ERROR_WANT_WRITE)
		return POLLOUT;
	ERR_clear_error();
	if (e != SSL_ERROR_ZERO_RETURN)
		*err = -ECONNRESET;
	return 0;
}

int ck_pair_channel_relay(struct ck_link_conn *c, int in, int out, int timeout)
{
	uint8_t rbuf[16384], wbuf[16384];
	size_t got, put, woff = 0, wlen = 0;
	short rd = POLLIN, wr = 0, sd = 0;
	int in_open = 1, peer_open = 1, closed = 0, err = 0, flags;

	flags = fcntl(c->fd, F_GETFL);
	if (flags < 0 || fcntl(c->fd, F_SETFL, flags | O_NONBLOCK))
		return -errno;
	SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	for (;;) {
		struct pollfd p[2] = { { .fd = -1, .events = POLLIN }, { .fd = c->fd } };
		int n;

		/* the session -> @out, until it would block */
		while (peer_open) {
			int ret = SSL_read_ex(c->ssl, rbuf, sizeof(rbuf), &got);

			if (ret == 1) {
				err = ck_link_write_full(out, rbuf, got);
				if (err)
					goto out;
				continue;
			}
			rd = wants(c->ssl, ret, &err);
			if (err)
				goto out;
			if (!rd)
				peer_open = 0;	/* close_notify */
			break;
		}
		/* what @in gave -> the session */
		if (wlen) {
			int ret = SSL_write_ex(c->ssl, wbuf + woff, wlen, &put);

			if (ret == 1) {
				woff += put;
				wlen -= put;
				wr = 0;
			} else {
				wr = wants(c->ssl, ret, &err);
				if (!wr) {
					err = -ECONNRESET;
					goto out;
				}
			}
		}
		/* @in ended and all of it sent: close_notify (our half) */
		if (!in_open && !wlen && !closed) {
			int ret = SSL_shutdown(c->ssl);

			if (ret >= 0) {
				closed = 1;
				sd = 0;
			} else {
				sd = wants(c->ssl, ret, &err);
				if (!sd) {
					err = -ECONNRESET;
					goto out;
				}
			}
		}
		if (closed && !peer_open)
			break;
		if (in_open && !wlen)
			p[0].fd = in;
		p[1].events = (short)((peer_open ? rd : 0) | (wlen ? wr : 0) | (!closed ? sd : 0));
		if (!p[1].events)
			p[1].fd = -1;	/* not its hang-up: nothing to do there */
		n = poll(p, 2, timeout > 0 ? timeout * 1000 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0) {
			err = -ETIMEDOUT;
			goto out;
		}
		if (p[0].revents) {
			ssize_t r = read(in, wbuf, sizeof(wbuf));

			if (r < 0 && errno != EINTR && errno != EAGAIN) {
				err = -errno;
				goto out;
			}
			if (r == 0)
				in_open = 0;
			if (r > 0) {
				woff = 0;
				wlen = (size_t)r;
				wr = POLLOUT;
			}
		}
	}
out:
	OPENSSL_cleanse(rbuf, sizeof(rbuf));
	OPENSSL_cleanse(wbuf, sizeof(wbuf));
	return err;
}

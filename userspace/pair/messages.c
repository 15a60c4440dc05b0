// SPDX-License-Identifier: LGPL-2.1-or-later
/* The frames of a pairing session (include/chipkey/pair_messages.h). */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <chipkey/byteorder.h>
#include "pair.h"

static size_t body_len(enum ck_pair_type t)
{
	switch (t) {
	case CK_PAIR_CHALLENGE: return CK_PAIR_CHALLENGE_LEN;
	case CK_PAIR_RESPONSE: return CK_PAIR_RESPONSE_LEN;
	case CK_PAIR_DECISION: return CK_PAIR_DECISION_LEN;
	case CK_PAIR_COMMIT: return CK_PAIR_COMMIT_LEN;
	case CK_PAIR_NONCE: return CK_PAIR_NONCE_LEN;
	case CK_PAIR_REVEAL: return CK_PAIR_REVEAL_LEN;
	case CK_PAIR_SYNC: return CK_PAIR_SYNC_LEN;
	}
	return 0;
}

size_t ck_pair_msg_encode(const struct ck_pair_msg *m, uint8_t buf[CK_PAIR_FRAME_MAX])
{
	size_t n = body_len(m->type);

	memcpy(buf, CK_PAIR_MAGIC, 4);
	buf[4] = CK_PAIR_VERSION;
	buf[5] = (uint8_t)m->type;
	ck_put_be16(buf + 6, (uint16_t)n);
	if (m->type == CK_PAIR_CHALLENGE)
		memcpy(buf + CK_PAIR_HDR_LEN, m->v, n);
	else if (m->type == CK_PAIR_RESPONSE)
		memcpy(buf + CK_PAIR_HDR_LEN, m->mac, n);
	else if (m->type == CK_PAIR_COMMIT)
		memcpy(buf + CK_PAIR_HDR_LEN, m->commit, n);
	else if (m->type == CK_PAIR_NONCE || m->type == CK_PAIR_REVEAL)
		memcpy(buf + CK_PAIR_HDR_LEN, m->nonce, n);
	else if (m->type == CK_PAIR_SYNC) {
		buf[CK_PAIR_HDR_LEN] = m->sync.held;
		memcpy(buf + CK_PAIR_HDR_LEN + 1, m->sync.tag, CK_PAIR_NONCE_SIZE);
	} else
		buf[CK_PAIR_HDR_LEN] = m->accept;
	return CK_PAIR_HDR_LEN + n;
}

int ck_pair_msg_decode(const uint8_t *buf, size_t len, struct ck_pair_msg *m)
{
	size_t n;

	memset(m, 0, sizeof(*m));
	if (len < CK_PAIR_HDR_LEN || memcmp(buf, CK_PAIR_MAGIC, 4) ||
	    buf[4] != CK_PAIR_VERSION)
		return -EBADMSG;
	n = body_len((enum ck_pair_type)buf[5]);
	if (!n || ck_get_be16(buf + 6) != n || len != CK_PAIR_HDR_LEN + n)
		return -EBADMSG;
	m->type = (enum ck_pair_type)buf[5];
	if (m->type == CK_PAIR_CHALLENGE)
		memcpy(m->v, buf + CK_PAIR_HDR_LEN, n);
	else if (m->type == CK_PAIR_RESPONSE)
		memcpy(m->mac, buf + CK_PAIR_HDR_LEN, n);
	else if (m->type == CK_PAIR_COMMIT)
		memcpy(m->commit, buf + CK_PAIR_HDR_LEN, n);
	else if (m->type == CK_PAIR_NONCE || m->type == CK_PAIR_REVEAL)
		memcpy(m->nonce, buf + CK_PAIR_HDR_LEN, n);
	else if (m->type == CK_PAIR_SYNC) {
		static const uint8_t zero[CK_PAIR_NONCE_SIZE];

		/* held 0 or 1; without a record, the tag is all zeros */
		if (buf[CK_PAIR_HDR_LEN] > 1 ||
		    (!buf[CK_PAIR_HDR_LEN] && memcmp(buf + CK_PAIR_HDR_LEN + 1, zero, sizeof(zero))))
			return -EBADMSG;
		m->sync.held = buf[CK_PAIR_HDR_LEN];
		memcpy(m->sync.tag, buf + CK_PAIR_HDR_LEN + 1, CK_PAIR_NONCE_SIZE);
	} else if (buf[CK_PAIR_HDR_LEN] > 1)
		return -EBADMSG;
	else
		m->accept = buf[CK_PAIR_HDR_LEN];
	return 0;
}

int ck_pair_msg_send(SSL *ssl, const struct ck_pair_msg *m)
{
	uint8_t buf[CK_PAIR_FRAME_MAX];
	size_t len = ck_pair_msg_encode(m, buf), done = 0;

	if (SSL_write_ex(ssl, buf, len, &done) != 1 || done != len) {
		ERR_clear_error();
		return -ECONNRESET;
	}
	return 0;
}

/* Exactly @n bytes of the session. */
static int read_full(SSL *ssl, uint8_t *buf, size_t n)
{
	size_t got;

	while (n) {
		if (SSL_read_ex(ssl, buf, n, &got) != 1) {
			ERR_clear_error();
			return -ECONNRESET;
		}
		buf += got;
		n -= got;
	}
	return 0;
}

int ck_pair_msg_recv(SSL *ssl, enum ck_pair_type want, struct ck_pair_msg *m)
{
	uint8_t buf[CK_PAIR_FRAME_MAX];
	size_t n;
	int err;

	err = read_full(ssl, buf, CK_PAIR_HDR_LEN);
	if (err)
		return err;
	n = ck_get_be16(buf + 6);
	if (n > CK_PAIR_BODY_MAX)
		return -EBADMSG;
	err = read_full(ssl, buf + CK_PAIR_HDR_LEN, n);
	if (err)
		return err;
	err = ck_pair_msg_decode(buf, CK_PAIR_HDR_LEN + n, m);
	if (!err && m->type != want)
		err = -EBADMSG;
	return err;
}

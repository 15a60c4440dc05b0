// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The provisioning messages' codec (see messages.h): for each message of
 * include/chipkey/spp_messages.h one encoder and one decoder, the only code
 * that knows the order and size of the fields on the wire (tabled in
 * docs/provisioning-protocol.md).  Fields are written and read in order
 * through a cursor; nothing here or in the callers computes offsets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <chipkey/byteorder.h>
#include "proto/messages.h"

/* ---- cursors: append fields to a body / take fields from a body */

struct writer {
	uint8_t *p;
	size_t off;
};

static void put_bytes(struct writer *w, const void *b, size_t n)
{
	if (n)
		memcpy(w->p + w->off, b, n);
	w->off += n;
}

static void put_u16(struct writer *w, uint16_t v)
{
	ck_put_be16(w->p + w->off, v);
	w->off += CK_SPP_LEN_U16;
}

static void put_u32(struct writer *w, uint32_t v)
{
	ck_put_be32(w->p + w->off, v);
	w->off += CK_SPP_LEN_U32;
}

static void put_u64(struct writer *w, uint64_t v)
{
	ck_put_be64(w->p + w->off, v);
	w->off += CK_SPP_LEN_U64;
}

struct reader {
	const uint8_t *p;
	size_t len, off;
};

static void reader_init(struct reader *r, const struct spp_frame *f)
{
	r->p = f->body;
	r->len = f->len;
	r->off = 0;
}

/* The next @n bytes, or NULL if fewer are left. */
static const uint8_t *take(struct reader *r, size_t n)
{
	const uint8_t *at = r->p + r->off;

	if (n > r->len - r->off)
		return NULL;
	r->off += n;
	return at;
}

static int take_bytes(struct reader *r, void *out, size_t n)
{
	const uint8_t *at = take(r, n);

	if (!at)
		return -EINVAL;
	memcpy(out, at, n);
	return 0;
}

static int take_u16(struct reader *r, uint16_t *v)
{
	const uint8_t *at = take(r, CK_SPP_LEN_U16);

	if (!at)
		return -EINVAL;
	*v = ck_get_be16(at);
	return 0;
}

static int take_u32(struct reader *r, uint32_t *v)
{
	const uint8_t *at = take(r, CK_SPP_LEN_U32);

	if (!at)
		return -EINVAL;
	*v = ck_get_be32(at);
	return 0;
}

static int take_u64(struct reader *r, uint64_t *v)
{
	const uint8_t *at = take(r, CK_SPP_LEN_U64);

	if (!at)
		return -EINVAL;
	*v = ck_get_be64(at);
	return 0;
}

/* A u32 length, then that many bytes (borrowed from the body). */
static int take_blob(struct reader *r, const uint8_t **p, size_t *n)
{
	uint32_t len;

	if (take_u32(r, &len))
		return -EINVAL;
	*p = take(r, len);
	*n = len;
	return *p ? 0 : -EINVAL;
}

/* The whole body was consumed: sizes are exact. */
static int reader_end(const struct reader *r)
{
	return r->off == r->len ? 0 : -EINVAL;
}

static int take_identity(struct reader *r, char id[CK_SPP_IDENTITY_LEN + 1])
{
	id[CK_SPP_IDENTITY_LEN] = 0;
	return take_bytes(r, id, CK_SPP_IDENTITY_LEN);
}

static int identity_ok(const char *id)
{
	return strnlen(id, CK_SPP_IDENTITY_LEN + 1) == CK_SPP_IDENTITY_LEN;
}

static int body_alloc(struct writer *w, size_t len, uint8_t **body, size_t *blen)
{
	if (len > CK_SPP_MAX_BODY)
		return -EMSGSIZE;
	w->p = malloc(len ? len : 1);
	w->off = 0;
	if (!w->p)
		return -ENOMEM;
	*body = w->p;
	*blen = len;
	return 0;
}

void spp_body_free(uint8_t *body, size_t len)
{
	if (body) {
		OPENSSL_cleanse(body, len);
		free(body);
	}
}

/* Frame and send an encoded body, then free it. */
static int send_body(struct spp_conn *c, uint16_t type, int err, uint8_t *body,
		     size_t len)
{
	if (!err)
		err = spp_send(c, type, body, len);
	spp_body_free(body, len);
	return err;
}

/* ---- HELLO: chip ID (16) · ROM key fingerprint (32) · Q (65) · flags u32 (0) */

int spp_hello_encode(const struct ck_spp_hello *m, uint8_t out[CK_SPP_HELLO_LEN])
{
	struct writer w = { .p = out };

	put_bytes(&w, m->chip_id, sizeof(m->chip_id));
	put_bytes(&w, m->rom_fp, sizeof(m->rom_fp));
	put_bytes(&w, m->attest_pub, sizeof(m->attest_pub));
	put_u32(&w, m->flags);
	return 0;
}

int spp_hello_decode(const struct spp_frame *f, struct ck_spp_hello *m)
{
	struct reader r;

	if (f->type != CK_SPP_HELLO)
		return -EBADMSG;
	reader_init(&r, f);
	if (take_bytes(&r, m->chip_id, sizeof(m->chip_id)) ||
	    take_bytes(&r, m->rom_fp, sizeof(m->rom_fp)) ||
	    take_bytes(&r, m->attest_pub, sizeof(m->attest_pub)) ||
	    take_u32(&r, &m->flags) || reader_end(&r) || m->flags != 0)
		return -EINVAL;
	return 0;
}

int spp_send_hello(struct spp_conn *c, const struct ck_spp_hello *m)
{
	uint8_t body[CK_SPP_HELLO_LEN];

	spp_hello_encode(m, body);
	return spp_send(c, CK_SPP_HELLO, body, sizeof(body));
}

/*
 * ---- OFFER: nonce (32) · certificate length u32 c · device certificate (c)
 *      · issuing CA certificate length u32 a · issuing CA certificate (a)
 *      · sealed package length u32 n · sealed package (n)
 */

static int offer_lengths_ok(const struct ck_spp_offer *m)
{
	return m->cert_len && m->cert_len <= CK_SPP_MAX_CERT &&
	       m->ca_cert_len && m->ca_cert_len <= CK_SPP_MAX_CERT &&
	       m->sealed_len > CHIPKEY_SEAL_OVERHEAD &&
	       m->sealed_len <= CHIPKEY_MAX_SEALED;
}

int spp_offer_encode(const struct ck_spp_offer *m, uint8_t **body, size_t *len)
{
	struct writer w;
	int err;

	if (!offer_lengths_ok(m))
		return -EINVAL;
	err = body_alloc(&w, CK_SPP_OFFER_FIXED + m->cert_len + m->ca_cert_len +
			 m->sealed_len, body, len);
	if (err)
		return err;
	put_bytes(&w, m->nonce, sizeof(m->nonce));
	put_u32(&w, (uint32_t)m->cert_len);
	put_bytes(&w, m->cert, m->cert_len);
	put_u32(&w, (uint32_t)m->ca_cert_len);
	put_bytes(&w, m->ca_cert, m->ca_cert_len);
	put_u32(&w, (uint32_t)m->sealed_len);
	put_bytes(&w, m->sealed, m->sealed_len);
	return 0;
}

int spp_offer_decode(const struct spp_frame *f, struct ck_spp_offer *m)
{
	struct reader r;

	if (f->type != CK_SPP_OFFER)
		return -EBADMSG;
	reader_init(&r, f);
	if (take_bytes(&r, m->nonce, sizeof(m->nonce)) ||
	    take_blob(&r, &m->cert, &m->cert_len) ||
	    take_blob(&r, &m->ca_cert, &m->ca_cert_len) ||
	    take_blob(&r, &m->sealed, &m->sealed_len) || reader_end(&r) ||
	    !offer_lengths_ok(m))
		return -EINVAL;
	return 0;
}

int spp_send_offer(struct spp_conn *c, const struct ck_spp_offer *m)
{
	uint8_t *body = NULL;
	size_t len = 0;
	int err = spp_offer_encode(m, &body, &len);

	return send_body(c, CK_SPP_OFFER, err, body, len);
}

/* ---- BACKUP: backup length u32 m · backup package (m) · chip MAC (32) */

int spp_backup_encode(const struct ck_spp_backup *m, uint8_t **body, size_t *len)
{
	struct writer w;
	int err;

	if (m->backup_len > CHIPKEY_MAX_PACKAGE)
		return -EINVAL;
	err = body_alloc(&w, CK_SPP_BACKUP_FIXED + m->backup_len, body, len);
	if (err)
		return err;
	put_u32(&w, (uint32_t)m->backup_len);
	put_bytes(&w, m->backup, m->backup_len);
	put_bytes(&w, m->mac, sizeof(m->mac));
	return 0;
}

int spp_backup_decode(const struct spp_frame *f, struct ck_spp_backup *m)
{
	struct reader r;

	if (f->type != CK_SPP_BACKUP)
		return -EBADMSG;
	reader_init(&r, f);
	if (take_blob(&r, &m->backup, &m->backup_len) ||
	    take_bytes(&r, m->mac, sizeof(m->mac)) || reader_end(&r))
		return -EINVAL;
	return 0;
}

int spp_send_backup(struct spp_conn *c, const struct ck_spp_backup *m)
{
	uint8_t *body = NULL;
	size_t len = 0;
	int err = spp_backup_encode(m, &body, &len);

	return send_body(c, CK_SPP_BACKUP, err, body, len);
}

/* ---- DONE: identity (15) · generation u64 */

int spp_done_encode(const struct ck_spp_done *m, uint8_t out[CK_SPP_DONE_LEN])
{
	struct writer w = { .p = out };

	if (!identity_ok(m->identity))
		return -EINVAL;
	put_bytes(&w, m->identity, CK_SPP_IDENTITY_LEN);
	put_u64(&w, m->generation);
	return 0;
}

int spp_done_decode(const struct spp_frame *f, struct ck_spp_done *m)
{
	struct reader r;

	if (f->type != CK_SPP_DONE)
		return -EBADMSG;
	reader_init(&r, f);
	if (take_identity(&r, m->identity) || take_u64(&r, &m->generation) ||
	    reader_end(&r))
		return -EINVAL;
	return 0;
}

int spp_send_done(struct spp_conn *c, const struct ck_spp_done *m)
{
	uint8_t body[CK_SPP_DONE_LEN];
	int err = spp_done_encode(m, body);

	return err ? err : spp_send(c, CK_SPP_DONE, body, sizeof(body));
}

/*
 * ---- ALREADY: identity (15) · generation u64 · backup length u32 m ·
 *      backup (m) · certificate length u32 c · certificate DER (c)
 */

int spp_already_encode(const struct ck_spp_already *m, uint8_t **body, size_t *len)
{
	struct writer w;
	int err;

	if (!identity_ok(m->identity) || m->backup_len > CHIPKEY_MAX_PACKAGE ||
	    m->cert_len > CK_SPP_MAX_CERT)
		return -EINVAL;
	err = body_alloc(&w, CK_SPP_ALREADY_FIXED + m->backup_len + m->cert_len,
			 body, len);
	if (err)
		return err;
	put_bytes(&w, m->identity, CK_SPP_IDENTITY_LEN);
	put_u64(&w, m->generation);
	put_u32(&w, (uint32_t)m->backup_len);
	put_bytes(&w, m->backup, m->backup_len);
	put_u32(&w, (uint32_t)m->cert_len);
	put_bytes(&w, m->cert, m->cert_len);
	return 0;
}

int spp_already_decode(const struct spp_frame *f, struct ck_spp_already *m)
{
	struct reader r;

	if (f->type != CK_SPP_ALREADY)
		return -EBADMSG;
	reader_init(&r, f);
	if (take_identity(&r, m->identity) || take_u64(&r, &m->generation) ||
	    take_blob(&r, &m->backup, &m->backup_len) ||
	    take_blob(&r, &m->cert, &m->cert_len) || reader_end(&r) ||
	    m->cert_len > CK_SPP_MAX_CERT)
		return -EINVAL;
	return 0;
}


/* ---- ERROR: code u16 · text length u16 t · text (t, printable ASCII) */

int spp_error_encode(const struct ck_spp_error *m, uint8_t **body, size_t *len)
{
	size_t t = strnlen(m->text, CK_SPP_MAX_ERROR_TEXT);
	struct writer w;
	int err;

	err = body_alloc(&w, CK_SPP_ERROR_FIXED + t, body, len);
	if (err)
		return err;
	put_u16(&w, m->code);
	put_u16(&w, (uint16_t)t);
	put_bytes(&w, m->text, t);
	return 0;
}

int spp_error_decode(const struct spp_frame *f, struct ck_spp_error *m)
{
	const uint8_t *text;
	struct reader r;
	uint16_t t;

	m->text[0] = 0;
	if (f->type != CK_SPP_ERROR)
		return -EBADMSG;
	reader_init(&r, f);
	if (take_u16(&r, &m->code) || take_u16(&r, &t) ||
	    t > CK_SPP_MAX_ERROR_TEXT || !(text = take(&r, t)) || reader_end(&r))
		return -EINVAL;
	for (size_t i = 0; i < t; i++)
		m->text[i] = (text[i] >= 0x20 && text[i] < 0x7f) ? (char)text[i] : '?';
	m->text[t] = 0;
	return 0;
}

int spp_send_error(struct spp_conn *c, uint16_t code, const char *text)
{
	struct ck_spp_error m = { .code = code };
	uint8_t *body = NULL;
	size_t len = 0;
	int err;

	if (text)
		snprintf(m.text, sizeof(m.text), "%s", text);
	err = spp_error_encode(&m, &body, &len);
	return send_body(c, CK_SPP_ERROR, err, body, len);
}

const char *spp_err_name(uint16_t code)
{
	switch (code) {
	case CK_SPP_E_MALFORMED: return "MALFORMED";
	case CK_SPP_E_VERSION: return "VERSION";
	case CK_SPP_E_UNEXPECTED: return "UNEXPECTED";
	case CK_SPP_E_TOO_LARGE: return "TOO_LARGE";
	case CK_SPP_E_WRONG_MFR: return "WRONG_MFR";
	case CK_SPP_E_EXHAUSTED: return "EXHAUSTED";
	case CK_SPP_E_BAD_BACKUP: return "BAD_BACKUP";
	case CK_SPP_E_WRONG_CHIP: return "WRONG_CHIP";
	case CK_SPP_E_BAD_LENGTH: return "BAD_LENGTH";
	case CK_SPP_E_BAD_PROOF: return "BAD_PROOF";
	case CK_SPP_E_CONFLICT: return "CONFLICT";
	case CK_SPP_E_INTERNAL: return "INTERNAL";
	case CK_SPP_E_TIMEOUT: return "TIMEOUT";
	case CK_SPP_E_DEVICE: return "DEVICE";
	case CK_SPP_E_NOT_IN_BATCH: return "NOT_IN_BATCH";
	}
	return "UNKNOWN";
}

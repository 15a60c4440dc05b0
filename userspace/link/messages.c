// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Encoders and decoders of the pre-TLS link messages (messages.h).  A
 * cursor walks the buffer; every read is bounds-checked, every decode
 * ends with "all bytes used".
 */
#include <errno.h>
#include <string.h>

#include <chipkey/byteorder.h>
#include "messages.h"

struct cur {
	uint8_t *w;		/* encode */
	const uint8_t *r;	/* decode */
	size_t len, pos;
	int bad;
};

static void put(struct cur *c, const void *p, size_t n)
{
	if (c->bad || n > c->len - c->pos) {
		c->bad = 1;
		return;
	}
	if (n)
		memcpy(c->w + c->pos, p, n);
	c->pos += n;
}

static void put_u8(struct cur *c, uint8_t v)
{
	put(c, &v, 1);
}

static void put_u16(struct cur *c, uint16_t v)
{
	uint8_t b[2];

	ck_put_be16(b, v);
	put(c, b, 2);
}

static void put_u64(struct cur *c, uint64_t v)
{
	uint8_t b[8];

	ck_put_be64(b, v);
	put(c, b, 8);
}

static const uint8_t *get(struct cur *c, size_t n)
{
	const uint8_t *p;

	if (c->bad || n > c->len - c->pos) {
		c->bad = 1;
		return NULL;
	}
	p = c->r + c->pos;
	c->pos += n;
	return p;
}

static uint8_t get_u8(struct cur *c)
{
	const uint8_t *p = get(c, 1);

	return p ? p[0] : 0;
}

static uint16_t get_u16(struct cur *c)
{
	const uint8_t *p = get(c, 2);

	return p ? ck_get_be16(p) : 0;
}

static void get_copy(struct cur *c, void *out, size_t n)
{
	const uint8_t *p = get(c, n);

	if (p)
		memcpy(out, p, n);
}

/* A u8-length printable ASCII string of at most CK_LINK_ID_MAX bytes. */
static void get_id(struct cur *c, char out[CK_LINK_ID_MAX + 1])
{
	size_t n = get_u8(c), i;
	const uint8_t *p;

	out[0] = 0;
	if (n > CK_LINK_ID_MAX) {
		c->bad = 1;
		return;
	}
	p = get(c, n);
	if (!p)
		return;
	for (i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			c->bad = 1;
	memcpy(out, p, n);
	out[n] = 0;
}

static ssize_t done_enc(struct cur *c)
{
	return c->bad ? -EMSGSIZE : (ssize_t)c->pos;
}

static int done_dec(struct cur *c)
{
	return c->bad || c->pos != c->len ? -EINVAL : 0;
}

ssize_t ck_link_hello_encode(const struct ck_link_hello *h, uint8_t *out, size_t cap)
{
	struct cur c = { .w = out, .len = cap };

	put(&c, CK_LINK_MAGIC, CK_LINK_MAGIC_LEN);
	put_u8(&c, h->version);
	put_u8(&c, h->mode);
	put_u16(&c, 0);
	return done_enc(&c);
}

int ck_link_hello_decode(const uint8_t *in, size_t len, struct ck_link_hello *h)
{
	struct cur c = { .r = in, .len = len };
	const uint8_t *magic = get(&c, CK_LINK_MAGIC_LEN);

	if (!magic || memcmp(magic, CK_LINK_MAGIC, CK_LINK_MAGIC_LEN))
		return -EINVAL;
	h->version = get_u8(&c);
	h->mode = get_u8(&c);
	if (get_u16(&c) != 0)	/* reserved */
		return -EINVAL;
	return done_dec(&c);
}

ssize_t ck_link_auth_encode(const struct ck_link_auth *a, uint8_t *out, size_t cap)
{
	struct cur c = { .w = out, .len = cap };
	size_t il = strlen(a->id), pl = strlen(a->peer);

	if (a->cert_len > CK_LINK_CERT_MAX || a->chain_len > CK_LINK_CERT_MAX ||
	    il > CK_LINK_ID_MAX || pl > CK_LINK_ID_MAX || a->sig_len > CK_LINK_SIG_MAX)
		return -EMSGSIZE;
	put_u8(&c, a->type);
	put_u8(&c, CK_LINK_AUTH_VERSION);
	put_u16(&c, (uint16_t)a->cert_len);
	put(&c, a->cert, a->cert_len);
	put_u16(&c, (uint16_t)a->chain_len);
	put(&c, a->chain, a->chain_len);
	put_u8(&c, (uint8_t)il);
	put(&c, a->id, il);
	put_u8(&c, (uint8_t)pl);
	put(&c, a->peer, pl);
	put_u64(&c, a->counter);
	put_u64(&c, a->seen);
	put(&c, a->nonce, sizeof(a->nonce));
	put(&c, a->transcript, sizeof(a->transcript));
	put(&c, a->eph, sizeof(a->eph));
	put(&c, a->sealed, sizeof(a->sealed));
	put(&c, a->tag, sizeof(a->tag));
	if (a->sig_len) {
		put_u16(&c, (uint16_t)a->sig_len);
		put(&c, a->sig, a->sig_len);
	}
	return done_enc(&c);
}

int ck_link_auth_decode(const uint8_t *in, size_t len, struct ck_link_auth *a)
{
	struct cur c = { .r = in, .len = len };
	const uint8_t *p;

	memset(a, 0, sizeof(*a));
	if (len > CK_LINK_FRAME_MAX)
		return -EMSGSIZE;
	a->type = get_u8(&c);
	if (get_u8(&c) != CK_LINK_AUTH_VERSION ||
	    (a->type != CK_LINK_AUTH_DEVICE && a->type != CK_LINK_AUTH_SERVER))
		return -EINVAL;
	a->cert_len = get_u16(&c);
	if (a->cert_len == 0 || a->cert_len > CK_LINK_CERT_MAX)
		return -EINVAL;
	a->cert = get(&c, a->cert_len);
	a->chain_len = get_u16(&c);
	if (a->chain_len > CK_LINK_CERT_MAX)
		return -EINVAL;
	a->chain = a->chain_len ? get(&c, a->chain_len) : NULL;
	get_id(&c, a->id);
	get_id(&c, a->peer);
	p = get(&c, 8);
	a->counter = p ? ck_get_be64(p) : 0;
	p = get(&c, 8);
	a->seen = p ? ck_get_be64(p) : 0;
	get_copy(&c, a->nonce, sizeof(a->nonce));
	get_copy(&c, a->transcript, sizeof(a->transcript));
	get_copy(&c, a->eph, sizeof(a->eph));
	get_copy(&c, a->sealed, sizeof(a->sealed));
	get_copy(&c, a->tag, sizeof(a->tag));
	a->signed_len = c.pos;
	a->sig_len = get_u16(&c);
	if (a->sig_len == 0 || a->sig_len > CK_LINK_SIG_MAX)
		return -EINVAL;
	get_copy(&c, a->sig, a->sig_len);
	return done_dec(&c);
}

ssize_t ck_link_certs_encode(const struct ck_link_certs *k, uint8_t *out, size_t cap)
{
	struct cur c = { .w = out, .len = cap };

	if (k->cert_len > CK_LINK_CERT_MAX || k->chain_len > CK_LINK_CERT_MAX)
		return -EMSGSIZE;
	put_u8(&c, CK_LINK_AUTH_CERTS);
	put_u8(&c, CK_LINK_VERSION);
	put_u16(&c, (uint16_t)k->cert_len);
	put(&c, k->cert, k->cert_len);
	put_u16(&c, (uint16_t)k->chain_len);
	put(&c, k->chain, k->chain_len);
	return done_enc(&c);
}

int ck_link_certs_decode(const uint8_t *in, size_t len, struct ck_link_certs *k)
{
	struct cur c = { .r = in, .len = len };

	memset(k, 0, sizeof(*k));
	if (get_u8(&c) != CK_LINK_AUTH_CERTS || get_u8(&c) != CK_LINK_VERSION)
		return -EINVAL;
	k->cert_len = get_u16(&c);
	if (k->cert_len == 0 || k->cert_len > CK_LINK_CERT_MAX)
		return -EINVAL;
	k->cert = get(&c, k->cert_len);
	k->chain_len = get_u16(&c);
	if (k->chain_len > CK_LINK_CERT_MAX)
		return -EINVAL;
	k->chain = k->chain_len ? get(&c, k->chain_len) : NULL;
	return done_dec(&c);
}

ssize_t ck_link_resync_encode(const struct ck_link_resync *r, uint8_t *out, size_t cap)
{
	struct cur c = { .w = out, .len = cap };

	if (r->sig_len > CK_LINK_SIG_MAX)
		return -EMSGSIZE;
	put_u8(&c, CK_LINK_AUTH_RESYNC);
	put_u8(&c, CK_LINK_VERSION);
	put_u64(&c, r->highest);
	put(&c, r->transcript, sizeof(r->transcript));
	if (r->sig_len) {
		put_u16(&c, (uint16_t)r->sig_len);
		put(&c, r->sig, r->sig_len);
	}
	return done_enc(&c);
}

int ck_link_resync_decode(const uint8_t *in, size_t len, struct ck_link_resync *r)
{
	struct cur c = { .r = in, .len = len };
	const uint8_t *p;

	memset(r, 0, sizeof(*r));
	if (get_u8(&c) != CK_LINK_AUTH_RESYNC || get_u8(&c) != CK_LINK_VERSION)
		return -EINVAL;
	p = get(&c, 8);
	r->highest = p ? ck_get_be64(p) : 0;
	get_copy(&c, r->transcript, sizeof(r->transcript));
	r->signed_len = c.pos;
	r->sig_len = get_u16(&c);
	if (r->sig_len == 0 || r->sig_len > CK_LINK_SIG_MAX)
		return -EINVAL;
	get_copy(&c, r->sig, r->sig_len);
	return done_dec(&c);
}

ssize_t ck_link_error_encode(const struct ck_link_error *e, uint8_t *out, size_t cap)
{
	struct cur c = { .w = out, .len = cap };
	size_t n = strnlen(e->text, CK_LINK_ERR_TEXT_MAX);

	put_u8(&c, CK_LINK_AUTH_ERROR);
	put_u8(&c, CK_LINK_VERSION);
	put_u8(&c, e->code);
	put_u8(&c, (uint8_t)n);
	put(&c, e->text, n);
	return done_enc(&c);
}

int ck_link_error_decode(const uint8_t *in, size_t len, struct ck_link_error *e)
{
	struct cur c = { .r = in, .len = len };
	const uint8_t *p;
	size_t n, i;

	memset(e, 0, sizeof(*e));
	if (get_u8(&c) != CK_LINK_AUTH_ERROR || get_u8(&c) != CK_LINK_VERSION)
		return -EINVAL;
	e->code = get_u8(&c);
	n = get_u8(&c);
	if (n > CK_LINK_ERR_TEXT_MAX)
		return -EINVAL;
	p = get(&c, n);
	if (!p)
		return -EINVAL;
	for (i = 0; i < n; i++)	/* printable only: it is shown to a person */
		e->text[i] = p[i] >= 0x20 && p[i] <= 0x7e ? (char)p[i] : '?';
	return done_dec(&c);
}

int ck_link_body_type(const uint8_t *in, size_t len)
{
	return len ? in[0] : -EINVAL;
}

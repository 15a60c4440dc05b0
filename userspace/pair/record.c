// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The pairing records inside the data package (pair.h; docs/pairing.md
 * "The pairing records", docs/data-package.md entry 0x0030): the value of
 * the entry `pairing-records` is
 *
 *   offset  size  field
 *        0     1  version, 1
 *        1     1  count n, 1-255 (no pairing: no entry)
 *        2     -  n records, strictly increasing identity (canonical)
 *
 * and each record
 *
 *        0    15  the peer's identity, ASCII digits (Luhn check digit)
 *       15    16  the peer's chip ID
 *       31     1  role: 0 listen, 1 connect (ours in this pairing)
 *       32     1  flags: bit 0 exclusive (chipkey pair --exclusive); the
 *                      other bits 0
 *       33     8  paired at, unix seconds, u64 big endian
 *       41    32  link key (secret)
 *       73     2  L, big endian
 *       75     L  the peer's device certificate, X.509 DER (exactly L bytes)
 *
 * Nothing else; no trailing bytes.  One encoding per list, so decoding
 * and encoding give back the same bytes (fuzz/pair-record.c checks it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <chipkey/byteorder.h>
#include "common/identity.h"
#include "pair.h"

#define LIST_VERSION	1
#define LIST_HDR	2
#define REC_FIXED	75
#define ID_LEN		15

void ck_pair_record_free(struct ck_pair_record *r)
{
	if (r->cert)
		OPENSSL_free(r->cert);
	OPENSSL_cleanse(r, sizeof(*r));
}

void ck_pair_list_free(struct ck_pair_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		ck_pair_record_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* exactly one X.509 certificate of @len bytes */
static int cert_valid(const uint8_t *der, size_t len)
{
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int ok = x && p == der + len;

	X509_free(x);
	return ok;
}

int ck_pair_list_decode(const uint8_t *buf, size_t len, struct ck_pair_list *l)
{
	size_t off = LIST_HDR, n, i;
	int err = -EINVAL;

	memset(l, 0, sizeof(*l));
	if (len < LIST_HDR || buf[0] != LIST_VERSION || buf[1] == 0)
		return -EINVAL;
	n = buf[1];
	l->v = calloc(n, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct ck_pair_record *r = &l->v[i];
		const uint8_t *p = buf + off;
		size_t cl;

		if (len - off < REC_FIXED)
			goto bad;
		cl = ck_get_be16(p + 73);
		if (len - off - REC_FIXED < cl || !ck_identity_valid_n((const char *)p, ID_LEN) ||
		    p[31] > 1 || (p[32] & ~CK_PAIR_F_EXCLUSIVE))
			goto bad;
		memcpy(r->identity, p, ID_LEN);
		r->identity[ID_LEN] = '\0';
		if (i && strcmp(l->v[i - 1].identity, r->identity) >= 0)
			goto bad;	/* out of order or twice */
		memcpy(r->chip_id, p + 15, sizeof(r->chip_id));
		r->role = p[31] ? CK_PAIR_CONNECT : CK_PAIR_LISTEN;
		r->flags = p[32];
		r->paired_at = ck_get_be64(p + 33);
		memcpy(r->link_key, p + 41, CK_PAIR_KEY_LEN);
		if (!cert_valid(p + REC_FIXED, cl))
			goto bad;
		r->cert = OPENSSL_memdup(p + REC_FIXED, cl);
		if (!r->cert) {
			err = -ENOMEM;
			goto bad;
		}
		r->cert_len = cl;
		l->n = i + 1;
		off += REC_FIXED + cl;
	}
	if (off == len)
		return 0;
bad:
	l->n = n;	/* free them all (calloc'd) */
	ck_pair_list_free(l);
	return err;
}

int ck_pair_list_encode(const struct ck_pair_list *l, uint8_t **out, size_t *len)
{
	size_t total = LIST_HDR, off = LIST_HDR, i;
	uint8_t *b;

	if (l->n == 0 || l->n > 255)
		return -EINVAL;
	for (i = 0; i < l->n; i++) {
		const struct ck_pair_record *r = &l->v[i];

		if (!ck_identity_valid(r->identity) || (r->flags & ~CK_PAIR_F_EXCLUSIVE) ||
		    r->cert_len > 0xffff ||
		    (i && strcmp(l->v[i - 1].identity, r->identity) >= 0))
			return -EINVAL;
		total += REC_FIXED + r->cert_len;
	}
	b = OPENSSL_malloc(total);
	if (!b)
		return -ENOMEM;
	b[0] = LIST_VERSION;
	b[1] = (uint8_t)l->n;
	for (i = 0; i < l->n; i++) {
		const struct ck_pair_record *r = &l->v[i];
		uint8_t *p = b + off;

		memcpy(p, r->identity, ID_LEN);
		memcpy(p + 15, r->chip_id, sizeof(r->chip_id));
		p[31] = r->role == CK_PAIR_CONNECT;
		p[32] = r->flags;
		ck_put_be64(p + 33, (uint64_t)r->paired_at);
		memcpy(p + 41, r->link_key, CK_PAIR_KEY_LEN);
		ck_put_be16(p + 73, (uint16_t)r->cert_len);
		memcpy(p + REC_FIXED, r->cert, r->cert_len);
		off += REC_FIXED + r->cert_len;
	}
	*out = b;
	*len = total;
	return 0;
}

int ck_pair_list_get(const struct ck_dp *dp, struct ck_pair_list *l)
{
	const uint8_t *v;
	size_t len;

	memset(l, 0, sizeof(*l));
	if (ck_dp_get(dp, CK_DP_PAIRING_RECORDS, &v, &len))
		return 0;	/* no pairing */
	return ck_pair_list_decode(v, len, l);
}

int ck_pair_list_put(struct ck_dp *dp, const struct ck_pair_list *l)
{
	uint8_t *b = NULL;
	size_t len = 0;
	int err;

	if (l->n == 0) {
		err = ck_dp_remove(dp, CK_DP_PAIRING_RECORDS);
		return err == -ENOENT ? 0 : err;
	}
	err = ck_pair_list_encode(l, &b, &len);
	if (!err)
		err = ck_dp_set(dp, CK_DP_PAIRING_RECORDS, 0, b, len);
	if (b)
		OPENSSL_clear_free(b, len);
	return err;
}

int ck_pair_list_find(const struct ck_pair_list *l, const char *identity,
		      const uint8_t *chip_id)
{
	for (size_t i = 0; i < l->n; i++)
		if ((identity && !strcmp(l->v[i].identity, identity)) ||
		    (chip_id && !memcmp(l->v[i].chip_id, chip_id, sizeof(l->v[i].chip_id))))
			return (int)i;
	return -1;
}

void ck_pair_list_remove(struct ck_pair_list *l, size_t i)
{
	ck_pair_record_free(&l->v[i]);
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
	l->n--;
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
}

int ck_pair_list_add(struct ck_pair_list *l, struct ck_pair_record *r)
{
	struct ck_pair_record *grown;
	int i = ck_pair_list_find(l, r->identity, NULL);
	size_t at = 0;

	if (i >= 0)
		ck_pair_list_remove(l, (size_t)i);
	if (l->n >= 255)
		return -ENOSPC;
	grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	l->v = grown;
	while (at < l->n && strcmp(l->v[at].identity, r->identity) < 0)
		at++;
	memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof(l->v[0]));
	l->v[at] = *r;		/* the list owns the certificate now */
	l->n++;
	memset(r, 0, sizeof(*r));
	return 0;
}

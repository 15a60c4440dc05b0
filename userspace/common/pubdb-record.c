// SPDX-License-Identifier: GPL-2.0
/*
 * The public database write record (docs/pubdb-api.md): its one encoder
 * (pubdb_record_build) and decoder (pubdb_record_parse) of the wire layout
 * in include/chipkey/pubdb_record.h, and the writer checks
 * (pubdb_record_verify, pubdb_load_cas).
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/identity.h"
#include "common/pki.h"
#include "common/pubdb-record.h"

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ---- encoder: fields are appended at a cursor into a buffer sized in advance ---- */

static void put_bytes(uint8_t **p, const void *d, size_t n)
{
	if (n)
		memcpy(*p, d, n);
	*p += n;
}

/* a struct pubdb_wire_len32, then the @n bytes at @d */
static void put_field32(uint8_t **p, const void *d, size_t n)
{
	struct pubdb_wire_len32 l = { .len = htobe32((uint32_t)n) };

	put_bytes(p, &l, sizeof(l));
	put_bytes(p, d, n);
}

int pubdb_record_build(const struct pubdb_fields *f, EVP_PKEY *key, X509 *writer,
		       uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
	struct pubdb_wire_head h = {
		.version = htobe16(PUBDB_VERSION),
		.flags = 0,
		.identity_len = PUBDB_IDENTITY_LEN,
	};
	struct pubdb_wire_len16 sl;
	unsigned char *wder = NULL;
	uint8_t *buf = NULL, *p, *sig_len_at;
	size_t total, signed_len, sig_len = 0;
	EVP_MD_CTX *md = NULL;
	int wlen = 0, rc = -EINVAL;

	*out = NULL;
	*out_len = 0;
	if (!f || !f->identity || !ck_identity_valid(f->identity))
		return fail(err, errlen, -EINVAL,
			    "identity must be 15 digits with a Luhn check digit");
	if (f->generation == 0 || f->generation > (uint64_t)INT64_MAX)
		return fail(err, errlen, -EINVAL, "generation must be 1..2^63-1");
	if (!f->backup || !f->backup_len || f->backup_len > PUBDB_MAX_BACKUP ||
	    !f->cert || !f->cert_len || f->cert_len > PUBDB_MAX_CERT)
		return fail(err, errlen, -EINVAL, "missing or oversize backup or certificate");
	if ((key == NULL) != (writer == NULL))
		return fail(err, errlen, -EINVAL, "key and writer certificate go together");
	if (writer) {
		wlen = i2d_X509(writer, &wder);
		if (wlen <= 0 || (size_t)wlen > PUBDB_MAX_CERT)
			return fail(err, errlen, -EINVAL, "cannot encode writer certificate");
	}
	signed_len = sizeof(h) + 3 * sizeof(struct pubdb_wire_len32) + f->backup_len +
		     f->cert_len + (size_t)wlen;
	total = signed_len + sizeof(sl) + PUBDB_MAX_SIG;
	buf = malloc(total);
	if (!buf) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	memcpy(h.magic, PUBDB_MAGIC, PUBDB_MAGIC_LEN);
	memcpy(h.chip_id, f->chip_id, PUBDB_CHIP_ID_LEN);
	h.generation = htobe64(f->generation);
	memcpy(h.identity, f->identity, PUBDB_IDENTITY_LEN);
	p = buf;
	put_bytes(&p, &h, sizeof(h));
	put_field32(&p, f->backup, f->backup_len);
	put_field32(&p, f->cert, f->cert_len);
	put_field32(&p, wder, (size_t)wlen);
	sig_len_at = p;		/* the signature length follows the signature */
	p += sizeof(sl);

	if (key) {
		if (!EVP_PKEY_is_a(key, "EC")) {
			rc = fail(err, errlen, -EINVAL, "writer key is not an EC key");
			goto out;
		}
		if (X509_check_private_key(writer, key) != 1) {
			ERR_clear_error();
			rc = fail(err, errlen, -EINVAL,
				  "writer key does not match its certificate");
			goto out;
		}
		md = EVP_MD_CTX_new();
		sig_len = PUBDB_MAX_SIG;
		if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) != 1 ||
		    EVP_DigestSign(md, p, &sig_len, buf, signed_len) != 1) {
			ERR_clear_error();
			rc = fail(err, errlen, -EIO, "signing failed");
			goto out;
		}
	}
	sl.len = htobe16((uint16_t)sig_len);
	memcpy(sig_len_at, &sl, sizeof(sl));
	*out = buf;
	*out_len = signed_len + sizeof(sl) + sig_len;
	buf = NULL;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(wder);
	free(buf);
	return rc;
}

/* ---- decoder: every length is checked against what is left before it is used ---- */

struct cursor {
	const uint8_t *p;
	size_t left;
};

/* The next @n bytes (NULL if fewer are left; no pointer arithmetic then). */
static const uint8_t *take(struct cursor *c, size_t n)
{
	const uint8_t *q = c->p;

	if (c->left < n)
		return NULL;
	if (n) {
		c->p += n;
		c->left -= n;
	}
	return q;
}

/* A length of @lsize bytes (a struct pubdb_wire_len32 or _len16), then a
 * field of that length, min..max bytes; *d is NULL for an empty field. */
static int take_field(struct cursor *c, size_t lsize, size_t min, size_t max, const char *what,
		      const uint8_t **d, size_t *n, char *err, size_t errlen)
{
	const uint8_t *q = take(c, lsize);

	if (!q)
		return fail(err, errlen, -EBADMSG, "record truncated in %s length", what);
	if (lsize == sizeof(struct pubdb_wire_len32)) {
		struct pubdb_wire_len32 l;

		memcpy(&l, q, sizeof(l));
		*n = be32toh(l.len);
	} else {
		struct pubdb_wire_len16 l;

		memcpy(&l, q, sizeof(l));
		*n = be16toh(l.len);
	}
	if (*n < min || *n > max)
		return fail(err, errlen, -EBADMSG, "%s length %zu out of range", what, *n);
	q = take(c, *n);
	if (!q)
		return fail(err, errlen, -EBADMSG, "record truncated in %s", what);
	*d = *n ? q : NULL;
	return 0;
}

int pubdb_record_parse(const uint8_t *buf, size_t len, struct pubdb_record *r,
		       char *err, size_t errlen)
{
	struct cursor c = { .p = buf, .left = buf ? len : 0 };
	struct pubdb_wire_head h;
	const uint8_t *q;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!c.left)
		return fail(err, errlen, -EBADMSG, "empty record");
	q = take(&c, sizeof(h));
	if (!q)
		return fail(err, errlen, -EBADMSG, "record truncated in header");
	memcpy(&h, q, sizeof(h));
	if (memcmp(h.magic, PUBDB_MAGIC, PUBDB_MAGIC_LEN))
		return fail(err, errlen, -EBADMSG, "bad magic (want \"" PUBDB_MAGIC "\")");
	if (be16toh(h.version) != PUBDB_VERSION)
		return fail(err, errlen, -EBADMSG, "unsupported record version %u",
			    (unsigned int)be16toh(h.version));
	if (h.flags)
		return fail(err, errlen, -EBADMSG, "unknown flags");
	memcpy(r->chip_id, h.chip_id, PUBDB_CHIP_ID_LEN);
	r->generation = be64toh(h.generation);
	if (r->generation == 0 || r->generation > (uint64_t)INT64_MAX)
		return fail(err, errlen, -EBADMSG, "generation out of range");
	if (h.identity_len != PUBDB_IDENTITY_LEN)
		return fail(err, errlen, -EBADMSG, "identity length must be 15");
	memcpy(r->identity, h.identity, PUBDB_IDENTITY_LEN);
	r->identity[PUBDB_IDENTITY_LEN] = '\0';

	rc = take_field(&c, sizeof(struct pubdb_wire_len32), 1, PUBDB_MAX_BACKUP, "backup",
			&r->backup, &r->backup_len, err, errlen);
	if (!rc)
		rc = take_field(&c, sizeof(struct pubdb_wire_len32), 1, PUBDB_MAX_CERT,
				"certificate", &r->cert, &r->cert_len, err, errlen);
	if (!rc)
		rc = take_field(&c, sizeof(struct pubdb_wire_len32), 0, PUBDB_MAX_CERT,
				"writer certificate", &r->writer_cert, &r->writer_cert_len,
				err, errlen);
	if (rc)
		return rc;
	r->raw = buf;
	r->signed_len = len - c.left;
	rc = take_field(&c, sizeof(struct pubdb_wire_len16), 0, PUBDB_MAX_SIG, "signature",
			&r->sig, &r->sig_len, err, errlen);
	if (rc)
		return rc;
	if (c.left)
		return fail(err, errlen, -EBADMSG, "%zu trailing bytes", c.left);
	return 0;
}

const char *pubdb_verdict_str(enum pubdb_verdict v)
{
	switch (v) {
	case PUBDB_VALID: return "valid";
	case PUBDB_UNSIGNED: return "unsigned";
	case PUBDB_BAD_SIGNATURE: return "bad signature";
	case PUBDB_UNTRUSTED: return "writer not trusted";
	case PUBDB_NOT_WRITER: return "writer lacks the writer role";
	case PUBDB_BAD_CONTENT: return "bad content";
	}
	return "?";
}

/* true if the subject has an OU equal to @role */
static bool has_role(X509 *x, const char *role)
{
	X509_NAME *name = X509_get_subject_name(x);
	int idx = -1;

	while ((idx = X509_NAME_get_index_by_NID(name, NID_organizationalUnitName, idx)) >= 0) {
		ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
		unsigned char *u = NULL;
		int n = ASN1_STRING_to_UTF8(&u, s);
		bool match = n == (int)strlen(role) && !memcmp(u, role, (size_t)n);

		OPENSSL_free(u);
		if (match)
			return true;
	}
	return false;
}

enum pubdb_verdict pubdb_record_verify(const struct pubdb_record *r, X509_STORE *cas,
				       char *err, size_t errlen)
{
	enum pubdb_verdict v = PUBDB_VALID;
	X509 *w = NULL, *dev = NULL;
	X509_STORE_CTX *ctx = NULL;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *pk;

	if (!r->writer_cert_len || !r->sig_len) {
		fail(err, errlen, 0, "record is not signed");
		return PUBDB_UNSIGNED;
	}
	w = pki_cert_from_der(r->writer_cert, r->writer_cert_len);
	if (!w) {
		fail(err, errlen, 0, "writer certificate is not one DER X.509 certificate");
		v = PUBDB_BAD_SIGNATURE;
		goto out;
	}
	pk = X509_get0_pubkey(w);
	if (!pki_is_p256(pk)) {
		fail(err, errlen, 0, "writer key is not EC P-256");
		v = PUBDB_BAD_SIGNATURE;
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pk, NULL) != 1 ||
	    EVP_DigestVerify(md, r->sig, r->sig_len, r->raw, r->signed_len) != 1) {
		fail(err, errlen, 0, "signature does not verify");
		v = PUBDB_BAD_SIGNATURE;
		goto out;
	}
	ctx = X509_STORE_CTX_new();
	if (!ctx || !cas || X509_STORE_CTX_init(ctx, cas, w, NULL) != 1) {
		fail(err, errlen, 0, "cannot set up certificate verification");
		v = PUBDB_UNTRUSTED;
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		fail(err, errlen, 0, "writer certificate: %s",
		     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		v = PUBDB_UNTRUSTED;
		goto out;
	}
	if (!has_role(w, PUBDB_ROLE_SPP)) {
		fail(err, errlen, 0, "writer certificate has no OU=" PUBDB_ROLE_SPP);
		v = PUBDB_NOT_WRITER;
		goto out;
	}
	if (!ck_identity_valid(r->identity)) {
		fail(err, errlen, 0, "identity is not 15 digits with a Luhn check digit");
		v = PUBDB_BAD_CONTENT;
		goto out;
	}
	dev = pki_cert_from_der(r->cert, r->cert_len);
	if (!dev) {
		fail(err, errlen, 0, "device certificate is not one DER X.509 certificate");
		v = PUBDB_BAD_CONTENT;
		goto out;
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	EVP_MD_CTX_free(md);
	X509_free(w);
	X509_free(dev);
	return v;
}

X509_STORE *pubdb_load_cas(const char *pem_path, char *err, size_t errlen)
{
	X509_STORE *st;
	FILE *f;
	X509 *x;
	int n = 0;

	f = fopen(pem_path, "r");
	if (!f) {
		fail(err, errlen, 0, "cannot open %s: %s", pem_path, strerror(errno));
		return NULL;
	}
	st = X509_STORE_new();
	while (st && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(st, x) == 1)
			n++;
		X509_free(x);
	}
	fclose(f);
	ERR_clear_error();
	if (!st || n == 0) {
		X509_STORE_free(st);
		fail(err, errlen, 0, "no certificate in %s", pem_path);
		return NULL;
	}
	return st;
}

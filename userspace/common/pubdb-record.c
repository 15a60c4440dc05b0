// SPDX-License-Identifier: GPL-2.0
/*
 * The public database write record (docs/pubdb-api.md): its one encoder
 * (pubdb_record_build) and decoder (pubdb_record_parse).  Format 1, the
 * wire layout in include/chipkey/pubdb_record.h, is coded here; format 2
 * wraps an unsigned format-1 record in CMS SignedData (pubdb-cms.c).  Who
 * may write what is pubdb-validate.c.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "common/identity.h"
#include "common/pubdb-cms.h"
#include "common/pubdb-record.h"

int pubdb_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	ERR_clear_error();
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

int pubdb_record_build_v1(const struct pubdb_fields *f, EVP_PKEY *key, X509 *writer,
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
		return pubdb_fail(err, errlen, -EINVAL,
					  "identity must be 15 digits with a Luhn check digit");
	if (f->generation == 0 || f->generation > (uint64_t)INT64_MAX)
		return pubdb_fail(err, errlen, -EINVAL, "generation must be 1..2^63-1");
	if (!f->backup || !f->backup_len || f->backup_len > PUBDB_MAX_BACKUP ||
	    !f->cert || !f->cert_len || f->cert_len > PUBDB_MAX_CERT)
		return pubdb_fail(err, errlen, -EINVAL, "missing or oversize backup or certificate");
	if ((key == NULL) != (writer == NULL))
		return pubdb_fail(err, errlen, -EINVAL, "key and writer certificate go together");
	if (writer) {
		wlen = i2d_X509(writer, &wder);
		if (wlen <= 0 || (size_t)wlen > PUBDB_MAX_CERT)
			return pubdb_fail(err, errlen, -EINVAL, "cannot encode writer certificate");
	}
	signed_len = sizeof(h) + 3 * sizeof(struct pubdb_wire_len32) + f->backup_len +
		     f->cert_len + (size_t)wlen;
	total = signed_len + sizeof(sl) + PUBDB_MAX_SIG;
	buf = malloc(total);
	if (!buf) {
		rc = pubdb_fail(err, errlen, -ENOMEM, "out of memory");
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
			rc = pubdb_fail(err, errlen, -EINVAL, "writer key is not an EC key");
			goto out;
		}
		if (X509_check_private_key(writer, key) != 1) {
			ERR_clear_error();
			rc = pubdb_fail(err, errlen, -EINVAL,
					"writer key does not match its certificate");
			goto out;
		}
		md = EVP_MD_CTX_new();
		sig_len = PUBDB_MAX_SIG;
		if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) != 1 ||
		    EVP_DigestSign(md, p, &sig_len, buf, signed_len) != 1) {
			ERR_clear_error();
			rc = pubdb_fail(err, errlen, -EIO, "signing failed");
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

int pubdb_record_build(const struct pubdb_fields *f, EVP_PKEY *key, X509 *writer,
		       uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
	uint8_t *content;
	size_t content_len;
	int rc;

	*out = NULL;
	*out_len = 0;
	if ((key == NULL) != (writer == NULL))
		return pubdb_fail(err, errlen, -EINVAL, "key and writer certificate go together");
	if (!key)
		return pubdb_record_build_v1(f, NULL, NULL, out, out_len, err, errlen);
	rc = pubdb_record_build_v1(f, NULL, NULL, &content, &content_len, err, errlen);
	if (rc)
		return rc;
	rc = pubdb_cms_sign(PUBDB_CMS_CONTENT_OID, content, content_len, key, writer, out,
			    out_len, err, errlen);
	free(content);
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
		return pubdb_fail(err, errlen, -EBADMSG, "record truncated in %s length", what);
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
		return pubdb_fail(err, errlen, -EBADMSG, "%s length %zu out of range", what, *n);
	q = take(c, *n);
	if (!q)
		return pubdb_fail(err, errlen, -EBADMSG, "record truncated in %s", what);
	*d = *n ? q : NULL;
	return 0;
}

int pubdb_record_parse_v1(const uint8_t *buf, size_t len, struct pubdb_record *r,
			  char *err, size_t errlen)
{
	struct cursor c = { .p = buf, .left = buf ? len : 0 };
	struct pubdb_wire_head h;
	const uint8_t *q;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!c.left)
		return pubdb_fail(err, errlen, -EBADMSG, "empty record");
	q = take(&c, sizeof(h));
	if (!q)
		return pubdb_fail(err, errlen, -EBADMSG, "record truncated in header");
	memcpy(&h, q, sizeof(h));
	if (memcmp(h.magic, PUBDB_MAGIC, PUBDB_MAGIC_LEN))
		return pubdb_fail(err, errlen, -EBADMSG, "bad magic (want \"" PUBDB_MAGIC "\")");
	if (be16toh(h.version) != PUBDB_VERSION)
		return pubdb_fail(err, errlen, -EBADMSG, "unsupported record version %u",
					  (unsigned int)be16toh(h.version));
	if (h.flags)
		return pubdb_fail(err, errlen, -EBADMSG, "unknown flags");
	memcpy(r->chip_id, h.chip_id, PUBDB_CHIP_ID_LEN);
	r->generation = be64toh(h.generation);
	if (r->generation == 0 || r->generation > (uint64_t)INT64_MAX)
		return pubdb_fail(err, errlen, -EBADMSG, "generation out of range");
	if (h.identity_len != PUBDB_IDENTITY_LEN)
		return pubdb_fail(err, errlen, -EBADMSG, "identity length must be 15");
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
	r->format = PUBDB_FORMAT_V1;
	r->raw = buf;
	r->raw_len = len;
	r->signed_len = len - c.left;
	rc = take_field(&c, sizeof(struct pubdb_wire_len16), 0, PUBDB_MAX_SIG, "signature",
			&r->sig, &r->sig_len, err, errlen);
	if (rc)
		return rc;
	if (c.left)
		return pubdb_fail(err, errlen, -EBADMSG, "%zu trailing bytes", c.left);
	return 0;
}

int pubdb_record_parse(const uint8_t *buf, size_t len, struct pubdb_record *r,
		       char *err, size_t errlen)
{
	if (buf && len && buf[0] == 0x30)	/* a DER SEQUENCE: CMS */
		return pubdb_cms_parse(buf, len, r, err, errlen);
	return pubdb_record_parse_v1(buf, len, r, err, errlen);
}

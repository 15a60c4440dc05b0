// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey public database: signed write record (docs/pubdb-api.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pubdb_client.h"

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

static bool identity_ok(const char *s)
{
	unsigned int sum = 0;
	size_t i;

	if (strlen(s) != PUBDB_IDENTITY_LEN)
		return false;
	for (i = 0; i < PUBDB_IDENTITY_LEN; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned int)(s[i] - '0');
		/* from the right, every second digit (starting with the one
		 * left of the check digit) is doubled */
		if ((PUBDB_IDENTITY_LEN - 1 - i) % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return sum % 10 == 0;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int pubdb_record_build(const struct pubdb_fields *f, EVP_PKEY *key, X509 *writer,
		       uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
	unsigned char *wder = NULL;
	uint8_t *buf = NULL, *p;
	size_t total, signed_len, sig_len = 0;
	EVP_MD_CTX *md = NULL;
	int wlen = 0, rc = -EINVAL;

	*out = NULL;
	*out_len = 0;
	if (!f || !f->identity || !identity_ok(f->identity))
		return fail(err, errlen, -EINVAL, "identity must be 15 digits with a Luhn check digit");
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
	signed_len = PUBDB_HDR_LEN + 1 + PUBDB_IDENTITY_LEN + 4 + f->backup_len + 4 +
		     f->cert_len + 4 + (size_t)wlen;
	total = signed_len + 2 + PUBDB_MAX_SIG;
	buf = malloc(total);
	if (!buf) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	p = buf;
	memcpy(p, PUBDB_MAGIC, 4);
	put_be(p + 4, PUBDB_VERSION, 2);
	put_be(p + 6, 0, 2);
	memcpy(p + 8, f->chip_id, PUBDB_CHIP_ID_LEN);
	put_be(p + 24, f->generation, 8);
	p += PUBDB_HDR_LEN;
	*p++ = PUBDB_IDENTITY_LEN;
	memcpy(p, f->identity, PUBDB_IDENTITY_LEN);
	p += PUBDB_IDENTITY_LEN;
	put_be(p, f->backup_len, 4);
	memcpy(p + 4, f->backup, f->backup_len);
	p += 4 + f->backup_len;
	put_be(p, f->cert_len, 4);
	memcpy(p + 4, f->cert, f->cert_len);
	p += 4 + f->cert_len;
	put_be(p, (uint64_t)wlen, 4);
	if (wlen)
		memcpy(p + 4, wder, (size_t)wlen);
	p += 4 + wlen;

	if (key) {
		if (!EVP_PKEY_is_a(key, "EC")) {
			rc = fail(err, errlen, -EINVAL, "writer key is not an EC key");
			goto out;
		}
		if (X509_check_private_key(writer, key) != 1) {
			ERR_clear_error();
			rc = fail(err, errlen, -EINVAL, "writer key does not match its certificate");
			goto out;
		}
		md = EVP_MD_CTX_new();
		sig_len = PUBDB_MAX_SIG;
		if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) != 1 ||
		    EVP_DigestSign(md, p + 2, &sig_len, buf, signed_len) != 1) {
			ERR_clear_error();
			rc = fail(err, errlen, -EIO, "signing failed");
			goto out;
		}
	}
	put_be(p, sig_len, 2);
	*out = buf;
	*out_len = signed_len + 2 + sig_len;
	buf = NULL;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(wder);
	free(buf);
	return rc;
}

int pubdb_record_parse(const uint8_t *buf, size_t len, struct pubdb_record *r,
		       char *err, size_t errlen)
{
	const uint8_t *p = buf, *end = buf + len;
	size_t n;

	memset(r, 0, sizeof(*r));
#define NEED(k, what) do { if ((size_t)(end - p) < (size_t)(k)) \
	return fail(err, errlen, -EBADMSG, "record truncated in %s", what); } while (0)
	if (!buf)
		return fail(err, errlen, -EBADMSG, "empty record");
	NEED(PUBDB_HDR_LEN, "header");
	if (memcmp(p, PUBDB_MAGIC, 4))
		return fail(err, errlen, -EBADMSG, "bad magic (want \"CKPR\")");
	if (get_be(p + 4, 2) != PUBDB_VERSION)
		return fail(err, errlen, -EBADMSG, "unsupported record version %u",
			    (unsigned int)get_be(p + 4, 2));
	if (get_be(p + 6, 2) != 0)
		return fail(err, errlen, -EBADMSG, "unknown flags");
	memcpy(r->chip_id, p + 8, PUBDB_CHIP_ID_LEN);
	r->generation = get_be(p + 24, 8);
	if (r->generation == 0 || r->generation > (uint64_t)INT64_MAX)
		return fail(err, errlen, -EBADMSG, "generation out of range");
	p += PUBDB_HDR_LEN;
	NEED(1, "identity length");
	if (*p != PUBDB_IDENTITY_LEN)
		return fail(err, errlen, -EBADMSG, "identity length must be 15");
	p++;
	NEED(PUBDB_IDENTITY_LEN, "identity");
	memcpy(r->identity, p, PUBDB_IDENTITY_LEN);
	r->identity[PUBDB_IDENTITY_LEN] = '\0';
	p += PUBDB_IDENTITY_LEN;

	NEED(4, "backup length");
	n = get_be(p, 4);
	p += 4;
	if (n == 0 || n > PUBDB_MAX_BACKUP)
		return fail(err, errlen, -EBADMSG, "backup length %zu out of range", n);
	NEED(n, "backup");
	r->backup = p;
	r->backup_len = n;
	p += n;

	NEED(4, "certificate length");
	n = get_be(p, 4);
	p += 4;
	if (n == 0 || n > PUBDB_MAX_CERT)
		return fail(err, errlen, -EBADMSG, "certificate length %zu out of range", n);
	NEED(n, "certificate");
	r->cert = p;
	r->cert_len = n;
	p += n;

	NEED(4, "writer certificate length");
	n = get_be(p, 4);
	p += 4;
	if (n > PUBDB_MAX_CERT)
		return fail(err, errlen, -EBADMSG, "writer certificate too long");
	NEED(n, "writer certificate");
	r->writer_cert = n ? p : NULL;
	r->writer_cert_len = n;
	p += n;
	r->raw = buf;
	r->signed_len = (size_t)(p - buf);

	NEED(2, "signature length");
	n = get_be(p, 2);
	p += 2;
	if (n > PUBDB_MAX_SIG)
		return fail(err, errlen, -EBADMSG, "signature too long");
	NEED(n, "signature");
	r->sig = n ? p : NULL;
	r->sig_len = n;
	p += n;
	if (p != end)
		return fail(err, errlen, -EBADMSG, "%zu trailing bytes", (size_t)(end - p));
#undef NEED
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

static bool is_p256(EVP_PKEY *k)
{
	char group[64];
	size_t glen = 0;

	if (!EVP_PKEY_is_a(k, "EC"))
		return false;
	if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
					   sizeof(group), &glen) != 1)
		return false;
	return !strcmp(group, "prime256v1") || !strcmp(group, "P-256");
}

enum pubdb_verdict pubdb_record_verify(const struct pubdb_record *r, X509_STORE *cas,
				       char *err, size_t errlen)
{
	enum pubdb_verdict v = PUBDB_VALID;
	const unsigned char *q;
	X509 *w = NULL, *dev = NULL;
	X509_STORE_CTX *ctx = NULL;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *pk;

	if (!r->writer_cert_len || !r->sig_len) {
		fail(err, errlen, 0, "record is not signed");
		return PUBDB_UNSIGNED;
	}
	q = r->writer_cert;
	w = d2i_X509(NULL, &q, (long)r->writer_cert_len);
	if (!w || q != r->writer_cert + r->writer_cert_len) {
		fail(err, errlen, 0, "writer certificate is not one DER X.509 certificate");
		v = PUBDB_BAD_SIGNATURE;
		goto out;
	}
	pk = X509_get0_pubkey(w);
	if (!pk || !is_p256(pk)) {
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
	if (!identity_ok(r->identity)) {
		fail(err, errlen, 0, "identity is not 15 digits with a Luhn check digit");
		v = PUBDB_BAD_CONTENT;
		goto out;
	}
	q = r->cert;
	dev = d2i_X509(NULL, &q, (long)r->cert_len);
	if (!dev || q != r->cert + r->cert_len) {
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

// SPDX-License-Identifier: GPL-2.0
/*
 * Format 2 of the public database record (docs/pubdb-api.md "Format 2"):
 * a DER CMS SignedData (RFC 5652) whose attached content, of type
 * id-ct-chipkeyRecord (PUBDB_CMS_CONTENT_OID), is an unsigned format-1
 * record.  Signing, parsing and the signature check, all through
 * OpenSSL's CMS API; the writer's chain and role are pubdb-validate.c.
 *
 * The parsed record's pointers point into the caller's buffer: each part
 * OpenSSL decoded (content, writer certificate, signature) is looked up
 * there byte for byte.  The record must be DER (it re-encodes to the same
 * bytes), so the content is one primitive OCTET STRING found in place.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "common/pki.h"
#include "common/pubdb-cms.h"

#define SIGN_FLAGS	(CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP)

int pubdb_cms_sign(const char *oid, const uint8_t *content, size_t content_len, EVP_PKEY *key,
		   X509 *writer, uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
	return pubdb_cms_sign_chain(oid, content, content_len, key, writer, NULL, out, out_len,
				    err, errlen);
}

int pubdb_record_build_chain(const struct pubdb_fields *f, EVP_PKEY *key, X509 *writer,
			     X509 *ca, uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
	uint8_t *content;
	size_t content_len;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!key || !writer)
		return pubdb_fail(err, errlen, -EINVAL, "no writer key or certificate");
	rc = pubdb_record_build_v1(f, NULL, NULL, &content, &content_len, err, errlen);
	if (rc)
		return rc;
	rc = pubdb_cms_sign_chain(PUBDB_CMS_CONTENT_OID, content, content_len, key, writer, ca,
				  out, out_len, err, errlen);
	free(content);
	return rc;
}

int pubdb_cms_sign_chain(const char *oid, const uint8_t *content, size_t content_len,
			 EVP_PKEY *key, X509 *writer, X509 *ca, uint8_t **out, size_t *out_len,
			 char *err, size_t errlen)
{
	ASN1_OBJECT *type = OBJ_txt2obj(oid, 1);
	EVP_MD *sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	CMS_ContentInfo *cms = NULL;
	unsigned char *der = NULL;
	BIO *in = NULL;
	int n, rc;

	*out = NULL;
	*out_len = 0;
	if (!pki_is_p256(key)) {
		rc = pubdb_fail(err, errlen, -EINVAL, "writer key is not an EC P-256 key");
		goto out;
	}
	if (X509_check_private_key(writer, key) != 1) {
		rc = pubdb_fail(err, errlen, -EINVAL, "writer key does not match its certificate");
		goto out;
	}
	if (content_len > INT_MAX) {
		rc = pubdb_fail(err, errlen, -EINVAL, "record too large");
		goto out;
	}
	in = BIO_new_mem_buf(content, (int)content_len);
	cms = CMS_sign(NULL, NULL, NULL, NULL, SIGN_FLAGS);
	/* contentType, messageDigest and signingTime are added by CMS_final */
	if (!type || !sha256 || !in || !cms ||
	    !CMS_add1_signer(cms, writer, key, sha256, SIGN_FLAGS) ||
	    (ca && CMS_add1_cert(cms, ca) != 1) ||
	    CMS_set1_eContentType(cms, type) != 1 ||
	    CMS_final(cms, in, NULL, CMS_BINARY) != 1 ||
	    (n = i2d_CMS_ContentInfo(cms, &der)) <= 0) {
		rc = pubdb_fail(err, errlen, -EIO, "CMS signing failed");
		goto out;
	}
	*out = malloc((size_t)n);
	if (!*out) {
		rc = pubdb_fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*out, der, (size_t)n);
	*out_len = (size_t)n;
	rc = 0;
out:
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	EVP_MD_free(sha256);
	ASN1_OBJECT_free(type);
	return rc;
}

/* Where the @n bytes at @d are in @buf (NULL: nowhere). */
static const uint8_t *in_buf(const uint8_t *buf, size_t len, const void *d, size_t n)
{
	return n && d ? memmem(buf, len, d, n) : NULL;
}

/*
 * Certificates of SignedData decoded before, by their exact DER.  Every
 * record of one writer carries the same two certificates (the writer's
 * and its issuing CA's), and OpenSSL 3.0 decodes each one's public key
 * with its provider decoders, the most expensive part of decoding a
 * record.  decode_cached() takes them from here; the caller then checks
 * that the whole decoded structure re-encodes to the record byte for byte,
 * as for any record.  Round robin; the X509 objects are shared
 * (reference counted, only read).
 */
#define CERT_CACHE 8
static struct {
	uint8_t *der;
	size_t len;
	X509 *x;
} certs_seen[CERT_CACHE];
static unsigned int certs_next;
static pthread_mutex_t certs_lock = PTHREAD_MUTEX_INITIALIZER;

/* The certificate of DER @der (exactly @len bytes, one certificate), a
 * reference of the caller's; NULL if it does not decode. */
static X509 *cert_of(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = NULL;
	unsigned int i;

	pthread_mutex_lock(&certs_lock);
	for (i = 0; i < CERT_CACHE; i++)
		if (certs_seen[i].x && certs_seen[i].len == len &&
		    !memcmp(certs_seen[i].der, der, len)) {
			x = X509_up_ref(certs_seen[i].x) ? certs_seen[i].x : NULL;
			break;
		}
	pthread_mutex_unlock(&certs_lock);
	if (i < CERT_CACHE)
		return x;
	x = len <= LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
	if (!x || p != der + len) {
		X509_free(x);
		return NULL;
	}
	pthread_mutex_lock(&certs_lock);
	i = certs_next;
	certs_next = (i + 1) % CERT_CACHE;
	X509_free(certs_seen[i].x);
	free(certs_seen[i].der);
	certs_seen[i].der = malloc(len);
	certs_seen[i].x = certs_seen[i].der && X509_up_ref(x) ? x : NULL;
	if (certs_seen[i].x)
		memcpy(certs_seen[i].der, der, len);
	certs_seen[i].len = len;
	pthread_mutex_unlock(&certs_lock);
	return x;
}

/* One DER TLV at @p (before @end): its tag (one byte, low tag numbers
 * only), where its content starts and its length; definite lengths in
 * their shortest form only.  0 or -1. */
static int tlv(const uint8_t *p, const uint8_t *end, uint8_t *tag, const uint8_t **body,
	       size_t *blen)
{
	size_t n, k;

	if (end - p < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = p[0];
	n = p[1];
	p += 2;
	if (n & 0x80) {
		k = n & 0x7f;
		if (k < 1 || k > 3 || (size_t)(end - p) < k || !p[0])
			return -1;
		for (n = 0; k; k--)
			n = n << 8 | *p++;
		if (n < 0x80)
			return -1;
	}
	if ((size_t)(end - p) < n)
		return -1;
	*body = p;
	*blen = n;
	return 0;
}

/* A DER header of @tag and length @n at @out (room for 5 bytes): its length */
static size_t header(uint8_t *out, uint8_t tag, size_t n)
{
	size_t k = n < 0x80 ? 0 : n < 0x100 ? 1 : n < 0x10000 ? 2 : 3;

	out[0] = tag;
	if (!k) {
		out[1] = (uint8_t)n;
		return 2;
	}
	out[1] = (uint8_t)(0x80 | k);
	for (size_t i = 0; i < k; i++)
		out[2 + i] = (uint8_t)(n >> 8 * (k - 1 - i));
	return 2 + k;
}

/*
 * decode() with the certificates taken from certs_seen: the SignedData is
 * decoded without its certificates field ([0] IMPLICIT SET OF, plain
 * certificates only), and each certificate, from its exact DER, added
 * back in order (CMS_add1_cert).  NULL when @buf has another shape (no
 * certificates, other choices than a certificate, a length not in its
 * shortest form, more than PUBDB_CMS_MAX_CERTS, ...) or anything fails:
 * then decode() decodes as OpenSSL does.  What it returns is checked as
 * any decode: it must re-encode to @buf.
 */
static CMS_ContentInfo *decode_cached(const uint8_t *buf, size_t len)
{
	const uint8_t *end = buf + len, *ci, *oid, *exp, *sd, *q, *sd_end, *certs = NULL;
	size_t ci_len, oid_len, exp_len, sd_len, n, certs_len = 0, parts_len = 0;
	X509 *x[PUBDB_CMS_MAX_CERTS] = { NULL };
	CMS_ContentInfo *cms = NULL;
	struct { const uint8_t *p; size_t n; } parts[5];
	int nparts = 0, nx = 0, i;
	uint8_t tag, *out = NULL;
	const unsigned char *pp;

	if (tlv(buf, end, &tag, &ci, &ci_len) || tag != 0x30 || ci + ci_len != end ||
	    tlv(ci, end, &tag, &oid, &oid_len) || tag != 0x06 ||
	    tlv(oid + oid_len, end, &tag, &exp, &exp_len) || tag != 0xa0 ||
	    exp + exp_len != end ||
	    tlv(exp, end, &tag, &sd, &sd_len) || tag != 0x30 || sd + sd_len != end)
		return NULL;
	/* version, digestAlgorithms, encapContentInfo, [0] certificates,
	 * [1] crls, signerInfos: each but the certificates kept as it is */
	for (q = sd, sd_end = sd + sd_len; q < sd_end; q += n) {
		const uint8_t *b;
		size_t bl;

		if (tlv(q, sd_end, &tag, &b, &bl))
			return NULL;
		n = (size_t)(b - q) + bl;
		if (tag == 0xa0 && !certs) {
			certs = b;
			certs_len = bl;
		} else if (nparts < 5) {
			parts[nparts].p = q;
			parts[nparts++].n = n;
			parts_len += n;
		} else {
			return NULL;
		}
	}
	if (!certs)
		return NULL;
	for (q = certs; q < certs + certs_len; q += n) {
		const uint8_t *b;
		size_t bl;

		if (nx == PUBDB_CMS_MAX_CERTS || tlv(q, certs + certs_len, &tag, &b, &bl) ||
		    tag != 0x30)
			goto out;
		n = (size_t)(b - q) + bl;
		x[nx] = cert_of(q, n);
		if (!x[nx++])
			goto out;
	}
	/* ContentInfo { OID, [0] { SignedData { the parts } } } */
	n = 5 + 5 + 5 + (size_t)(exp - oid) + parts_len;
	out = malloc(n);
	if (!out)
		goto out;
	{
		uint8_t h[15];
		size_t sdh = header(h + 10, 0x30, parts_len);
		size_t exh = header(h + 5, 0xa0, sdh + parts_len);
		size_t cih = header(h, 0x30, (size_t)(oid + oid_len - ci) + exh + sdh + parts_len);
		size_t o = 0;

		memcpy(out + o, h, cih);
		o += cih;
		memcpy(out + o, ci, (size_t)(oid + oid_len - ci));
		o += (size_t)(oid + oid_len - ci);
		memcpy(out + o, h + 5, exh);
		o += exh;
		memcpy(out + o, h + 10, sdh);
		o += sdh;
		for (i = 0; i < nparts; i++) {
			memcpy(out + o, parts[i].p, parts[i].n);
			o += parts[i].n;
		}
		n = o;
	}
	pp = out;
	cms = d2i_CMS_ContentInfo(NULL, &pp, (long)n);
	if (!cms || pp != out + n || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		goto bad;
	for (i = 0; i < nx; i++)
		if (CMS_add1_cert(cms, x[i]) != 1)
			goto bad;
	goto out;
bad:
	CMS_ContentInfo_free(cms);
	cms = NULL;
out:
	for (i = 0; i < nx; i++)
		X509_free(x[i]);
	free(out);
	ERR_clear_error();
	return cms;
}

/* DER decode of a whole buffer; NULL unless it is exactly one DER
 * ContentInfo (re-encoding gives the same bytes). */
static CMS_ContentInfo *decode(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	const unsigned char *p = buf;
	unsigned char *der = NULL;
	CMS_ContentInfo *cms;
	int n;

	if (len > LONG_MAX) {
		pubdb_fail(err, errlen, -EBADMSG, "record too large");
		return NULL;
	}
	cms = decode_cached(buf, len);
	if (cms)
		p = buf + len;
	else
		cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (!cms) {
		pubdb_fail(err, errlen, -EBADMSG, "not a CMS structure");
		return NULL;
	}
	if (p != buf + len) {
		pubdb_fail(err, errlen, -EBADMSG, "%zu trailing bytes after the CMS structure",
			   (size_t)(buf + len - p));
		goto bad;
	}
	n = i2d_CMS_ContentInfo(cms, &der);
	if (n <= 0 || (size_t)n != len || memcmp(der, buf, len)) {
		pubdb_fail(err, errlen, -EBADMSG, "the CMS structure is not DER");
		goto bad;
	}
	OPENSSL_free(der);
	return cms;
bad:
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	return NULL;
}

/* signingTime: exactly one attribute with one UTCTime or GeneralizedTime */
static int signing_time(CMS_SignerInfo *si, int64_t *t, char *err, size_t errlen)
{
	int i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *a;
	ASN1_TYPE *v;
	time_t tt;

	if (i < 0)
		return pubdb_fail(err, errlen, -EBADMSG, "no signingTime signed attribute");
	if (CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, i) >= 0)
		return pubdb_fail(err, errlen, -EBADMSG, "two signingTime attributes");
	a = CMS_signed_get_attr(si, i);
	v = a && X509_ATTRIBUTE_count(a) == 1 ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
	if (!v || (v->type != V_ASN1_UTCTIME && v->type != V_ASN1_GENERALIZEDTIME) ||
	    pki_asn1_time((const ASN1_TIME *)v->value.asn1_string, &tt))
		return pubdb_fail(err, errlen, -EBADMSG, "signingTime is not one valid time");
	*t = (int64_t)tt;
	return 0;
}

/* The SignerInfo and certificate parts of pubdb_cms_unwrap(). */
static int parse_signer(CMS_ContentInfo *cms, const ASN1_OBJECT *type, const uint8_t *buf,
			size_t len, struct pubdb_record *r, char *err, size_t errlen)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	STACK_OF(X509_CRL) *crls = CMS_get1_crls(cms);
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	const ASN1_OBJECT *ct;
	ASN1_OCTET_STRING *sig;
	unsigned char *der = NULL;
	CMS_SignerInfo *si;
	int n, w, rc;

	if (sk_CMS_SignerInfo_num(sis) != 1) {
		rc = pubdb_fail(err, errlen, -EBADMSG, "%d signers (exactly one wanted)",
				sk_CMS_SignerInfo_num(sis));
		goto out;
	}
	if (sk_X509_num(certs) < 1 || sk_X509_num(certs) > PUBDB_CMS_MAX_CERTS ||
	    sk_X509_CRL_num(crls) > 0) {
		rc = pubdb_fail(err, errlen, -EBADMSG,
				"the writer's certificate (and its issuing CA's) and no CRL "
				"wanted");
		goto out;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	for (w = 0; w < sk_X509_num(certs); w++)
		if (!CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, w)))
			break;
	if (w == sk_X509_num(certs)) {
		rc = pubdb_fail(err, errlen, -EBADMSG, "no certificate is the signer's");
		goto out;
	}
	n = i2d_X509(sk_X509_value(certs, w), &der);
	r->writer_cert = n > 0 ? in_buf(buf, len, der, (size_t)n) : NULL;
	if (!r->writer_cert || (size_t)n > PUBDB_MAX_CERT) {
		rc = pubdb_fail(err, errlen, -EBADMSG, "writer certificate unreadable or too large");
		goto out;
	}
	r->writer_cert_len = (size_t)n;
	sig = CMS_SignerInfo_get0_signature(si);
	r->sig = sig ? in_buf(buf, len, ASN1_STRING_get0_data(sig),
			      (size_t)ASN1_STRING_length(sig)) : NULL;
	if (!r->sig || (size_t)ASN1_STRING_length(sig) > PUBDB_MAX_SIG) {
		rc = pubdb_fail(err, errlen, -EBADMSG, "signature missing or too large");
		goto out;
	}
	r->sig_len = (size_t)ASN1_STRING_length(sig);
	ct = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3,
					 V_ASN1_OBJECT);
	if (!ct || OBJ_cmp(ct, type)) {
		rc = pubdb_fail(err, errlen, -EBADMSG,
				"signed attribute contentType missing or not the content type");
		goto out;
	}
	rc = signing_time(si, &r->signing_time, err, errlen);
out:
	OPENSSL_free(der);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return rc;
}

/* pubdb_cms_unwrap; on success *keep (if not NULL) gets the decoded
 * ContentInfo. */
static int unwrap(const uint8_t *buf, size_t len, const char *oid, const char *name,
		  struct pubdb_record *r, const uint8_t **content, size_t *content_len,
		  CMS_ContentInfo **keep, char *err, size_t errlen)
{
	ASN1_OBJECT *type = OBJ_txt2obj(oid, 1);
	CMS_ContentInfo *cms = decode(buf, len, err, errlen);
	ASN1_OCTET_STRING **pos;
	int rc = -EBADMSG;

	memset(r, 0, sizeof(*r));
	*content = NULL;
	*content_len = 0;
	if (!cms || !type)
		goto out;
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		pubdb_fail(err, errlen, rc, "CMS content is not SignedData");
		goto out;
	}
	if (OBJ_cmp(CMS_get0_eContentType(cms), type)) {
		pubdb_fail(err, errlen, rc, "content type is not %s %s", name, oid);
		goto out;
	}
	pos = CMS_get0_content(cms);
	if (CMS_is_detached(cms) || !pos || !*pos) {
		pubdb_fail(err, errlen, rc, "detached content (the content must be attached)");
		goto out;
	}
	*content_len = (size_t)ASN1_STRING_length(*pos);
	*content = in_buf(buf, len, ASN1_STRING_get0_data(*pos), *content_len);
	if (!*content) {
		pubdb_fail(err, errlen, rc, "content not found in the CMS structure");
		goto out;
	}
	rc = parse_signer(cms, type, buf, len, r, err, errlen);
	if (rc)
		goto out;
	r->format = PUBDB_FORMAT_CMS;
	r->raw = buf;
	r->raw_len = len;
	if (keep) {
		*keep = cms;
		cms = NULL;
	}
out:
	if (rc) {
		memset(r, 0, sizeof(*r));
		*content = NULL;
		*content_len = 0;
	}
	CMS_ContentInfo_free(cms);
	ASN1_OBJECT_free(type);
	ERR_clear_error();
	return rc;
}

int pubdb_cms_unwrap(const uint8_t *buf, size_t len, const char *oid, const char *name,
		     struct pubdb_record *r, const uint8_t **content, size_t *content_len,
		     char *err, size_t errlen)
{
	return unwrap(buf, len, oid, name, r, content, content_len, NULL, err, errlen);
}

/* pubdb_cms_parse; *keep as in unwrap() */
static int parse(const uint8_t *buf, size_t len, struct pubdb_record *r,
		 CMS_ContentInfo **keep, char *err, size_t errlen)
{
	struct pubdb_record outer;
	const uint8_t *content;
	size_t clen;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = unwrap(buf, len, PUBDB_CMS_CONTENT_OID, "id-ct-chipkeyRecord", &outer,
		    &content, &clen, keep, err, errlen);
	if (rc)
		return rc;
	rc = pubdb_record_parse_v1(content, clen, r, err, errlen);
	if (!rc && (r->writer_cert_len || r->sig_len))
		rc = pubdb_fail(err, errlen, -EBADMSG, "the content must be an unsigned record");
	if (rc) {
		memset(r, 0, sizeof(*r));
		if (keep) {
			CMS_ContentInfo_free(*keep);
			*keep = NULL;
		}
		return rc;
	}
	r->format = PUBDB_FORMAT_CMS;
	r->writer_cert = outer.writer_cert;
	r->writer_cert_len = outer.writer_cert_len;
	r->sig = outer.sig;
	r->sig_len = outer.sig_len;
	r->signing_time = outer.signing_time;
	r->raw = buf;
	r->raw_len = len;
	r->signed_len = 0;
	return 0;
}

int pubdb_cms_parse(const uint8_t *buf, size_t len, struct pubdb_record *r,
		    char *err, size_t errlen)
{
	return parse(buf, len, r, NULL, err, errlen);
}

enum pubdb_verdict pubdb_cms_check_signature(const struct pubdb_cms_decoded *d, X509 *w,
					     char *err, size_t errlen)
{
	X509_ALGOR *dig = NULL;
	CMS_SignerInfo *si;
	enum pubdb_verdict v = PUBDB_BAD_SIGNATURE;

	if (!d->cms)
		return pubdb_fail(err, errlen, v, "no CMS structure");
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(d->cms), 0);
	if (!si || CMS_SignerInfo_cert_cmp(si, w)) {
		pubdb_fail(err, errlen, 0, "the signer is not the record's certificate");
		goto out;
	}
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	if (!dig || OBJ_obj2nid(dig->algorithm) != NID_sha256) {
		pubdb_fail(err, errlen, 0, "the digest is not SHA-256");
		goto out;
	}
	if (!pki_is_p256(X509_get0_pubkey(w))) {
		pubdb_fail(err, errlen, 0, "writer key is not EC P-256");
		goto out;
	}
	/* signature and messageDigest; the chain is the caller's (no
	 * certificates from outside, no intermediates from the record) */
	if (CMS_verify(d->cms, NULL, NULL, NULL, NULL,
		       CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		pubdb_fail(err, errlen, 0, "signature does not verify");
		goto out;
	}
	v = PUBDB_VALID;
out:
	ERR_clear_error();
	return v;
}

/* d->writer and d->extra from the certificates of d->cms */
static int sort_certs(const struct pubdb_record *r, struct pubdb_cms_decoded *d,
		      char *err, size_t errlen)
{
	STACK_OF(X509) *certs = CMS_get1_certs(d->cms);

	d->extra = sk_X509_new_null();
	if (!certs || !d->extra) {
		sk_X509_pop_free(certs, X509_free);
		return pubdb_fail(err, errlen, -EBADMSG, "no certificates in the CMS structure");
	}
	/* the writer's (by its DER, as pubdb_cms_parse found it) apart from
	 * the others; the references of @certs move to @d */
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		unsigned char *der = NULL;
		int n = i2d_X509(x, &der);
		int writer = n > 0 && (size_t)n == r->writer_cert_len &&
			     !memcmp(der, r->writer_cert, (size_t)n);

		OPENSSL_free(der);
		if (writer && !d->writer)
			d->writer = x;
		else if (writer || !sk_X509_push(d->extra, x))
			X509_free(x);
	}
	sk_X509_free(certs);
	ERR_clear_error();
	return 0;
}

int pubdb_cms_decode(const struct pubdb_record *r, struct pubdb_cms_decoded *d,
		     char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	if (r->format != PUBDB_FORMAT_CMS)
		return pubdb_fail(err, errlen, -EBADMSG, "not a format-2 record");
	d->cms = decode(r->raw, r->raw_len, err, errlen);
	if (!d->cms)
		return -EBADMSG;
	return sort_certs(r, d, err, errlen);
}

int pubdb_cms_parse_decoded(const uint8_t *buf, size_t len, struct pubdb_record *r,
			    struct pubdb_cms_decoded *d, char *err, size_t errlen)
{
	int rc;

	memset(d, 0, sizeof(*d));
	if (!(buf && len && buf[0] == 0x30))
		return pubdb_record_parse_v1(buf, len, r, err, errlen);
	rc = parse(buf, len, r, &d->cms, err, errlen);
	if (!rc)
		rc = sort_certs(r, d, err, errlen);
	if (rc) {
		pubdb_cms_decoded_free(d);
		memset(r, 0, sizeof(*r));
	}
	return rc;
}

void pubdb_cms_decoded_free(struct pubdb_cms_decoded *d)
{
	CMS_ContentInfo_free(d->cms);
	X509_free(d->writer);
	sk_X509_pop_free(d->extra, X509_free);
	memset(d, 0, sizeof(*d));
}

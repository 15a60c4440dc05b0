// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Issuing X.509 v3 certificates: the pieces every profile is made of
 * (x509-issue.h).  Used by the factory (factory/pki-issue.c) and by
 * chipkey-fuse (fuse-image/ca.c, chip-cert.c).
 */
#include <errno.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "common/pem.h"
#include "common/pki.h"
#include "common/x509-issue.h"

static int set_random_serial(X509 *x)
{
	unsigned char b[CK_X509_SERIAL_LEN];
	ASN1_INTEGER *ai = NULL;
	BIGNUM *bn;
	int ok = 0;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return 0;
	b[0] = (unsigned char)((b[0] & 0x7f) | 0x40);
	bn = BN_bin2bn(b, sizeof(b), NULL);
	if (bn)
		ai = BN_to_ASN1_INTEGER(bn, NULL);
	if (ai)
		ok = X509_set_serialNumber(x, ai);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return ok;
}

static int set_validity(X509 *x, long not_before, int days)
{
	if (!X509_gmtime_adj(X509_getm_notBefore(x), not_before))
		return 0;
	if (days <= 0)
		return ASN1_TIME_set_string(X509_getm_notAfter(x),
					    "99991231235959Z");
	return X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) != NULL;
}

/*
 * The subjectPublicKeyInfo of a P-256 key, written straight from the
 * encoded point.  X509_set_pubkey() does the same job but, for a provider
 * key in OpenSSL 3, encodes the key with an OSSL_ENCODER and decodes it
 * back with an OSSL_DECODER: about 200 us, most of a certificate's cost.
 * The X509 then holds the encoding only, no decoded EVP_PKEY (hence
 * ck_x509_reparse()).
 */
static int set_pubkey(X509 *x, EVP_PKEY *pub)
{
	unsigned char point[1 + 2 * 66];
	unsigned char *copy;
	size_t len = 0;

	/* Anything but an uncompressed P-256 point: the generic way. */
	if (!pki_is_p256(pub) ||
	    EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
					    point, sizeof(point), &len) != 1 ||
	    len != 1 + 2 * 32 || point[0] != 0x04)
		return X509_set_pubkey(x, pub);
	copy = OPENSSL_memdup(point, len);
	if (!copy)
		return 0;
	/* On success the X509_PUBKEY owns @copy. */
	if (!X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x),
				    OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
				    V_ASN1_OBJECT,
				    OBJ_nid2obj(NID_X9_62_prime256v1),
				    copy, (int)len)) {
		OPENSSL_free(copy);
		return 0;
	}
	return 1;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static int sign(X509 *x, EVP_PKEY *key)
{
	const EVP_MD *md = EVP_sha256();

	if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448"))
		md = NULL;
	return X509_sign(x, key, md) > 0;
}

X509 *ck_x509_issue(const struct ck_x509_req *r)
{
	const X509_NAME *issuer_name;
	X509 *x;
	size_t i;

	if (!r || !r->subject || !r->pub || !r->signer ||
	    (r->n_ext && !r->ext) || (r->n_raw && !r->raw))
		return NULL;
	issuer_name = r->issuer ? X509_get_subject_name(r->issuer) : r->subject;
	x = X509_new();
	if (!x || !X509_set_version(x, X509_VERSION_3) ||
	    !set_random_serial(x) ||
	    !set_validity(x, r->not_before, r->days) ||
	    !X509_set_subject_name(x, r->subject) ||
	    !X509_set_issuer_name(x, issuer_name) || !set_pubkey(x, r->pub))
		goto fail;
	for (i = 0; i < r->n_ext; i++)
		if (!add_ext(x, r->issuer, r->ext[i].nid, r->ext[i].value))
			goto fail;
	for (i = 0; i < r->n_raw; i++)
		if (!r->raw[i] || !X509_add_ext(x, r->raw[i], -1))
			goto fail;
	if (!add_ext(x, r->issuer, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, r->issuer, NID_authority_key_identifier, "keyid:always") ||
	    !sign(x, r->signer))
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

X509 *ck_x509_reparse(X509 *x)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509 *parsed = NULL;
	int len;

	if (!x)
		return NULL;
	len = i2d_X509(x, &der);
	p = der;
	if (len > 0)
		parsed = d2i_X509(NULL, &p, len);
	if (parsed && (p != der + len || !X509_get0_pubkey(parsed))) {
		X509_free(parsed);
		parsed = NULL;
	}
	OPENSSL_free(der);
	X509_free(x);
	return parsed;
}

int ck_x509_name_add(X509_NAME *n, int nid, const char *value)
{
	return X509_NAME_add_entry_by_NID(n, nid, MBSTRING_UTF8,
					  (const unsigned char *)value, -1, -1, 0);
}

int ck_x509_to_pem(X509 *x, char **pem, size_t *len)
{
	uint8_t *der;
	size_t der_len;
	int ret;

	ret = pki_cert_to_der(x, &der, &der_len);
	if (ret)
		return ret;
	ret = ck_pem_encode("CERTIFICATE", der, der_len, pem, len);
	OPENSSL_free(der);
	return ret;
}

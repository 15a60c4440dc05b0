// SPDX-License-Identifier: GPL-2.0
/*
 * The request chipkey enroll sends and the checks of what the node
 * answers (enroll.h, docs/enrollment.md "The device side").
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/pki.h"
#include "enroll.h"

/* base64 with any line breaks (RFC 7030 4.1.3: none, or any length) */
STACK_OF(X509) *enr_certs_only(const char *b64, size_t len)
{
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	unsigned char *der = malloc(len / 4 * 3 + 4);
	const unsigned char *p = der;
	STACK_OF(X509) *out = NULL, *in;
	PKCS7 *p7 = NULL;
	int n = 0, m = 0;

	if (ctx && der && len < INT_MAX) {
		EVP_DecodeInit(ctx);
		if (EVP_DecodeUpdate(ctx, der, &n, (const unsigned char *)b64, (int)len) >= 0 &&
		    EVP_DecodeFinal(ctx, der + n, &m) == 1)
			p7 = d2i_PKCS7(NULL, &p, n + m);
	}
	if (p7 && PKCS7_type_is_signed(p7) && p7->d.sign && (in = p7->d.sign->cert) &&
	    sk_X509_num(in) > 0)
		out = X509_chain_up_ref(in);
	PKCS7_free(p7);
	EVP_ENCODE_CTX_free(ctx);
	free(der);
	ERR_clear_error();
	return out;
}

char *enr_make_csr_name(EVP_PKEY *key, const X509_NAME *name)
{
	X509_REQ *r = X509_REQ_new();
	unsigned char *der = NULL;
	char *b64 = NULL;
	int len = -1;

	if (r && name && X509_REQ_set_version(r, 0) && X509_REQ_set_subject_name(r, name) &&
	    X509_REQ_set_pubkey(r, key) && X509_REQ_sign(r, key, EVP_sha256()) > 0)
		len = i2d_X509_REQ(r, &der);
	if (len > 0 && (b64 = malloc(4 * ((size_t)len + 2) / 3 + 1)))
		EVP_EncodeBlock((unsigned char *)b64, der, len);
	OPENSSL_free(der);
	X509_REQ_free(r);
	ERR_clear_error();
	return b64;
}

char *enr_make_csr(EVP_PKEY *key, const char *identity)
{
	X509_NAME *n = X509_NAME_new();
	char *b64 = NULL;

	if (n && X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					    (const unsigned char *)identity, -1, -1, 0))
		b64 = enr_make_csr_name(key, n);
	X509_NAME_free(n);
	ERR_clear_error();
	return b64;
}

int enr_spki_sha256(EVP_PKEY *key, uint8_t out[32])
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(key, &der);
	int rc = len > 0 && EVP_Digest(der, (size_t)len, out, NULL, EVP_sha256(), NULL) ? 0 : -1;

	OPENSSL_free(der);
	return rc;
}

/* @cert verifies against @trust alone (no other certificate): 1 or 0 */
static int chains(X509 *cert, X509 *trust)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = st && ctx && X509_STORE_add_cert(st, trust) &&
		 X509_STORE_CTX_init(ctx, st, cert, NULL) && X509_verify_cert(ctx) == 1;

	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	ERR_clear_error();
	return ok;
}

const char *enr_check_answer(X509 *cert, EVP_PKEY *key, const char *identity,
			     const uint8_t chip_id[16], X509 *ca)
{
	char id[CK_DP_DEVICE_ID_LEN + 1];
	uint8_t chip[CHIPKEY_CHIP_ID_LEN];

	if (EVP_PKEY_eq(X509_get0_pubkey(cert), key) != 1)
		return "the certificate is not for the key this device made";
	if (pki_cert_device_identity(cert, id) || strcmp(id, identity))
		return "the certificate names another identity";
	if (pki_cert_chip_id(cert, chip) || memcmp(chip, chip_id, sizeof(chip)))
		return "the certificate names another chip";
	if (!chains(cert, ca))
		return "the certificate does not chain to the customer CA";
	return NULL;
}

const char *enr_check_ca(X509 *ca, X509 *anchor)
{
	if (!X509_cmp(ca, anchor) || chains(ca, anchor))
		return NULL;
	return "the customer CA does not chain to the pinned anchor (--anchor)";
}

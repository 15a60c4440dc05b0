// SPDX-License-Identifier: GPL-2.0
/*
 * The request chipkey enroll sends and the checks of what the node
 * answers (enroll.h, docs/enrollment.md "The device side").
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/buffer.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/pki.h"
#include "enroll.h"

/* base64 with any line breaks (RFC 7030 4.1.3: none, or any length):
 * the DER (malloc'd) and its length, or NULL */
static unsigned char *unbase64(const char *b64, size_t len, int *n)
{
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	unsigned char *der = malloc(len / 4 * 3 + 4);
	int m = 0, ok = 0;

	*n = 0;
	if (ctx && der && len < INT_MAX) {
		EVP_DecodeInit(ctx);
		ok = EVP_DecodeUpdate(ctx, der, n, (const unsigned char *)b64, (int)len) >= 0 &&
		     EVP_DecodeFinal(ctx, der + *n, &m) == 1;
	}
	EVP_ENCODE_CTX_free(ctx);
	*n += m;
	if (!ok) {
		free(der);
		der = NULL;
	}
	return der;
}

STACK_OF(X509) *enr_certs_only(const char *b64, size_t len)
{
	int n;
	unsigned char *der = unbase64(b64, len, &n);
	const unsigned char *p = der;
	STACK_OF(X509) *out = NULL, *in;
	PKCS7 *p7 = der ? d2i_PKCS7(NULL, &p, n) : NULL;

	if (p7 && PKCS7_type_is_signed(p7) && p7->d.sign && (in = p7->d.sign->cert) &&
	    sk_X509_num(in) > 0)
		out = X509_chain_up_ref(in);
	PKCS7_free(p7);
	free(der);
	ERR_clear_error();
	return out;
}

/* The header block [@h, @h + @n) names @want (case-insensitive): 1 or 0. */
static int names(const char *h, size_t n, const char *want)
{
	size_t w = strlen(want);

	for (; n >= w; h++, n--)
		if (!strncasecmp(h, want, w))
			return 1;
	return 0;
}

const char *enr_keygen_parts(const char *ctype, const char *body, size_t len,
			     uint8_t **env, size_t *env_len, STACK_OF(X509) **certs)
{
	static const char *const types[2] = { "smime-type=server-generated-key",
					      "smime-type=certs-only" };
	const char *b = ctype ? strstr(ctype, "boundary=") : NULL, *p = body, *end = body + len;
	char delim[2 + 70 + 3];
	size_t bl = 0, dl;
	int k, n;

	*env = NULL;
	*certs = NULL;
	if (!ctype || strncasecmp(ctype, "multipart/mixed", 15) || !b)
		return "not multipart/mixed with a boundary";
	b += 9;
	if (*b == '"')
		b++;
	while (b[bl] && b[bl] != '"' && b[bl] != ';' && b[bl] != ' ' && bl <= 70)
		bl++;
	if (!bl || bl > 70)
		return "a bad multipart boundary";
	/* every delimiter but the first follows a CRLF (RFC 2046 5.1.1) */
	dl = (size_t)snprintf(delim, sizeof(delim), "\r\n--%.*s", (int)bl, b);
	if ((size_t)(end - p) < dl - 2 || memcmp(p, delim + 2, dl - 2))
		return "the answer does not start with the boundary";
	p += dl - 2;
	for (k = 0; k < 2; k++) {
		const char *h, *e;

		if (end - p < 2 || memcmp(p, "\r\n", 2))
			return "a malformed multipart answer";
		h = p + 2;
		p = memmem(h, (size_t)(end - h), "\r\n\r\n", 4);
		if (!p || !names(h, (size_t)(p - h), types[k]))
			return k ? "the second part is not certs-only" :
				   "the first part is not the server-generated key";
		p += 4;
		e = memmem(p, (size_t)(end - p), delim, dl);
		if (!e)
			return "a malformed multipart answer";
		if (!k) {
			*env = unbase64(p, (size_t)(e - p), &n);
			*env_len = (size_t)n;
		} else {
			*certs = enr_certs_only(p, (size_t)(e - p));
		}
		if (!*env || (k && !*certs))
			return k ? "the second part is not a certs-only PKCS#7" :
				   "the first part is not base64";
		p = e + dl;
	}
	if (end - p < 2 || memcmp(p, "--", 2))
		return "not exactly two parts";
	return NULL;
}

EVP_PKEY *enr_open_key(const uint8_t *env, size_t len, EVP_PKEY *key, X509 *cert)
{
	const unsigned char *p = env;
	CMS_ContentInfo *cms = len < INT_MAX ? d2i_CMS_ContentInfo(NULL, &p, (long)len) : NULL;
	BIO *out = cms ? BIO_new(BIO_s_mem()) : NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *k = NULL;
	BUF_MEM *m = NULL;

	if (out && OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_enveloped &&
	    CMS_decrypt(cms, key, cert, NULL, out, CMS_BINARY) == 1 &&
	    BIO_get_mem_ptr(out, &m) == 1 && m && m->length < INT_MAX) {
		p = (const unsigned char *)m->data;
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)m->length);
		k = p8 ? EVP_PKCS82PKEY(p8) : NULL;
	}
	if (k && !pki_is_p256(k)) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	if (m && m->data)	/* the plaintext key */
		OPENSSL_cleanse(m->data, m->max);
	PKCS8_PRIV_KEY_INFO_free(p8);	/* clears its key octets */
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return k;
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

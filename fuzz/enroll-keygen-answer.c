// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: what `chipkey enroll --serverkeygen` reads from the node
 * (userspace/cli/enroll-answer.c): enr_keygen_parts, the multipart/mixed
 * answer split by the boundary of its Content-Type into the EnvelopedData
 * and the certs-only PKCS#7 (base64, DER: OpenSSL's), then enr_open_key on
 * the EnvelopedData with a key and certificate made here (CMS_decrypt and
 * the PKCS#8 inside).  Input: u8 length + Content-Type + body.  A split
 * that succeeds has an EnvelopedData and at least one certificate; a key
 * that opens is a P-256 key.
 */
#include "cli/enroll-answer.c"

static EVP_PKEY *key;
static X509 *cert;

static void setup(void)
{
	X509_NAME *n;

	key = EVP_EC_gen("P-256");
	cert = X509_new();
	n = cert ? X509_get_subject_name(cert) : NULL;
	if (!key || !n || !X509_set_version(cert, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"d", -1, -1, 0) ||
	    !X509_set_issuer_name(cert, n) || !X509_gmtime_adj(X509_getm_notBefore(cert), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), 60) || !X509_set_pubkey(cert, key) ||
	    !X509_sign(cert, key, EVP_sha256()))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ctype[256];
	uint8_t *env = NULL;
	size_t env_len = 0, n;
	STACK_OF(X509) *certs = NULL;
	EVP_PKEY *k;

	if (!key)
		setup();
	if (!size || (n = data[0]) > size - 1)
		return 0;
	memcpy(ctype, data + 1, n);
	ctype[n] = '\0';
	if (!enr_keygen_parts(ctype, (const char *)data + 1 + n, size - 1 - n, &env, &env_len,
			      &certs)) {
		if (!env || !certs || sk_X509_num(certs) < 1)
			abort();
		k = enr_open_key(env, env_len, key, cert);
		if (k && !pki_is_p256(k))
			abort();
		EVP_PKEY_free(k);
	}
	free(env);
	sk_X509_pop_free(certs, X509_free);
	return 0;
}

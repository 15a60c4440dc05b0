/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chipkey enroll (docs/enrollment.md "The device side"): enroll.c (the
 * steps), enroll-http.c (HTTPS through libcurl, loaded at run time as
 * recovery does), enroll-answer.c (the request and the checks of the
 * node's answer).
 */
#ifndef CHIPKEY_CLI_ENROLL_H
#define CHIPKEY_CLI_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chipkey/data_package.h>

struct enr_http {
	const char *url;
	const char *anchor;		/* CA certificate, PEM: verify the server; NULL: do not */
	const char *cert_pem, *key_pem;	/* client credential (NULL: none) */
	const char *header;		/* one extra header line, or NULL */
	const void *body;		/* POST body (NULL: GET) */
	size_t body_len;
	const char *content_type;
	int allow_http;			/* the public database: http:// too */
	/* answer */
	long status;
	char *resp;			/* malloc'd, NUL-terminated */
	size_t resp_len;
	int untrusted;			/* the TLS peer was not verified (anchor) */
	char ctype[128];		/* the answer's Content-Type */
	char err[256];
};

/* One request.  0 (any HTTP status: see ->status), -ENOPROTOOPT (no
 * libcurl), -ECONNREFUSED (no answer, TLS refused: ->err).  */
int enr_http_do(struct enr_http *h);
void enr_http_release(struct enr_http *h);

/* The certificates of a base64 certs-only PKCS#7 (EST answers). */
STACK_OF(X509) *enr_certs_only(const char *b64, size_t len);
/*
 * The serverkeygen answer (docs/enrollment.md "Server-side key
 * generation"): multipart/mixed with the boundary of @ctype, exactly two
 * parts, smime-type=server-generated-key then smime-type=certs-only, each
 * base64.  The EnvelopedData DER (malloc'd) in *@env and the certificates
 * in *@certs; NULL, or the reason (free what was set either way).
 */
const char *enr_keygen_parts(const char *ctype, const char *body, size_t len,
			     uint8_t **env, size_t *env_len, STACK_OF(X509) **certs);
/*
 * The private key in the CMS EnvelopedData @env, opened with the factory
 * key @key and certificate @cert (the node encrypts to it): a P-256 key,
 * or NULL.  The plaintext PKCS#8 is cleansed.
 */
EVP_PKEY *enr_open_key(const uint8_t *env, size_t len, EVP_PKEY *key, X509 *cert);
/* Base64 DER PKCS#10 request for @key, subject CN=@identity. */
char *enr_make_csr(EVP_PKEY *key, const char *identity);
/* The same with the subject @name (simplereenroll: the current certificate's). */
char *enr_make_csr_name(EVP_PKEY *key, const X509_NAME *name);
/* SHA-256 of the DER SubjectPublicKeyInfo of @key. */
int enr_spki_sha256(EVP_PKEY *key, uint8_t out[32]);
/*
 * The node's answer checked: @cert is for @key, names @identity and
 * @chip_id, and chains to @ca (trusted, alone).  NULL or the reason.
 */
const char *enr_check_answer(X509 *cert, EVP_PKEY *key, const char *identity,
			     const uint8_t chip_id[16], X509 *ca);
/* @ca is @anchor or is signed by it (X509_verify_cert).  NULL or reason. */
const char *enr_check_ca(X509 *ca, X509 *anchor);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issuing X.509 v3 certificates, whatever the profile: the one copy of the
 * pieces (random serial, validity, public key, extensions, key
 * identifiers, signature, PEM) that the factory's profiles
 * (factory/pki-issue.c, docs/factory-pki.md) and chipkey-fuse's chip-vendor
 * CA and chip certificates (fuse-image/, docs/chip-certificates.md) are
 * made of.  The profiles themselves (names, which extensions, how long)
 * stay with their callers.  OpenSSL 3 X509/EVP only.
 */
#ifndef CHIPKEY_COMMON_X509_ISSUE_H
#define CHIPKEY_COMMON_X509_ISSUE_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Bytes of a random serial number (its DER contents: 126 random bits,
 * top bit clear so it is positive, next bit set so it is never shorter). */
#define CK_X509_SERIAL_LEN 16

/* An extension: its NID and its value in openssl.cnf syntax
 * ("critical,CA:FALSE", "URI:...", ...). */
struct ck_x509_ext {
	int nid;
	const char *value;
};

/* What one certificate is made of. */
struct ck_x509_req {
	const X509_NAME *subject;
	X509 *issuer;		/* NULL: self-issued (issuer name = subject) */
	EVP_PKEY *pub;		/* the subject's key (a private key will do) */
	long not_before;	/* notBefore = now + this many seconds */
	int days;		/* notAfter = now + @days; <= 0: 99991231235959Z,
				 * RFC 5280's "no well-defined expiration date" */
	const struct ck_x509_ext *ext;	/* @n_ext extensions, in this order */
	size_t n_ext;
	/* then @n_raw ready-made extensions (any OID and value, copied) */
	X509_EXTENSION *const *raw;
	size_t n_raw;
	EVP_PKEY *signer;	/* the issuer's private key */
};

/*
 * A new signed v3 certificate: random serial (CK_X509_SERIAL_LEN), the
 * validity, subject and issuer names and key of @r, the extensions of @r
 * (@ext, then @raw) then the subject key identifier ("hash") and the authority key
 * identifier ("keyid:always"), signed by @r->signer (SHA-256; no digest
 * for an EdDSA signer).  NULL on failure (OpenSSL error queue).
 *
 * A P-256 key is written straight from its encoded point (the same DER as
 * X509_set_pubkey(), without OpenSSL 3's encoder/decoder round trip): the
 * result then holds the encoding only, X509_get0_pubkey() returns NULL on
 * it; ck_x509_reparse() gives a certificate with the key decoded.
 */
X509 *ck_x509_issue(const struct ck_x509_req *r);

/*
 * @x (consumed) as parsed from its own DER: exactly what a relying party
 * decodes, with the public key decoded.  NULL on failure (@x freed).
 */
X509 *ck_x509_reparse(X509 *x);

/* Add the name entry @nid = @value (UTF-8) at the end of @n; 1 or 0. */
int ck_x509_name_add(X509_NAME *n, int nid, const char *value);

/* PEM text of @x ("CERTIFICATE") into a new buffer (free()); 0 or
 * -ENOMEM / -EIO. */
int ck_x509_to_pem(X509 *x, char **pem, size_t *len);

#endif /* CHIPKEY_COMMON_X509_ISSUE_H */

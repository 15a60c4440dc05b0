/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The body of a simpleenroll request (RFC 7030 4.2.1): a PKCS#10
 * certification request, DER, base64 (RFC 4648 alphabet; line breaks and
 * blanks allowed).  Decoding and parsing are OpenSSL's (EVP_Decode*,
 * d2i_X509_REQ); this file adds the checks of docs/enrollment.md.
 */
#ifndef CHIPKEY_ENROLL_CSR_H
#define CHIPKEY_ENROLL_CSR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#define CSR_MAX_BODY	16384

/*
 * The request of @body: 0 with *@req (X509_REQ_free it) and the SHA-256 of
 * its SubjectPublicKeyInfo DER in @spki_sha256; -EINVAL not base64, not
 * one whole DER PKCS#10 request, or not a P-256 key; -EBADMSG its
 * signature (the proof of possession of the new key) fails; -EMSGSIZE
 * larger than CSR_MAX_BODY.
 */
int csr_decode(const uint8_t *body, size_t len, X509_REQ **req, uint8_t spki_sha256[32]);

#endif /* CHIPKEY_ENROLL_CSR_H */

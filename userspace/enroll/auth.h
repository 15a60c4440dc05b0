/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Authentication of the device on the TLS connection (docs/enrollment.md,
 * "Authentication"): its factory certificate, chained to the imported
 * manufacturer root, with the checks devices make (pki_verify_device_cert,
 * pki_crls_check).
 */
#ifndef CHIPKEY_ENROLL_AUTH_H
#define CHIPKEY_ENROLL_AUTH_H

#include <stdint.h>

#include <openssl/ssl.h>

#include "common/pki.h"
#include "ca.h"

struct enroll_peer {
	X509 *cert;			/* the factory certificate (borrowed from the SSL) */
	char identity[CK_DP_DEVICE_ID_LEN + 1];
	uint8_t chip_id[CHIPKEY_CHIP_ID_LEN];
	char chip_hex[2 * CHIPKEY_CHIP_ID_LEN + 1];
	uint8_t cert_sha256[32];	/* SHA-256 of the certificate's DER */
};

/*
 * The device on @ssl: 0; -ENOENT if it sent no certificate; otherwise a
 * pki.h error (-EKEYREJECTED, -EKEYEXPIRED, -EKEYREVOKED, -ENOKEY, ...)
 * with the reason in @why.
 */
int enroll_auth_peer(SSL *ssl, const struct enroll_ca *ca, const struct pki_crls *crls,
		     struct enroll_peer *p, char *why, size_t whylen);

/*
 * simplereenroll: the device on @ssl by its customer certificate: chained
 * to the customer CA (X509_verify_cert, TLS client purpose), in its
 * validity period, naming an identity and a chip ID.  Whether the ledger
 * still holds it as current is the caller's check.  0 with @p filled
 * (cert_sha256 of the customer certificate) and its serial (hex, as the
 * ledger writes it) in @serial; -ENOENT no certificate; -EKEYREJECTED
 * (reason in @why).
 */
int enroll_auth_customer(SSL *ssl, const struct enroll_ca *ca, struct enroll_peer *p,
			 char serial[41], char *why, size_t whylen);

#endif /* CHIPKEY_ENROLL_AUTH_H */

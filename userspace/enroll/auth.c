// SPDX-License-Identifier: GPL-2.0-or-later
/* Authentication of the device's factory certificate (auth.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "common/hex.h"
#include "auth.h"

int enroll_auth_peer(SSL *ssl, const struct enroll_ca *ca, const struct pki_crls *crls,
		     struct enroll_peer *p, char *why, size_t whylen)
{
	STACK_OF(X509) *chain;
	X509 *leaf, *ica = NULL;
	unsigned int n = 0;
	int i, err;

	memset(p, 0, sizeof(*p));
	snprintf(why, whylen, "no client certificate");
	leaf = SSL_get0_peer_certificate(ssl);
	if (!leaf)
		return -ENOENT;
	/* The server's view of the chain leaves the leaf out: the issuing CA
	 * is the certificate of it that issued the leaf (none: the root). */
	chain = SSL_get_peer_cert_chain(ssl);
	for (i = 0; chain && i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);

		if (c != leaf && X509_check_issued(c, leaf) == X509_V_OK) {
			ica = c;
			break;
		}
	}
	err = pki_verify_device_cert(leaf, ica, ca->rom_key, ca->rom_key_len, NULL, NULL, 0);
	if (err) {
		snprintf(why, whylen, "the client certificate is not a device certificate of the"
			 " imported manufacturer CA (%s)", strerror(-err));
		return err;
	}
	if (crls) {
		err = pki_crls_check(crls, leaf, ica, ca->rom_key, ca->rom_key_len, 0, why, whylen);
		if (err) {
			if (err == -EKEYREVOKED)
				snprintf(why, whylen, "the device certificate or its CA is revoked");
			return err;
		}
	}
	if (pki_cert_device_identity(leaf, p->identity) || pki_cert_chip_id(leaf, p->chip_id) ||
	    X509_digest(leaf, EVP_sha256(), p->cert_sha256, &n) != 1 || n != 32) {
		snprintf(why, whylen, "the device certificate names no identity or chip ID");
		return -EKEYREJECTED;
	}
	ck_hex_encode(p->chip_id, sizeof(p->chip_id), p->chip_hex);
	p->cert = leaf;
	why[0] = '\0';
	return 0;
}

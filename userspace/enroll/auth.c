// SPDX-License-Identifier: GPL-2.0-or-later
/* Authentication of the device's factory certificate (auth.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
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

int enroll_auth_customer(SSL *ssl, const struct enroll_ca *ca, struct enroll_peer *p,
			 char serial[41], char *why, size_t whylen)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *leaf = SSL_get0_peer_certificate(ssl);
	BIGNUM *bn = NULL;
	char *hex = NULL;
	unsigned int n = 0;
	int err = -EKEYREJECTED, ok;

	memset(p, 0, sizeof(*p));
	serial[0] = '\0';
	snprintf(why, whylen, "no client certificate");
	if (!leaf) {
		err = -ENOENT;
		goto out;
	}
	/* only the customer CA is trusted: a chain the client sent is not used */
	ok = store && ctx && X509_STORE_add_cert(store, ca->cert) == 1 &&
	     X509_STORE_CTX_init(ctx, store, leaf, NULL) == 1 &&
	     X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) == 1;
	if (!ok || X509_verify_cert(ctx) != 1) {
		snprintf(why, whylen, "the client certificate is not a current certificate of the"
			 " customer CA (%s)", ok ? X509_verify_cert_error_string(
			 X509_STORE_CTX_get_error(ctx)) : "out of memory");
		goto out;
	}
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	if (!hex || strlen(hex) > 40 ||
	    pki_cert_device_identity(leaf, p->identity) || pki_cert_chip_id(leaf, p->chip_id) ||
	    X509_digest(leaf, EVP_sha256(), p->cert_sha256, &n) != 1 || n != 32) {
		snprintf(why, whylen, "the customer certificate names no identity or chip ID");
		goto out;
	}
	strcpy(serial, hex);
	ck_hex_encode(p->chip_id, sizeof(p->chip_id), p->chip_hex);
	p->cert = leaf;
	why[0] = '\0';
	err = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return err;
}

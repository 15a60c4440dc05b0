// SPDX-License-Identifier: GPL-2.0
/*
 * Device-side PKI tests (common/pki.c): key encodings, PKCS#8 and
 * SubjectPublicKeyInfo round trips, and the ROM key's padding rules.
 * Certificates are issued and verified in factory/tests/test-pki-issue.c.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/pki.h"
#include "common/tap.h"

static EVP_PKEY *p256_keygen(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static void test_keys(void)
{
	EVP_PKEY *k = p256_keygen(), *k2 = NULL, *p384, *pub = NULL;
	uint8_t *der = NULL, *der2 = NULL, *pder = NULL, pad[200];
	size_t len = 0, len2 = 0, plen = 0;

	tap_ok(k && pki_is_p256(k), "EC P-256 key pair generated");
	tap_ok(pki_private_to_pkcs8_der(k, &der, &len) == 0 && len > 0 && der[0] == 0x30,
	       "private key exported as PKCS#8 DER");
	k2 = pki_private_from_pkcs8_der(der, len);
	tap_ok(k2 && EVP_PKEY_eq(k, k2) == 1 &&
	       pki_private_to_pkcs8_der(k2, &der2, &len2) == 0 &&
	       len2 == len && memcmp(der, der2, len) == 0,
	       "PKCS#8 import gives the same key and the same bytes");
	{
		uint8_t *longer = malloc(len + 1);

		memcpy(longer, der, len);
		longer[len] = 0;
		tap_ok(!pki_private_from_pkcs8_der(longer, len + 1) &&
		       !pki_private_from_pkcs8_der(der, len - 1),
		       "PKCS#8 with a trailing byte or truncated refused");
		free(longer);
	}
	p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	{
		uint8_t *d384 = NULL;
		size_t l384 = 0;

		tap_ok(p384 && !pki_is_p256(p384) &&
		       pki_private_to_pkcs8_der(p384, &d384, &l384) == 0 &&
		       !pki_private_from_pkcs8_der(d384, l384),
		       "a P-384 key is refused");
		pki_free_secret(d384, l384);
	}
	tap_ok(pki_public_to_der(k, &pder, &plen) == 0 && plen == 91 &&
	       (pub = pki_public_from_der(pder, plen)) && EVP_PKEY_eq(k, pub) == 1,
	       "public key as 91-byte DER SubjectPublicKeyInfo and back");
	EVP_PKEY_free(pub);
	memset(pad, 0, sizeof(pad));
	memcpy(pad, pder, plen);
	pub = pki_public_from_der(pad, sizeof(pad));
	tap_ok(pub != NULL, "ROM key with zero padding accepted");
	EVP_PKEY_free(pub);
	pad[plen + 5] = 1;
	tap_ok(pki_public_from_der(pad, sizeof(pad)) == NULL,
	       "ROM key with non-zero bytes after the DER refused");
	OPENSSL_free(pder);
	pki_free_secret(der, len);
	pki_free_secret(der2, len2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(p384);
}

int main(void)
{
	test_keys();
	return tap_exit_status();
}

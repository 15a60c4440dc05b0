// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Fuzz target: the device-side certificate checks (userspace/common/pki.c),
 * what recovery, load and the agent apply to a device certificate or the
 * SPP's TLS certificate against the manufacturer key in ROM, and the
 * attestation key extension the agent reads from the OFFER's certificate
 * (pki_cert_attest_key: what it returns as Q is a valid P-256 point).
 *
 * Input: u16 big-endian length L, L bytes of ROM key (DER
 * SubjectPublicKeyInfo, zero padding allowed), then the certificate (DER).
 * Seeds carry the manufacturer key and a certificate it signed, so the
 * checks past the signature are reached.  The ROM key read directly (a
 * P-256 SPKI in its one DER form, without OpenSSL's decoders) must give
 * the verdict and the bytes OpenSSL's generic d2i_PUBKEY/i2d_PUBKEY give.
 */
#include "common/pki.c"
#include "common/attest.h"

/* pki_public_from_der's rules with OpenSSL's generic decoder only */
static int generic_accepts(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *k = len && len <= 4096 ? d2i_PUBKEY(NULL, &p, (long)len) : NULL;
	int ok = k && pki_is_p256(k);

	for (size_t i = (size_t)(p - der); ok && i < len; i++)
		ok = der[i] == 0;
	EVP_PKEY_free(k);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[CK_DP_DEVICE_ID_LEN + 1];
	uint8_t chip[CHIPKEY_CHIP_ID_LEN], q[PKI_ATTEST_PUB_LEN];
	const uint8_t *rom, *der;
	size_t rom_len, der_len;
	EVP_PKEY *k;
	X509 *cert;

	if (size < 2)
		return 0;
	rom_len = (size_t)data[0] << 8 | data[1];
	if (rom_len > size - 2)
		return 0;
	rom = data + 2;
	der = rom + rom_len;
	der_len = size - 2 - rom_len;

	k = pki_public_from_der(rom, rom_len);
	if ((k != NULL) != generic_accepts(rom, rom_len))
		abort();
	if (k) {
		unsigned char *gen = NULL;
		uint8_t *mine = NULL;
		size_t mlen = 0;
		int glen = i2d_PUBKEY(k, &gen);

		if (glen <= 0 || pki_public_to_der(k, &mine, &mlen) ||
		    mlen != (size_t)glen || memcmp(mine, gen, mlen))
			abort();
		OPENSSL_free(gen);
		OPENSSL_free(mine);
	}
	EVP_PKEY_free(k);
	k = pki_private_from_pkcs8_der(der, der_len);
	EVP_PKEY_free(k);
	cert = pki_cert_from_der(der, der_len);
	if (cert) {
		/* the certificate as its own issuing CA: still every check runs */
		int a = pki_verify_device_cert(cert, cert, rom, rom_len, NULL, NULL,
					       PKI_TIME_IGNORE);

		if (a == 0 && (pki_cert_device_identity(cert, id) ||
			       pki_cert_chip_id(cert, chip) ||
			       pki_verify_device_cert(cert, cert, rom, rom_len, id, chip,
						      PKI_TIME_IGNORE)))
			abort();	/* a valid certificate names itself */
		pki_verify_device_cert(cert, cert, rom, rom_len, NULL, NULL, 0);
		pki_verify_issuing_ca(cert, rom, rom_len, PKI_TIME_IGNORE);
		a = pki_cert_attest_key(cert, q);
		if (a == 0) {
			k = NULL;
			if (ck_att_pub_to_pkey(q, &k))
				abort();	/* Q handed out is a point */
			EVP_PKEY_free(k);
		} else if (a != -ENOENT && a != -EINVAL && a != -ENOMEM) {
			abort();
		}
		pki_verify_spp_cert(cert, cert, rom, rom_len, PKI_TIME_IGNORE);
		pki_check_station_role(cert);
		X509_free(cert);
	}
	ERR_clear_error();
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The certificate checks of modes 3 and 4 (docs/service-link-cms.md):
 * a service credential and a device certificate, each issued by an
 * issuing CA that the manufacturer's ROM key signed (common/pki.h).
 */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "common/pki.h"
#include "link/link-cms.h"
#include "link/revocation.h"

static int rom_der(EVP_PKEY *rom, uint8_t **der, size_t *len)
{
	if (!rom || pki_public_to_der(rom, der, len))
		return ck_link_fail(-EINVAL, "no usable ROM key");
	return 0;
}

int ck_link_signed_in_validity(X509 *cert, uint64_t t)
{
	if (t == 0 || t > CK_LINK_TIME_MAX || pki_check_validity(cert, (time_t)t))
		return ck_link_fail(-EKEYEXPIRED, "issued_at %llu: outside the signer "
				    "certificate's validity period", (unsigned long long)t);
	return 0;
}

int ck_link_verify_service(X509 *cert, STACK_OF(X509) *certs, EVP_PKEY *rom, time_t now,
			   const struct pki_crls *crls)
{
	X509 *found = NULL;
	uint8_t *rk = NULL;
	size_t rk_len;
	int i, rc, ca_rc = -EKEYREJECTED;

	rc = rom_der(rom, &rk, &rk_len);
	if (rc)
		return rc;
	rc = -EKEYREJECTED;
	for (i = 0; i < sk_X509_num(certs); i++) {
		X509 *ica = sk_X509_value(certs, i);
		EVP_PKEY *ik = X509_get0_pubkey(ica);

		if (ica == cert || X509_check_issued(ica, cert) != X509_V_OK)
			continue;
		ca_rc = pki_verify_issuing_ca(ica, rk, rk_len, now);
		if (ca_rc)
			continue;
		if (ik && X509_verify(cert, ik) == 1) {
			rc = 0;
			found = ica;
			break;
		}
	}
	OPENSSL_free(rk);
	ERR_clear_error();
	if (rc)
		return ck_link_fail(ca_rc == -EKEYEXPIRED ? ca_rc : rc, "server certificate: %s",
				    ca_rc == -EKEYEXPIRED ?
				    "its issuing CA is outside its validity period" :
				    "not issued by an issuing CA under the ROM key");
	if (pki_check_validity(cert, now))
		return ck_link_fail(-EKEYEXPIRED, "server certificate: outside its validity period");
	if (pki_check_role(cert, CK_LINK_SERVICE_OU))
		return ck_link_fail(-EKEYREJECTED,
				    "server certificate: not a service credential (OU=%s)",
				    CK_LINK_SERVICE_OU);
	rc = ck_link_crl_check(crls, cert, found, rom, "server certificate");
	return rc ? ck_link_fail(rc, "server certificate: revoked or no current CRL") : 0;
}

int ck_link_verify_device(X509 *cert, STACK_OF(X509) *icas, EVP_PKEY *rom, time_t now,
			  const struct pki_crls *crls, char id[CK_LINK_CMS_ID_LEN])
{
	X509 *found = NULL;
	uint8_t *rk = NULL;
	size_t rk_len;
	int i, rc;

	rc = rom_der(rom, &rk, &rk_len);
	if (rc)
		return rc;
	rc = -EKEYREJECTED;
	for (i = 0; i < sk_X509_num(icas) && rc; i++) {
		X509 *ica = sk_X509_value(icas, i);

		if (X509_check_issued(ica, cert) != X509_V_OK)
			continue;
		rc = pki_verify_device_cert(cert, ica, rk, rk_len, NULL, NULL, now);
		found = ica;
	}
	OPENSSL_free(rk);
	ERR_clear_error();
	if (rc)
		return ck_link_fail(rc, "device certificate: %s", rc == -EKEYEXPIRED ?
				    "outside its validity period" :
				    "not a device certificate under the ROM key");
	rc = ck_link_crl_check(crls, cert, found, rom, "device certificate");
	if (rc)
		return ck_link_fail(rc, "device certificate: revoked or no current CRL");
	rc = pki_cert_device_identity(cert, id);
	return rc ? ck_link_fail(-EKEYREJECTED, "device certificate: no identity") : 0;
}

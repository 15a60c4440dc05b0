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

static int rom_der(EVP_PKEY *rom, uint8_t **der, size_t *len)
{
	if (!rom || pki_public_to_der(rom, der, len))
		return ck_link_fail(-EINVAL, "no usable ROM key");
	return 0;
}

/* Exactly one OU, chipkey-service. */
static int has_service_ou(X509 *cert)
{
	X509_NAME *n = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(n, NID_organizationalUnitName, -1);
	const ASN1_STRING *s;

	if (i < 0 || X509_NAME_get_index_by_NID(n, NID_organizationalUnitName, i) >= 0)
		return 0;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
	return ASN1_STRING_length(s) == (int)strlen(CK_LINK_SERVICE_OU) &&
	       !memcmp(ASN1_STRING_get0_data(s), CK_LINK_SERVICE_OU,
		       strlen(CK_LINK_SERVICE_OU));
}

static int check_time(X509 *cert, time_t now)
{
	if (now == PKI_TIME_IGNORE)
		return 0;
	if (!now)
		now = time(NULL);
	if (X509_cmp_time(X509_get0_notBefore(cert), &now) >= 0 ||
	    X509_cmp_time(X509_get0_notAfter(cert), &now) <= 0)
		return -EKEYEXPIRED;
	return 0;
}

int ck_link_verify_service(X509 *cert, STACK_OF(X509) *certs, EVP_PKEY *rom, time_t now)
{
	uint8_t *rk = NULL;
	size_t rk_len;
	int i, rc, ca_rc = -EKEYREJECTED;
	uint32_t ku;

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
	rc = check_time(cert, now);
	if (rc)
		return ck_link_fail(rc, "server certificate: outside its validity period");
	ku = X509_get_key_usage(cert);
	if (X509_check_ca(cert) != 0 || !(X509_get_extension_flags(cert) & EXFLAG_KUSAGE) ||
	    !(ku & KU_DIGITAL_SIGNATURE) || (ku & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) ||
	    !pki_is_p256(X509_get0_pubkey(cert)) || !has_service_ou(cert))
		return ck_link_fail(-EKEYREJECTED,
				    "server certificate: not a service credential (OU=%s)",
				    CK_LINK_SERVICE_OU);
	return 0;
}

int ck_link_verify_device(X509 *cert, STACK_OF(X509) *icas, EVP_PKEY *rom, time_t now,
			  char id[CK_LINK_CMS_ID_LEN])
{
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
	}
	OPENSSL_free(rk);
	ERR_clear_error();
	if (rc)
		return ck_link_fail(rc, "device certificate: %s", rc == -EKEYEXPIRED ?
				    "outside its validity period" :
				    "not a device certificate under the ROM key");
	rc = pki_cert_device_identity(cert, id);
	return rc ? ck_link_fail(-EKEYREJECTED, "device certificate: no identity") : 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The licence-signing credential (docs/software-update.md "Signer"): a
 * dedicated end-entity certificate, OU=chipkey-licence-signer, issued by
 * the factory's issuing CA.  The factory issues it (chipkey-factory
 * licence-cred); a device accepts a licence only from a certificate with
 * exactly this role, so an SPP TLS, record-signing, station or device
 * key cannot sign software licences.
 */
#include <errno.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "common/pki.h"
#include "common/x509-issue.h"
#include "update/update.h"

/* Validity starts a little in the past, for device clocks running behind. */
#define SIGNER_NOT_BEFORE_SLACK (-300L)

X509 *ck_licence_signer_issue(EVP_PKEY *ca_key, X509 *ca_cert, EVP_PKEY *pub,
			      const char *name, int days)
{
	static const struct ck_x509_ext ext[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature" },
	};
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;
	char org[256];
	struct ck_x509_req r = {
		.subject = n,
		.issuer = ca_cert,
		.pub = pub,
		.not_before = SIGNER_NOT_BEFORE_SLACK,
		.days = days,
		.ext = ext,
		.n_ext = sizeof(ext) / sizeof(ext[0]),
		.signer = ca_key,
	};

	if (!n || !ca_key || !ca_cert || !pub || !pki_is_p256(pub))
		goto out;
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(ca_cert), NID_organizationName,
				      org, sizeof(org)) > 0 &&
	    !ck_x509_name_add(n, NID_organizationName, org))
		goto out;
	if (!ck_x509_name_add(n, NID_organizationalUnitName, CK_LICENCE_SIGNER_OU) ||
	    !ck_x509_name_add(n, NID_commonName, name ? name : "licence signer"))
		goto out;
	x = ck_x509_reparse(ck_x509_issue(&r));
out:
	X509_NAME_free(n);
	return x;
}

/* 1 if @name has exactly one OU and it is CK_LICENCE_SIGNER_OU. */
int ck_licence_signer_role(X509 *cert)
{
	/* the role (common/pki.c), and no extended key usage at all */
	if (pki_check_role(cert, CK_LICENCE_SIGNER_OU) ||
	    (X509_get_extension_flags(cert) & EXFLAG_XKUSAGE))
		return -EKEYREJECTED;
	return 0;
}

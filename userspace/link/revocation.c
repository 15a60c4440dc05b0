// SPDX-License-Identifier: GPL-2.0
/*
 * Revocation on the secure links (revocation.h): both ends check the
 * peer's chain with pki_crls_check (common/pki-crl.c).
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/pki.h"
#include "link/link.h"
#include "link/revocation.h"

int ck_link_identity_check(const struct ck_link_server *s, const char *id)
{
	if (!s || !s->identity_check || !s->identity_check(id))
		return 0;
	fprintf(stderr, "chipkey link: device %s: revoked (listed in --revoked-ids)\n", id);
	return -EKEYREVOKED;
}

int ck_link_crl_check(const struct pki_crls *crls, X509 *cert, X509 *ica, EVP_PKEY *rom,
		      const char *what)
{
	char why[320], name[256] = "";
	uint8_t *rk = NULL;
	size_t rk_len = 0;
	time_t now;
	int rc;

	if (!crls)
		return 0;
	if (!rom || pki_public_to_der(rom, &rk, &rk_len))
		return -EINVAL;
	/* the project's clock: one that reads before PKI_CLOCK_FLOOR is not set
	 * (no RTC): the present is at least PKI_CLOCK_FLOOR, so a CRL whose
	 * nextUpdate is earlier is stale even on a device at 1970 */
	now = pki_clock_now();
	if (now == PKI_TIME_IGNORE)
		now = (time_t)PKI_CLOCK_FLOOR;
	rc = pki_crls_check(crls, cert, ica, rk, rk_len, now, why, sizeof(why));
	OPENSSL_free(rk);
	if (!rc)
		return 0;
	X509_NAME_oneline(X509_get_subject_name(cert), name, sizeof(name));
	if (rc == -EKEYREVOKED) {
		fprintf(stderr, "chipkey link: %s %s: revoked (it or its issuing CA is "
			"listed in a CRL given with --crl)\n", what, name);
		return rc;
	}
	fprintf(stderr, "chipkey link: %s %s: refused, failing closed: %s\n", what, name,
		rc == -EKEYEXPIRED ? "the issuer's CRLs given with --crl are past their "
		"nextUpdate" : why[0] ? why : "the CRLs given with --crl do not check");
	return rc == -EINVAL ? rc : -ENODATA;
}

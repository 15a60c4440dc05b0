// SPDX-License-Identifier: GPL-2.0-or-later
/* The OFFER fault of crash-test builds (offer-fault.h). */
#include <stdlib.h>
#include <string.h>

#include "factory/pki-issue.h"
#include "offer-fault.h"

int spp_offer_fault(const char *identity, const uint8_t *chip_id, const uint8_t *attest_pub,
		    uint8_t **cert, size_t *cert_len, uint8_t **ca, size_t *ca_len)
{
#ifdef CK_CRASH_HOOKS
	const char *f = getenv("CHIPKEY_SPP_FAULT");
	EVP_PKEY *rk, *ik, *dk;
	X509 *root = NULL, *ica = NULL, *dev = NULL;
	int ok;

	if (!f || strcmp(f, "foreign-issuing-ca"))
		return 0;
	rk = pki_ec_keygen();
	ik = pki_ec_keygen();
	dk = pki_ec_keygen();
	/* the default names of chipkey-factory init: a look-alike chain */
	if (rk && ik && dk)
		root = pki_make_mfr_ca(rk, "chipkey", NULL, 1);
	if (root)
		ica = pki_make_issuing_ca(rk, root, ik, NULL, 1);
	if (ica)
		dev = pki_issue_device_cert(ik, ica, identity, chip_id, dk, attest_pub, 0);
	ok = dev && !pki_cert_to_der(dev, cert, cert_len) && !pki_cert_to_der(ica, ca, ca_len);
	X509_free(dev);
	X509_free(ica);
	X509_free(root);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(dk);
	return ok;
#else
	(void)identity;
	(void)chip_id;
	(void)attest_pub;
	(void)cert;
	(void)cert_len;
	(void)ca;
	(void)ca_len;
	return 0;
#endif
}

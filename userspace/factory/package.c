// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A device's data package as the factory issues it (claims 1-7): identity,
 * chip ID, generation, channel key, device key pair and certificate, and
 * the manufacturer CA certificate (docs/data-package.md); the customer's
 * CA as customer-anchor when the factory holds one.
 */
#include <errno.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/identity.h"
#include "common/pki.h"
#include "factory.h"
#include "pki-issue.h"

int ck_factory_build_package(struct ck_factory *f, const char *identity,
			     const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			     EVP_PKEY *dev_key, uint64_t generation,
			     const uint8_t *attest_pub,
			     struct ck_dp **out, X509 **cert_out)
{
	EVP_PKEY *key = dev_key;
	X509 *cert = NULL;
	struct ck_dp *dp = NULL;
	uint8_t chan[CK_DP_CHANNEL_KEY_LEN];
	uint8_t *p8 = NULL, *cder = NULL;
	size_t p8_len = 0, cder_len = 0;
	int err = -EINVAL;

	if (!f || !out || !chip_id || !ck_identity_valid(identity))
		return -EINVAL;
	if (key) {
		if (!pki_is_p256(key))
			return -EINVAL;
		EVP_PKEY_up_ref(key);
	} else {
		key = pki_ec_keygen();
		if (!key)
			return -EIO;
	}
	err = -EIO;
	err = pki_issue_device_cert_der(f->ca_key, f->ca_cert, identity,
					chip_id, key, attest_pub, PKI_DEFAULT_DEVICE_DAYS,
					&cder, &cder_len);
	if (err) {
		err = -EIO;
		goto out;
	}
	err = pki_channel_key(f->master, identity, chan);
	if (!err)
		err = pki_private_to_pkcs8_der(key, &p8, &p8_len);
	if (!err && cert_out) {
		cert = pki_cert_from_der(cder, cder_len);
		if (!cert)
			err = -EIO;
	}
	if (err)
		goto out;
	err = -ENOMEM;
	dp = ck_dp_new();
	if (!dp)
		goto out;
	err = ck_dp_set_device_id(dp, identity);
	if (!err)
		err = ck_dp_set_chip_id(dp, chip_id);
	if (!err)
		err = ck_dp_set_u64(dp, CK_DP_GENERATION, generation);
	if (!err)
		err = ck_dp_set_u64(dp, CK_DP_CREATED, (uint64_t)time(NULL));
	if (!err)
		err = ck_dp_set(dp, CK_DP_CHANNEL_KEY, 0, chan, sizeof(chan));
	if (!err)
		err = ck_dp_set(dp, CK_DP_DEVICE_KEY, 0, p8, p8_len);
	if (!err)
		err = ck_dp_set(dp, CK_DP_DEVICE_CERT, 0, cder, cder_len);
	if (!err)
		err = ck_dp_set(dp, CK_DP_MFR_CA_CERT, 0, f->mfr_cert_der,
				f->mfr_cert_der_len);
	if (!err)
		err = ck_dp_set(dp, CK_DP_ISSUING_CA_CERT, 0, f->ca_cert_der,
				f->ca_cert_der_len);
	if (!err && f->customer_anchor_der)
		err = ck_dp_set(dp, CK_DP_CUSTOMER_ANCHOR, 0, f->customer_anchor_der,
				f->customer_anchor_der_len);
	if (err)
		goto out;
	*out = dp;
	dp = NULL;
	if (cert_out) {
		*cert_out = cert;
		cert = NULL;
	}
out:
	OPENSSL_cleanse(chan, sizeof(chan));
	pki_free_secret(p8, p8_len);
	OPENSSL_free(cder);
	ck_dp_free(dp);
	X509_free(cert);
	EVP_PKEY_free(key);
	return err;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-spp: what the SPP issues to one chip (see issue.h): key pair
 * (the reserved pre-generated one, else fresh), data package (identity,
 * chip ID, generation 1, channel key, device key, device certificate naming
 * the chip's attestation key, manufacturer CA) through
 * ck_factory_build_package, and its copies.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include <chipkey/data_package.h>
#include "common/pregen-key.h"
#include "issue.h"

/*
 * The private key of the reserved pre-generated pair @kp, opened with the
 * master key (it is sealed at rest: common/pregen-key.h).  A pair stored in
 * clear by a chipkey-factory older than the sealing is used too, with a
 * warning (re-generate such pairs: docs/databases.md).  NULL if malformed
 * or not authentic (another factory's, moved from another row).
 */
static EVP_PKEY *pregen_key(struct ck_factory *f, const struct store_keypair *kp)
{
	uint8_t *der = NULL;
	size_t len = 0;
	EVP_PKEY *key;
	int err;

	err = ck_pregen_open(f->master, kp->pub, kp->pub_len, kp->priv, kp->priv_len,
			     &der, &len);
	if (err == -EPROTO) {
		fprintf(stderr, "chipkey-spp: WARNING: pre-generated key pair %lld is stored "
			"in clear (made before keys were sealed at rest); re-generate the pool\n",
			(long long)kp->id);
		return pki_private_from_pkcs8_der(kp->priv, kp->priv_len);
	}
	if (err) {
		fprintf(stderr, "chipkey-spp: pre-generated key pair %lld does not open "
			"with this factory's master key\n", (long long)kp->id);
		return NULL;
	}
	key = pki_private_from_pkcs8_der(der, len);
	ck_pregen_free(der, len);
	return key;
}

int spp_issue(struct ck_factory *f, const char *identity,
	      const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
	      const uint8_t attest_pub[STORE_ATTEST_PUB_LEN], struct store_keypair *kp,
	      struct spp_issued *out)
{
	EVP_PKEY *key = NULL;
	struct ck_dp *dp = NULL;
	const uint8_t *cder;
	size_t cder_len;
	int err;

	memset(out, 0, sizeof(*out));
	if (kp->priv) {
		key = pregen_key(f, kp);
		store_keypair_clear(kp);
		if (!key)
			return -EBADMSG;
		out->used_pregen = 1;
	}
	err = ck_factory_build_package(f, identity, chip_id, key, 1, attest_pub, &dp, NULL);
	EVP_PKEY_free(key);
	if (err)
		return err;
	err = ck_dp_encode(dp, &out->dp, &out->dp_len);
	/* the certificate's DER as the package carries it (not decoded and
	 * encoded again) */
	if (!err)
		err = ck_dp_get(dp, CK_DP_DEVICE_CERT, &cder, &cder_len);
	if (!err) {
		out->cert_der = OPENSSL_memdup(cder, cder_len);
		out->cert_len = cder_len;
		if (!out->cert_der)
			err = -ENOMEM;
	}
	/* The secret database keeps everything but the device private key. */
	if (!err)
		err = ck_dp_remove(dp, CK_DP_DEVICE_KEY);
	if (!err)
		err = ck_dp_encode(dp, &out->secret, &out->secret_len);
	ck_dp_free(dp);
	return err;
}

void spp_issued_clear(struct spp_issued *is)
{
	ck_dp_buf_free(is->dp, is->dp_len);
	ck_dp_buf_free(is->secret, is->secret_len);
	OPENSSL_free(is->cert_der);
	memset(is, 0, sizeof(*is));
}

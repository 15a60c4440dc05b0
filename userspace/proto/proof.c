// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The provisioning proof (see proof.h): HMAC-SHA256 under the data
 * package's channel key over the label, the session nonce, the chip ID and
 * the hashes of the data package and of the backup package.
 */
#include <errno.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <chipkey/data_package.h>
#include "proto/proof.h"

int spp_sha256(const void *buf, size_t len, uint8_t out[CK_SPP_FP_LEN])
{
	unsigned int n = CK_SPP_FP_LEN;

	return EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

static int hmac(const uint8_t *key, size_t key_len, const struct spp_proof_input *in,
		uint8_t out[CK_SPP_PROOF_LEN])
{
	uint8_t h_dp[CK_SPP_FP_LEN], h_bk[CK_SPP_FP_LEN];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	int err = -EIO;

	if (spp_sha256(in->dp, in->dp_len, h_dp) ||
	    spp_sha256(in->backup, in->backup_len, h_bk))
		return -EIO;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, key_len, params) != 1 ||
	    EVP_MAC_update(ctx, (const uint8_t *)CK_SPP_PROOF_LABEL,
			   CK_SPP_PROOF_LABEL_LEN) != 1 ||
	    EVP_MAC_update(ctx, in->nonce, CK_SPP_NONCE_LEN) != 1 ||
	    EVP_MAC_update(ctx, in->chip_id, CHIPKEY_CHIP_ID_LEN) != 1 ||
	    EVP_MAC_update(ctx, h_dp, sizeof(h_dp)) != 1 ||
	    EVP_MAC_update(ctx, h_bk, sizeof(h_bk)) != 1 ||
	    EVP_MAC_final(ctx, out, &outl, CK_SPP_PROOF_LEN) != 1 ||
	    outl != CK_SPP_PROOF_LEN)
		goto out;
	err = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return err;
}

int spp_proof_compute(const struct spp_proof_input *in, uint8_t out[CK_SPP_PROOF_LEN])
{
	struct ck_dp *dp = NULL;
	const uint8_t *chan;
	size_t chan_len;
	int err;

	err = ck_dp_decode(in->dp, in->dp_len, &dp);
	if (!err)
		err = ck_dp_get(dp, CK_DP_CHANNEL_KEY, &chan, &chan_len);
	if (!err)
		err = hmac(chan, chan_len, in, out);
	ck_dp_free(dp);
	return err;
}

int spp_proof_check(const struct spp_proof_input *in, const uint8_t proof[CK_SPP_PROOF_LEN])
{
	uint8_t want[CK_SPP_PROOF_LEN];
	int err;

	err = spp_proof_compute(in, want);
	if (!err && CRYPTO_memcmp(want, proof, CK_SPP_PROOF_LEN))
		err = -EBADMSG;
	OPENSSL_cleanse(want, sizeof(want));
	return err;
}

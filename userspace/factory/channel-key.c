// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Channel key derivation (claims 4-5): HKDF-SHA256 of the factory master
 * key and the device identity (channel-key.h, docs/factory-pki.md).
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "common/identity.h"
#include "channel-key.h"

int pki_channel_key(const uint8_t master[PKI_MASTER_KEY_LEN],
		    const char *identity, uint8_t out[CK_DP_CHANNEL_KEY_LEN])
{
	const size_t llen = sizeof(PKI_CHANNEL_KEY_LABEL) - 1;
	unsigned char info[sizeof(PKI_CHANNEL_KEY_LABEL) - 1 + CK_DP_DEVICE_ID_LEN];
	OSSL_PARAM params[4];
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx;
	int ok;

	if (!master || !out || !ck_identity_valid(identity))
		return -EINVAL;
	memcpy(info, PKI_CHANNEL_KEY_LABEL, llen);
	memcpy(info + llen, identity, CK_DP_DEVICE_ID_LEN);

	kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	if (!kdf)
		return -EIO;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      (void *)master,
						      PKI_MASTER_KEY_LEN);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						      info, sizeof(info));
	params[3] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, out, CK_DP_CHANNEL_KEY_LEN, params);
	EVP_KDF_CTX_free(kctx);
	return ok == 1 ? 0 : -EIO;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * HKDF with an all-zero salt (kdf.h).
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "kdf.h"

int ck_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *info,
		   size_t info_len, uint8_t out[CK_HKDF_OUT_LEN])
{
	return ck_hkdf("SHA256", ikm, ikm_len, info, info_len, out, CK_HKDF_OUT_LEN);
}

int ck_hkdf(const char *md, const uint8_t *ikm, size_t ikm_len,
	    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	static const uint8_t salt[64];	/* HashLen zero bytes (RFC 5869) */
	size_t salt_len = strcmp(md, "SHA384") ? 32 : 48;
	OSSL_PARAM params[5];
	EVP_KDF_CTX *kctx;
	EVP_KDF *kdf;
	int ok;

	kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	if (!kdf)
		return -ENOSYS;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)md, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      (void *)ikm, ikm_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						      (void *)salt, salt_len);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						      (void *)info, info_len);
	params[4] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, out, out_len, params) == 1;
	EVP_KDF_CTX_free(kctx);	/* clear-frees its copy of the key */
	if (!ok) {
		OPENSSL_cleanse(out, out_len);
		return -EIO;
	}
	return 0;
}

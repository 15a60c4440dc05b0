// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The SEALED_WRAP context of a provisioning session and the SHA-256 helper
 * (see context.h).
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "proto/context.h"

void spp_wrap_context(const uint8_t nonce[CK_SPP_NONCE_LEN],
		      uint8_t out[CK_SPP_WRAP_CTX_LEN])
{
	memcpy(out, CK_SPP_WRAP_LABEL, CK_SPP_WRAP_LABEL_LEN);
	memcpy(out + CK_SPP_WRAP_LABEL_LEN, nonce, CK_SPP_NONCE_LEN);
}

int spp_sha256(const void *buf, size_t len, uint8_t out[CK_SPP_FP_LEN])
{
	unsigned int n = CK_SPP_FP_LEN;

	return EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ECIES of a link secret (seal.h), on the P-256 helpers of common/attest.h
 * and OpenSSL EVP AES-256-GCM.  Every intermediate secret is wiped.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/attest.h"
#include "common/kdf.h"
#include "seal.h"

_Static_assert(CK_LINK_POINT_LEN == CHIPKEY_EC_POINT_LEN, "P-256 points");

/* K = HKDF-SHA256(Z, label || E || R) */
static int seal_key(EVP_PKEY *priv, const uint8_t peer[CK_LINK_POINT_LEN],
		    const uint8_t e[CK_LINK_POINT_LEN], const uint8_t r[CK_LINK_POINT_LEN],
		    uint8_t k[32])
{
	static const char label[] = CK_LINK_CERT_SECRET_LABEL;
	uint8_t z[CK_ATT_SECRET_LEN], info[sizeof(label) - 1 + 2 * CK_LINK_POINT_LEN];
	int err = ck_att_ecdh(priv, peer, z);

	if (err)
		return err;
	memcpy(info, label, sizeof(label) - 1);
	memcpy(info + sizeof(label) - 1, e, CK_LINK_POINT_LEN);
	memcpy(info + sizeof(label) - 1 + CK_LINK_POINT_LEN, r, CK_LINK_POINT_LEN);
	err = ck_hkdf_sha256(z, sizeof(z), info, sizeof(info), k);
	OPENSSL_cleanse(z, sizeof(z));
	return err;
}

static int gcm(int enc, const uint8_t k[32], const uint8_t *in, uint8_t *out,
	       uint8_t tag[CK_LINK_TAG_LEN], const void *aad, size_t aad_len)
{
	static const uint8_t iv[12];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, ok;

	ok = ctx && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, k, iv, enc) == 1 &&
	     EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1 &&
	     EVP_CipherUpdate(ctx, out, &n, in, CK_LINK_SECRET_LEN) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CK_LINK_TAG_LEN, tag) == 1;
	if (ok)
		ok = EVP_CipherFinal_ex(ctx, out + n, &n) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CK_LINK_TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		OPENSSL_cleanse(out, CK_LINK_SECRET_LEN);
	return ok ? 0 : enc ? -EIO : -EBADMSG;
}

int ck_link_seal(EVP_PKEY *to, const uint8_t secret[CK_LINK_SECRET_LEN],
		 const void *aad, size_t aad_len, uint8_t eph[CK_LINK_POINT_LEN],
		 uint8_t ct[CK_LINK_SECRET_LEN], uint8_t tag[CK_LINK_TAG_LEN])
{
	uint8_t r[CK_LINK_POINT_LEN], k[32];
	EVP_PKEY *e = NULL;
	int err = ck_att_pkey_to_pub(to, r);

	if (!err)
		err = ck_att_ephemeral(&e, eph);
	if (!err)
		err = seal_key(e, r, eph, r, k);
	if (!err)
		err = gcm(1, k, secret, ct, tag, aad, aad_len);
	OPENSSL_cleanse(k, sizeof(k));
	EVP_PKEY_free(e);
	return err;
}

int ck_link_open(EVP_PKEY *own, const uint8_t eph[CK_LINK_POINT_LEN],
		 const uint8_t ct[CK_LINK_SECRET_LEN], const uint8_t tag[CK_LINK_TAG_LEN],
		 const void *aad, size_t aad_len, uint8_t secret[CK_LINK_SECRET_LEN])
{
	uint8_t r[CK_LINK_POINT_LEN], k[32], t[CK_LINK_TAG_LEN];
	int err = ck_att_pkey_to_pub(own, r);

	if (!err)
		err = seal_key(own, eph, eph, r, k);
	if (err)
		return err == -EINVAL ? -EBADMSG : err;	/* E not a valid point */
	memcpy(t, tag, sizeof(t));
	err = gcm(0, k, ct, secret, t, aad, aad_len);
	OPENSSL_cleanse(k, sizeof(k));
	return err;
}

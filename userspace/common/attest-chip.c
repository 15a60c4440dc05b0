// SPDX-License-Identifier: GPL-2.0
/*
 * The chip attestation key (attest.h), part 2: what the chip does with it
 * (the scalar from the chip key, ATTEST, opening a sealed package, the
 * sealed wrap MAC, CHIP_MAC).  The emulator runs this code; the kernel
 * module has its own (kmod/attest.c) and both meet the test vectors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <chipkey/backup_package.h>

#include "common/attest.h"
#include "common/attest-int.h"
#include "common/kdf.h"
#include "common/hex.h"
#include "common/pem.h"
#include "common/pki.h"

int ck_att_scalar(const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		  const uint8_t chip_key[CHIPKEY_CHIP_KEY_LEN],
		  uint8_t k[CK_ATT_SCALAR_LEN])
{
	uint8_t info[CK_ATT_INFO_MAX];
	size_t n;
	int i, ret;

	for (i = 1; i <= CK_ATT_SCALAR_TRIES; i++) {
		n = ck_att_info_key(chip_id, (uint8_t)i, info);
		ret = ck_att_hkdf(chip_key, CHIPKEY_CHIP_KEY_LEN, info, n, k);
		if (ret)
			return ret;
		if (ck_att_scalar_ok(k))
			return 0;
	}
	OPENSSL_cleanse(k, CK_ATT_SCALAR_LEN);
	return -EDOM;
}

int ck_att_key_from_scalar(const uint8_t k[CK_ATT_SCALAR_LEN], EVP_PKEY **priv,
			   uint8_t pub[CHIPKEY_EC_POINT_LEN])
{
	/* OSSL_PARAM integers are native endian */
	const union { uint16_t u; uint8_t b[2]; } probe = { .u = 1 };
	uint8_t native[CK_ATT_SCALAR_LEN];
	OSSL_PARAM params[4];
	EVP_PKEY_CTX *pctx = NULL;
	EC_GROUP *g;
	EC_POINT *q = NULL;
	BIGNUM *bn = NULL;
	int i, ret = -ENOMEM;

	*priv = NULL;
	g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	if (!g)
		return -ENOMEM;
	bn = BN_secure_new();
	q = EC_POINT_new(g);
	if (!bn || !q)
		goto out;
	ret = -EINVAL;
	if (!BN_bin2bn(k, CK_ATT_SCALAR_LEN, bn) || BN_is_zero(bn) ||
	    BN_cmp(bn, EC_GROUP_get0_order(g)) >= 0)
		goto out;
	ret = -EIO;
	BN_set_flags(bn, BN_FLG_CONSTTIME);
	if (EC_POINT_mul(g, q, bn, NULL, NULL, NULL) != 1 ||
	    EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pub,
			       CHIPKEY_EC_POINT_LEN, NULL) != CHIPKEY_EC_POINT_LEN)
		goto out;
	for (i = 0; i < CK_ATT_SCALAR_LEN; i++)
		native[i] = probe.b[0] ? k[CK_ATT_SCALAR_LEN - 1 - i] : k[i];
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!pctx) {
		ret = -ENOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)P256_NAME, 0);
	params[1] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, native,
					    sizeof(native));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      pub, CHIPKEY_EC_POINT_LEN);
	params[3] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata_init(pctx) == 1 &&
	    EVP_PKEY_fromdata(pctx, priv, EVP_PKEY_KEYPAIR, params) == 1)
		ret = 0;
out:
	OPENSSL_cleanse(native, sizeof(native));
	EVP_PKEY_CTX_free(pctx);
	BN_clear_free(bn);
	EC_POINT_clear_free(q);
	EC_GROUP_free(g);
	return ret;
}

int ck_att_key_init(struct ck_att_key *a,
		    const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		    const uint8_t chip_key[CHIPKEY_CHIP_KEY_LEN])
{
	uint8_t k[CK_ATT_SCALAR_LEN];
	int ret;

	memset(a, 0, sizeof(*a));
	ret = ck_att_scalar(chip_id, chip_key, k);
	if (!ret)
		ret = ck_att_key_from_scalar(k, &a->priv, a->pub);
	OPENSSL_cleanse(k, sizeof(k));
	if (ret) {
		ck_att_key_free(a);
		return ret;
	}
	memcpy(a->chip_id, chip_id, CHIPKEY_CHIP_ID_LEN);
	return 0;
}

void ck_att_key_free(struct ck_att_key *a)
{
	EVP_PKEY_free(a->priv);	/* clear-frees the scalar */
	OPENSSL_cleanse(a, sizeof(*a));
}

int ck_att_attest(const struct ck_att_key *a,
		  const uint8_t v[CHIPKEY_EC_POINT_LEN], const void *ctx,
		  size_t ctx_len, uint8_t mac[CHIPKEY_MAC_LEN])
{
	uint8_t z[CK_ATT_SECRET_LEN];
	int ret;

	if (ctx_len > CHIPKEY_MAX_CONTEXT)
		return -EMSGSIZE;
	ret = ck_att_ecdh(a->priv, v, z);
	if (!ret)
		ret = ck_att_attest_mac(z, a->chip_id, a->pub, v, ctx, ctx_len, mac);
	OPENSSL_cleanse(z, sizeof(z));
	return ret;
}

int ck_att_seal_open(const struct ck_att_key *a, const uint8_t *sealed,
		     const struct ck_seal_header *h, uint8_t *plain,
		     uint8_t k2[CK_ATT_KEY_LEN])
{
	uint8_t z[CK_ATT_SECRET_LEN], key[CK_ATT_KEY_LEN];
	uint8_t tag[CHIPKEY_PKG_TAG_LEN];
	int ret;

	ret = ck_att_ecdh(a->priv, h->eph, z);
	if (ret)
		return ret;
	ret = ck_att_derive_points(z, CK_ATT_LABEL_SEAL, a->chip_id, h->eph, a->pub, key);
	if (!ret) {
		memcpy(tag, sealed + CHIPKEY_SEAL_HEADER_LEN + h->payload_len,
		       sizeof(tag));
		ret = ck_att_seal_gcm(0, key, h->nonce, sealed,
			       sealed + CHIPKEY_SEAL_HEADER_LEN, h->payload_len,
			       plain, tag);
	}
	if (!ret)
		ret = ck_att_derive_points(z, CK_ATT_LABEL_SEALWRAP, a->chip_id,
				    h->eph, a->pub, k2);
	if (ret) {
		OPENSSL_cleanse(plain, h->payload_len);
		OPENSSL_cleanse(k2, CK_ATT_KEY_LEN);
	}
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

static int sha256(const void *p, size_t len, uint8_t md[32])
{
	unsigned int n = 0;

	if (EVP_Digest(p, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return -EIO;
	return 0;
}

int ck_att_sealed_wrap_mac(const uint8_t k2[CK_ATT_KEY_LEN],
			   const uint8_t *backup, size_t backup_len,
			   const uint8_t *plain, size_t plain_len,
			   const void *ctx, size_t ctx_len,
			   uint8_t mac[CHIPKEY_MAC_LEN])
{
	uint8_t md[2][32];
	struct ck_att_part parts[3] = {
		{ md[0], 32 }, { md[1], 32 }, { ctx, ctx_len },
	};
	int ret;

	if (ctx_len > CHIPKEY_MAX_CONTEXT)
		return -EMSGSIZE;
	ret = sha256(backup, backup_len, md[0]);
	if (!ret)
		ret = sha256(plain, plain_len, md[1]);
	if (!ret)
		ret = ck_att_hmac(k2, parts, 3, mac);
	OPENSSL_cleanse(md, sizeof(md));	/* a hash of the secret */
	return ret;
}

int ck_att_chip_mac_key(const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			const uint8_t chip_key[CHIPKEY_CHIP_KEY_LEN],
			uint32_t purpose, uint8_t key[CK_ATT_KEY_LEN])
{
	uint8_t info[CK_ATT_INFO_MAX];
	size_t n;

	if (!ck_att_mac_purpose_known(purpose))
		return -EINVAL;
	n = ck_att_info_chip_mac(chip_id, purpose, info);
	return ck_att_hkdf(chip_key, CHIPKEY_CHIP_KEY_LEN, info, n, key);
}

int ck_att_chip_mac(const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		    const uint8_t chip_key[CHIPKEY_CHIP_KEY_LEN],
		    uint32_t purpose, const void *in, size_t len,
		    uint8_t mac[CHIPKEY_MAC_LEN])
{
	struct ck_att_part part = { in, len };
	uint8_t key[CK_ATT_KEY_LEN];
	int ret;

	if (len > CHIPKEY_MAX_MAC_INPUT)
		return -EMSGSIZE;
	ret = ck_att_chip_mac_key(chip_id, chip_key, purpose, key);
	if (!ret)
		ret = ck_att_hmac(key, &part, 1, mac);
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The chip attestation key and its derivations (attest.h), OpenSSL 3 EVP
 * (EC_GROUP / EC_POINT only for what EVP has no call for: validating a
 * point and computing k G).  Labels and info strings come from the shared
 * codec include/chipkey/attest.h, the same code the kernel module uses.
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
#include "common/kdf.h"
#include "common/hex.h"
#include "common/pem.h"
#include "common/pki.h"

#define P256_NAME "prime256v1"

/* ---------------------------------------------------------- primitives */

int ck_att_hkdf(const uint8_t *ikm, size_t ikm_len, const uint8_t *info,
		size_t info_len, uint8_t out[CK_ATT_KEY_LEN])
{
	return ck_hkdf_sha256(ikm, ikm_len, info, info_len, out);
}

int ck_att_hmac(const uint8_t key[CK_ATT_KEY_LEN], const struct ck_att_part *parts,
		size_t n, uint8_t mac[CHIPKEY_MAC_LEN])
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	EVP_MAC *hmac;
	size_t i, outl = 0;
	int ok;

	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!hmac)
		return -ENOSYS;
	ctx = EVP_MAC_CTX_new(hmac);
	EVP_MAC_free(hmac);
	if (!ctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(ctx, key, CK_ATT_KEY_LEN, params) == 1;
	for (i = 0; ok && i < n; i++)
		if (parts[i].len)
			ok = EVP_MAC_update(ctx, parts[i].p, parts[i].len) == 1;
	ok = ok && EVP_MAC_final(ctx, mac, &outl, CHIPKEY_MAC_LEN) == 1 &&
	     outl == CHIPKEY_MAC_LEN;
	EVP_MAC_CTX_free(ctx);
	if (!ok) {
		OPENSSL_cleanse(mac, CHIPKEY_MAC_LEN);
		return -EIO;
	}
	return 0;
}

static int sha256(const void *p, size_t len, uint8_t md[32])
{
	unsigned int n = 0;

	if (EVP_Digest(p, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return -EIO;
	return 0;
}

/* 0 if @pub encodes a point of P-256 other than infinity, else -EINVAL. */
static int point_check(const uint8_t pub[CHIPKEY_EC_POINT_LEN])
{
	EC_GROUP *g;
	EC_POINT *pt = NULL;
	int ret = -ENOMEM;

	if (pub[0] != 0x04)
		return -EINVAL;
	g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	if (!g)
		return -ENOMEM;
	pt = EC_POINT_new(g);
	if (!pt)
		goto out;
	/* oct2point refuses coordinates >= p and points not on the curve */
	ret = -EINVAL;
	if (EC_POINT_oct2point(g, pt, pub, CHIPKEY_EC_POINT_LEN, NULL) != 1 ||
	    EC_POINT_is_at_infinity(g, pt) ||
	    EC_POINT_is_on_curve(g, pt, NULL) != 1)
		goto out;
	ret = 0;
out:
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return ret;
}

int ck_att_pub_to_pkey(const uint8_t pub[CHIPKEY_EC_POINT_LEN], EVP_PKEY **out)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *pctx;
	EVP_PKEY *pkey = NULL;
	int ret;

	*out = NULL;
	ret = point_check(pub);
	if (ret)
		return ret;
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!pctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)P256_NAME, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      (void *)pub,
						      CHIPKEY_EC_POINT_LEN);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		ret = -EINVAL;
	EVP_PKEY_CTX_free(pctx);
	if (!ret)
		*out = pkey;
	return ret;
}

int ck_att_pkey_to_pub(const EVP_PKEY *pkey, uint8_t pub[CHIPKEY_EC_POINT_LEN])
{
	BIGNUM *x = NULL, *y = NULL;
	int ret = -EINVAL;

	if (!pki_is_p256(pkey))
		return -EINVAL;
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1)
		goto out;
	pub[0] = 0x04;
	if (BN_bn2binpad(x, pub + 1, CK_ATT_COORD_LEN) != CK_ATT_COORD_LEN ||
	    BN_bn2binpad(y, pub + 1 + CK_ATT_COORD_LEN, CK_ATT_COORD_LEN) !=
		    CK_ATT_COORD_LEN)
		goto out;
	ret = point_check(pub);
out:
	BN_free(x);
	BN_free(y);
	return ret;
}

static int is_space(uint8_t c)
{
	return c == '\n' || c == '\r' || c == ' ' || c == '\t';
}

int ck_att_parse_pub(const uint8_t *buf, size_t len,
		     uint8_t pub[CHIPKEY_EC_POINT_LEN])
{
	static const char pem_begin[] = "-----BEGIN";
	EVP_PKEY *pkey = NULL;
	size_t n = len;
	int ret;

	if (len == CHIPKEY_EC_POINT_LEN && buf[0] == 0x04) {
		memcpy(pub, buf, CHIPKEY_EC_POINT_LEN);
		return point_check(pub);
	}
	while (n && is_space(buf[n - 1]))
		n--;
	if (n == 2 * CHIPKEY_EC_POINT_LEN) {
		char hex[2 * CHIPKEY_EC_POINT_LEN + 1];

		memcpy(hex, buf, n);
		hex[n] = 0;
		if (ck_hex_decode(hex, pub, CHIPKEY_EC_POINT_LEN) == 0)
			return point_check(pub);
	}
	if (len >= sizeof(pem_begin) - 1 &&
	    !memcmp(buf, pem_begin, sizeof(pem_begin) - 1)) {
		BIO *bio;

		if (len > 8192)
			return -EINVAL;
		bio = BIO_new_mem_buf(buf, (int)len);
		if (!bio)
			return -ENOMEM;
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		pkey = pki_public_from_der(buf, len);
	}
	if (!pkey)
		return -EINVAL;
	ret = ck_att_pkey_to_pub(pkey, pub);
	EVP_PKEY_free(pkey);
	return ret;
}

int ck_att_ecdh(EVP_PKEY *priv, const uint8_t peer[CHIPKEY_EC_POINT_LEN],
		uint8_t z[CK_ATT_SECRET_LEN])
{
	EVP_PKEY *peer_key;
	EVP_PKEY_CTX *ctx;
	size_t zlen = CK_ATT_SECRET_LEN;
	int ret;

	ret = ck_att_pub_to_pkey(peer, &peer_key);
	if (ret)
		return ret;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	if (!ctx) {
		EVP_PKEY_free(peer_key);
		return -ENOMEM;
	}
	ret = -EIO;
	if (EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_derive_set_peer(ctx, peer_key) == 1 &&
	    EVP_PKEY_derive(ctx, z, &zlen) == 1 && zlen == CK_ATT_SECRET_LEN)
		ret = 0;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer_key);
	if (ret)
		OPENSSL_cleanse(z, CK_ATT_SECRET_LEN);
	return ret;
}

int ck_att_ephemeral(EVP_PKEY **priv, uint8_t pub[CHIPKEY_EC_POINT_LEN])
{
	EVP_PKEY *k;
	int ret;

	*priv = NULL;
	k = EVP_EC_gen("P-256");
	if (!k)
		return -EIO;
	ret = ck_att_pkey_to_pub(k, pub);
	if (ret) {
		EVP_PKEY_free(k);
		return -EIO;
	}
	*priv = k;
	return 0;
}

int ck_att_priv_to_pem(const EVP_PKEY *priv, char **pem, size_t *len)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	int ret;

	ret = pki_private_to_pkcs8_der(priv, &der, &der_len);
	if (ret)
		return ret;
	ret = ck_pem_encode("PRIVATE KEY", der, der_len, pem, len);
	pki_free_secret(der, der_len);
	return ret;
}

int ck_att_pub_to_pem(const uint8_t pub[CHIPKEY_EC_POINT_LEN], char **pem,
		      size_t *len)
{
	EVP_PKEY *pkey;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int ret;

	ret = ck_att_pub_to_pkey(pub, &pkey);
	if (ret)
		return ret;
	ret = pki_public_to_der(pkey, &der, &der_len);
	EVP_PKEY_free(pkey);
	if (ret)
		return ret;
	ret = ck_pem_encode("PUBLIC KEY", der, der_len, pem, len);
	OPENSSL_free(der);
	return ret;
}

/* ------------------------------------------------------------ the chip */

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

/* K = HKDF(Z, label || chip ID || p1 || p2) */
static int derive_points(const uint8_t z[CK_ATT_SECRET_LEN], const char *label,
			 const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			 const uint8_t p1[CHIPKEY_EC_POINT_LEN],
			 const uint8_t p2[CHIPKEY_EC_POINT_LEN],
			 uint8_t key[CK_ATT_KEY_LEN])
{
	uint8_t info[CK_ATT_INFO_MAX];
	size_t n = ck_att_info_points(label, chip_id, p1, p2, info);

	return ck_att_hkdf(z, CK_ATT_SECRET_LEN, info, n, key);
}

/* ATTEST MAC from Z: both sides. */
static int attest_mac(const uint8_t z[CK_ATT_SECRET_LEN],
		      const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		      const uint8_t q[CHIPKEY_EC_POINT_LEN],
		      const uint8_t v[CHIPKEY_EC_POINT_LEN], const void *ctx,
		      size_t ctx_len, uint8_t mac[CHIPKEY_MAC_LEN])
{
	struct ck_att_part part = { ctx, ctx_len };
	uint8_t key[CK_ATT_KEY_LEN];
	int ret;

	if (ctx_len > CHIPKEY_MAX_CONTEXT)
		return -EMSGSIZE;
	ret = derive_points(z, CK_ATT_LABEL_ATTEST, chip_id, q, v, key);
	if (!ret)
		ret = ck_att_hmac(key, &part, 1, mac);
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
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
		ret = attest_mac(z, a->chip_id, a->pub, v, ctx, ctx_len, mac);
	OPENSSL_cleanse(z, sizeof(z));
	return ret;
}

/*
 * One AES-256-GCM pass over a sealed package body.  @enc: encrypt and write
 * the tag; else decrypt and check it (-EBADMSG).
 */
static int seal_gcm(int enc, const uint8_t key[CK_ATT_KEY_LEN],
		    const uint8_t nonce[CK_SEAL_NONCE_LEN],
		    const uint8_t aad[CHIPKEY_SEAL_HEADER_LEN], const uint8_t *in,
		    size_t len, uint8_t *out, uint8_t tag[CHIPKEY_PKG_TAG_LEN])
{
	OSSL_PARAM params[2];
	size_t ivlen = CK_SEAL_NONCE_LEN;
	EVP_CIPHER_CTX *ctx;
	EVP_CIPHER *cipher;
	int ret = -EIO, n;

	if (len > CHIPKEY_MAX_PAYLOAD)
		return -EMSGSIZE;
	cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (!cipher)
		return -ENOSYS;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx) {
		EVP_CIPHER_free(cipher);
		return -ENOMEM;
	}
	params[0] = OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &ivlen);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_CipherInit_ex2(ctx, cipher, key, nonce, enc, params) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, aad, CHIPKEY_SEAL_HEADER_LEN) != 1 ||
	    (len && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1))
		goto out;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
						      tag, CHIPKEY_PKG_TAG_LEN);
	params[1] = OSSL_PARAM_construct_end();
	if (enc) {
		if (EVP_CipherFinal_ex(ctx, out + len, &n) != 1 ||
		    EVP_CIPHER_CTX_get_params(ctx, params) != 1)
			goto out;
	} else {
		if (EVP_CIPHER_CTX_set_params(ctx, params) != 1)
			goto out;
		if (EVP_CipherFinal_ex(ctx, out + len, &n) != 1) {
			ret = -EBADMSG;
			goto out;
		}
	}
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(cipher);
	if (ret && !enc)
		OPENSSL_cleanse(out, len);
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
	ret = derive_points(z, CK_ATT_LABEL_SEAL, a->chip_id, h->eph, a->pub, key);
	if (!ret) {
		memcpy(tag, sealed + CHIPKEY_SEAL_HEADER_LEN + h->payload_len,
		       sizeof(tag));
		ret = seal_gcm(0, key, h->nonce, sealed,
			       sealed + CHIPKEY_SEAL_HEADER_LEN, h->payload_len,
			       plain, tag);
	}
	if (!ret)
		ret = derive_points(z, CK_ATT_LABEL_SEALWRAP, a->chip_id,
				    h->eph, a->pub, k2);
	if (ret) {
		OPENSSL_cleanse(plain, h->payload_len);
		OPENSSL_cleanse(k2, CK_ATT_KEY_LEN);
	}
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
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

/* ---------------------------------------------- the verifier / sender */

int ck_att_expected_attest(EVP_PKEY *eph, const uint8_t q[CHIPKEY_EC_POINT_LEN],
			   const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			   const void *ctx, size_t ctx_len,
			   uint8_t mac[CHIPKEY_MAC_LEN])
{
	uint8_t v[CHIPKEY_EC_POINT_LEN], z[CK_ATT_SECRET_LEN];
	int ret;

	if (ctx_len > CHIPKEY_MAX_CONTEXT)
		return -EMSGSIZE;
	ret = ck_att_pkey_to_pub(eph, v);
	if (ret)
		return ret;
	ret = ck_att_ecdh(eph, q, z);
	if (!ret)
		ret = attest_mac(z, chip_id, q, v, ctx, ctx_len, mac);
	OPENSSL_cleanse(z, sizeof(z));
	return ret;
}

int ck_att_seal_with(EVP_PKEY *eph, const uint8_t nonce[CK_SEAL_NONCE_LEN],
		     const uint8_t q[CHIPKEY_EC_POINT_LEN],
		     const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		     const uint8_t *in, size_t len, uint8_t *out)
{
	struct ck_seal_header h;
	uint8_t z[CK_ATT_SECRET_LEN], key[CK_ATT_KEY_LEN];
	int ret;

	if (len > CHIPKEY_MAX_PAYLOAD)
		return -EMSGSIZE;
	memset(&h, 0, sizeof(h));
	h.version = CK_SEAL_VERSION;
	h.alg = CK_SEAL_ALG_ECDH_P256_HKDF_SHA256_AES256GCM;
	memcpy(h.chip_id, chip_id, CHIPKEY_CHIP_ID_LEN);
	ret = ck_att_pkey_to_pub(eph, h.eph);
	if (ret)
		return ret;
	memcpy(h.nonce, nonce, CK_SEAL_NONCE_LEN);
	h.payload_len = (uint32_t)len;
	ret = ck_att_ecdh(eph, q, z);
	if (ret)
		return ret;
	ck_seal_header_encode(&h, out);
	ret = derive_points(z, CK_ATT_LABEL_SEAL, chip_id, h.eph, q, key);
	if (!ret)
		ret = seal_gcm(1, key, nonce, out, in, len,
			       out + CHIPKEY_SEAL_HEADER_LEN,
			       out + CHIPKEY_SEAL_HEADER_LEN + len);
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(key, sizeof(key));
	if (ret)
		OPENSSL_cleanse(out, ck_seal_size(len));
	return ret;
}

int ck_att_seal(const uint8_t q[CHIPKEY_EC_POINT_LEN],
		const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		const uint8_t *in, size_t len, uint8_t *out, EVP_PKEY **eph_out)
{
	uint8_t nonce[CK_SEAL_NONCE_LEN], e[CHIPKEY_EC_POINT_LEN];
	EVP_PKEY *eph;
	int ret;

	if (eph_out)
		*eph_out = NULL;
	if (len > CHIPKEY_MAX_PAYLOAD)
		return -EMSGSIZE;
	ret = point_check(q);
	if (ret)
		return ret;
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return -EIO;
	ret = ck_att_ephemeral(&eph, e);
	if (ret)
		return ret;
	ret = ck_att_seal_with(eph, nonce, q, chip_id, in, len, out);
	if (!ret && eph_out)
		*eph_out = eph;
	else
		EVP_PKEY_free(eph);
	return ret;
}

int ck_att_sealed_wrap_verify(EVP_PKEY *eph, const uint8_t q[CHIPKEY_EC_POINT_LEN],
			      const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			      const uint8_t *backup, size_t backup_len,
			      uint64_t generation,
			      const uint8_t *plain, size_t plain_len,
			      const void *ctx, size_t ctx_len,
			      const uint8_t mac[CHIPKEY_MAC_LEN])
{
	uint8_t e[CHIPKEY_EC_POINT_LEN], z[CK_ATT_SECRET_LEN];
	uint8_t k2[CK_ATT_KEY_LEN], want[CHIPKEY_MAC_LEN];
	struct ck_pkg_header h;
	int ret;

	if (ctx_len > CHIPKEY_MAX_CONTEXT)
		return -EMSGSIZE;
	/* The MAC binds the backup's bytes; its header must also be the one asked for. */
	if (ck_pkg_header_parse(backup, backup_len, &h))
		return -EINVAL;
	if (memcmp(h.chip_id, chip_id, CHIPKEY_CHIP_ID_LEN) ||
	    h.generation != generation || h.payload_len != plain_len)
		return -EBADMSG;
	ret = ck_att_pkey_to_pub(eph, e);
	if (ret)
		return ret;
	ret = ck_att_ecdh(eph, q, z);
	if (ret)
		return ret;
	ret = derive_points(z, CK_ATT_LABEL_SEALWRAP, chip_id, e, q, k2);
	if (!ret)
		ret = ck_att_sealed_wrap_mac(k2, backup, backup_len, plain,
					     plain_len, ctx, ctx_len, want);
	if (!ret && CRYPTO_memcmp(want, mac, CHIPKEY_MAC_LEN))
		ret = -EBADMSG;
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(want, sizeof(want));
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The chip attestation key (attest.h), part 1: P-256 points and keys, ECDH,
 * HKDF and HMAC, and the derivations both the chip and its verifier use
 * (the ATTEST MAC, the point-bound keys, the AES-256-GCM pass of a sealed
 * package).  OpenSSL 3 EVP (EC_GROUP / EC_POINT only for what EVP has no
 * call for: validating a point and computing k G).  Labels and info strings
 * come from the shared codec include/chipkey/attest.h, the same code the
 * kernel module uses.  The chip: attest-chip.c; the verifier and sender:
 * attest-sender.c.
 */
#include <errno.h>
#include <pthread.h>
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

/* P-256, made once: EC_GROUP_new_by_curve_name() sets up the curve's
 * Montgomery and order data every time (about 20 us), and a point is checked
 * several times per seal.  Only read after p256_make(), as OpenSSL allows
 * from several threads. */
static EC_GROUP *p256;
static pthread_once_t p256_once = PTHREAD_ONCE_INIT;

static void p256_make(void)
{
	p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
}

int ck_att_point_check(const uint8_t pub[CHIPKEY_EC_POINT_LEN])
{
	const EC_GROUP *g;
	EC_POINT *pt = NULL;
	int ret = -ENOMEM;

	if (pub[0] != 0x04)
		return -EINVAL;
	if (pthread_once(&p256_once, p256_make) || !p256)
		return -ENOMEM;
	g = p256;
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
	return ret;
}

/*
 * A P-256 public key (the generator), made once: the template every other
 * P-256 key is copied or generated from.  EVP_PKEY_fromdata() and
 * EVP_PKEY_Q_keygen() fetch the EC methods and set up the curve each time
 * (18 us and 28 us on one thread; those fetches take OpenSSL 3.0's global
 * read-write locks, which made d2i_X509 about three times dearer with
 * several threads on two CPUs); a copy of the template with another point,
 * or a key generated from its parameters, costs 4 us and 16 us.  Never
 * changed after p256_key_make.
 */
static EVP_PKEY *p256_key;
static pthread_once_t p256_key_once = PTHREAD_ONCE_INIT;

static void p256_key_make(void)
{
	uint8_t g[CHIPKEY_EC_POINT_LEN];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *pctx;

	if (pthread_once(&p256_once, p256_make) || !p256 ||
	    EC_POINT_point2oct(p256, EC_GROUP_get0_generator(p256),
			       POINT_CONVERSION_UNCOMPRESSED, g, sizeof(g), NULL) != sizeof(g))
		return;
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!pctx)
		return;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)P256_NAME, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, g, sizeof(g));
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &p256_key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		p256_key = NULL;
	EVP_PKEY_CTX_free(pctx);
}

static EVP_PKEY *p256_template(void)
{
	return pthread_once(&p256_key_once, p256_key_make) ? NULL : p256_key;
}

int ck_att_pub_to_pkey(const uint8_t pub[CHIPKEY_EC_POINT_LEN], EVP_PKEY **out)
{
	EVP_PKEY *tmpl, *pkey;
	int ret;

	*out = NULL;
	ret = ck_att_point_check(pub);
	if (ret)
		return ret;
	tmpl = p256_template();
	pkey = tmpl ? EVP_PKEY_dup(tmpl) : NULL;
	if (!pkey)
		return -ENOMEM;
	/* the point is decoded and checked again (on the curve) */
	if (EVP_PKEY_set1_encoded_public_key(pkey, pub, CHIPKEY_EC_POINT_LEN) != 1) {
		EVP_PKEY_free(pkey);
		return -EINVAL;
	}
	*out = pkey;
	return 0;
}

EVP_PKEY *ck_att_p256_keygen(void)
{
	EVP_PKEY *tmpl = p256_template(), *k = NULL;
	EVP_PKEY_CTX *ctx = tmpl ? EVP_PKEY_CTX_new_from_pkey(NULL, tmpl, NULL) : NULL;

	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &k) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	return k;
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
	ret = ck_att_point_check(pub);
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
		return ck_att_point_check(pub);
	}
	while (n && is_space(buf[n - 1]))
		n--;
	if (n == 2 * CHIPKEY_EC_POINT_LEN) {
		char hex[2 * CHIPKEY_EC_POINT_LEN + 1];

		memcpy(hex, buf, n);
		hex[n] = 0;
		if (ck_hex_decode(hex, pub, CHIPKEY_EC_POINT_LEN) == 0)
			return ck_att_point_check(pub);
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
	/* The peer was checked by ck_att_pub_to_pkey: on P-256 (cofactor 1)
	 * a point on the curve other than infinity has order n, so the full
	 * public key check of EVP_PKEY_derive_set_peer() (n Q = O, a scalar
	 * multiplication) adds nothing. */
	ret = -EIO;
	if (EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 0) == 1 &&
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
	k = ck_att_p256_keygen();
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


/* ------------------------------------ derivations both sides share */

int ck_att_derive_points(const uint8_t z[CK_ATT_SECRET_LEN], const char *label,
			 const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			 const uint8_t p1[CHIPKEY_EC_POINT_LEN],
			 const uint8_t p2[CHIPKEY_EC_POINT_LEN],
			 uint8_t key[CK_ATT_KEY_LEN])
{
	uint8_t info[CK_ATT_INFO_MAX];
	size_t n = ck_att_info_points(label, chip_id, p1, p2, info);

	return ck_att_hkdf(z, CK_ATT_SECRET_LEN, info, n, key);
}

int ck_att_attest_mac(const uint8_t z[CK_ATT_SECRET_LEN],
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
	ret = ck_att_derive_points(z, CK_ATT_LABEL_ATTEST, chip_id, q, v, key);
	if (!ret)
		ret = ck_att_hmac(key, &part, 1, mac);
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

int ck_att_seal_gcm(int enc, const uint8_t key[CK_ATT_KEY_LEN],
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

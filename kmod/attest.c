// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey: the chip attestation key and what the chip proves with it.
 *
 * At probe the attestation scalar k is derived from the chip key with
 * HKDF-SHA256 under its own label (include/chipkey/attest.h), handed to the
 * ecdh-nist-p256 kpp tfm of every crypto context, and wiped; the public key
 * Q = k * G is computed through the same kpp API.  k exists afterwards only
 * inside those tfm contexts, which the crypto API frees with
 * kfree_sensitive() when the device goes away.  No signature code: the
 * chip proves itself with ECDH-derived MACs that a verifier holding an
 * ephemeral private key can recompute (docs/attestation.md).
 *
 *   ATTEST       mac = HMAC(HKDF(Z(k, V), "chipkey v1 attest" ...), context)
 *   SEALED_WRAP  open a package sealed to Q, wrap its content into a backup
 *                package, mac over both hashes and a context
 *   CHIP_MAC     HMAC under HKDF(chip key, "chipkey v1 chip mac" || purpose)
 */

#include <crypto/aead.h>
#include <crypto/ecdh.h>
#include <crypto/kpp.h>
#include <crypto/sha2.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "chipkey.h"

static_assert(CK_ATT_KEY_LEN == SHA256_DIGEST_SIZE);
static_assert(CHIPKEY_MAC_LEN == SHA256_DIGEST_SIZE);
static_assert(CK_SEAL_NONCE_LEN == CK_PKG_NONCE_LEN);

/**
 * ck_attest_ctx_init() - allocate a context's ECDH tfm and request
 * @c: the context being set up (ck_ctx_free() undoes a partial setup)
 *
 * Return: 0 or a negative errno.
 */
int ck_attest_ctx_init(struct ck_crypto_ctx *c)
{
	c->kpp = crypto_alloc_kpp("ecdh-nist-p256", 0, 0);
	if (IS_ERR(c->kpp))
		return PTR_ERR(c->kpp);
	c->kreq = kpp_request_alloc(c->kpp, GFP_KERNEL);
	if (!c->kreq)
		return -ENOMEM;
	c->kbuf = kzalloc(CK_KPP_BUF_LEN, GFP_KERNEL);
	if (!c->kbuf)
		return -ENOMEM;
	return 0;
}

/**
 * ck_attest_ctx_free() - free a context's ECDH tfm (wiping the key in it)
 * @c: the context
 */
void ck_attest_ctx_free(struct ck_crypto_ctx *c)
{
	kpp_request_free(c->kreq);
	if (!IS_ERR_OR_NULL(c->kpp))
		crypto_free_kpp(c->kpp);
	kfree_sensitive(c->kbuf);
}

/*
 * Run the context's kpp: with @peer (X || Y, 64 bytes) the shared X
 * coordinate goes to @out (32 bytes), without it the public key (64).
 */
static int ck_kpp_run(struct ck_crypto_ctx *c, const u8 *peer, u8 *out)
{
	unsigned int in_len = peer ? 2 * CK_ATT_COORD_LEN : 0;
	unsigned int out_len = peer ? CK_ATT_SECRET_LEN : 2 * CK_ATT_COORD_LEN;
	u8 *obuf = c->kbuf + 2 * CK_ATT_COORD_LEN;
	DECLARE_CRYPTO_WAIT(wait);
	int ret;

	if (peer)
		memcpy(c->kbuf, peer, in_len);
	else
		obuf = c->kbuf;
	sg_init_one(&c->ksg[0], c->kbuf, 2 * CK_ATT_COORD_LEN);
	sg_init_one(&c->ksg[1], obuf, out_len);
	kpp_request_set_input(c->kreq, peer ? &c->ksg[0] : NULL, in_len);
	kpp_request_set_output(c->kreq, &c->ksg[1], out_len);
	kpp_request_set_callback(c->kreq, CRYPTO_TFM_REQ_MAY_BACKLOG |
				 CRYPTO_TFM_REQ_MAY_SLEEP,
				 crypto_req_done, &wait);
	if (peer)
		ret = crypto_kpp_compute_shared_secret(c->kreq);
	else
		ret = crypto_kpp_generate_public_key(c->kreq);
	ret = crypto_wait_req(ret, &wait);
	if (!ret)
		memcpy(out, obuf, out_len);
	memzero_explicit(c->kbuf, CK_KPP_BUF_LEN);
	return ret;
}

/*
 * Z = the X coordinate of k * @point.  A point that is not on the curve,
 * has a coordinate >= p or is (0, 0) is refused with -EINVAL by the kpp;
 * the encoding's first byte is checked by the caller's parser.
 */
static int ck_ecdh(struct ck_crypto_ctx *c, const u8 *point, u8 *z)
{
	int ret;

	if (point[0] != 0x04)
		return -EINVAL;
	ret = ck_kpp_run(c, point + 1, z);
	/* ecdh reports a product at infinity as -EFAULT: not a user pointer */
	return ret == -EFAULT ? -EINVAL : ret;
}

/* Derive candidate @attempt of the attestation scalar into @k. */
static int ck_attest_scalar(struct ck_crypto_ctx *c, const struct ck_fuses *f,
			    u8 attempt, u8 *k)
{
	u8 info[CK_ATT_INFO_MAX];
	size_t n = ck_att_info_key(f->chip_id, attempt, info);

	return ck_hkdf(c, NULL, 0, f->chip_key, sizeof(f->chip_key), info, n,
		       k);
}

/**
 * ck_attest_init() - derive the attestation key into every context's kpp
 *                    and compute the public key
 * @ck: the chip, fuses read and crypto contexts allocated
 *
 * Return: 0, -EDOM if no candidate scalar was in range (probability about
 * 2^-500), or another negative errno.
 */
int ck_attest_init(struct chipkey *ck)
{
	u8 k[CK_ATT_SCALAR_LEN], pub[2 * CK_ATT_COORD_LEN];
	u8 secret[CK_ATT_SCALAR_LEN + 16];	/* crypto_ecdh_key_len() */
	struct ecdh p = { .key = (char *)k, .key_size = sizeof(k) };
	struct ck_crypto_ctx *c = &ck->ctx[0];
	unsigned int i, len = crypto_ecdh_key_len(&p);
	u8 attempt;
	int ret = -EDOM;

	if (WARN_ON_ONCE(len > sizeof(secret)))
		return -EINVAL;

	mutex_lock(&c->lock);
	for (attempt = 1; attempt <= CK_ATT_SCALAR_TRIES; attempt++) {
		ret = ck_attest_scalar(c, &ck->fuses, attempt, k);
		if (ret)
			break;
		ret = -EDOM;
		if (ck_att_scalar_ok(k)) {
			ret = 0;
			break;
		}
	}
	if (!ret)
		ret = crypto_ecdh_encode_key((char *)secret, len, &p);
	for (i = 0; !ret && i < ck->nctx; i++)
		ret = crypto_kpp_set_secret(ck->ctx[i].kpp, secret, len);
	if (!ret)
		ret = ck_kpp_run(c, NULL, pub);
	ck_ctx_put(c);

	memzero_explicit(k, sizeof(k));
	memzero_explicit(secret, sizeof(secret));
	if (ret)
		return ret;
	ck->att_pub[0] = 0x04;
	memcpy(ck->att_pub + 1, pub, sizeof(pub));
	return 0;
}

/* K = HKDF(Z, label || chip ID || p1 || p2) */
static int ck_ecdh_key(struct ck_crypto_ctx *c, const struct chipkey *ck,
		       const char *label, const u8 *z, const u8 *p1,
		       const u8 *p2, u8 *key)
{
	u8 info[CK_ATT_INFO_MAX];
	size_t n = ck_att_info_points(label, ck->fuses.chip_id, p1, p2, info);

	return ck_hkdf(c, NULL, 0, z, CK_ATT_SECRET_LEN, info, n, key);
}

/**
 * ck_attest() - prove the live chip to a verifier
 * @ck:           the chip
 * @verifier_pub: the verifier's ephemeral public key V (65 bytes, SEC1)
 * @context:      the context string, @context_len bytes (checked bound)
 * @context_len:  its length
 * @mac:          out: HMAC-SHA256(HKDF(Z(k, V), attest label ...), context)
 *
 * Return: 0, -EINVAL for an invalid point, or another negative errno.
 */
int ck_attest(struct chipkey *ck, const u8 *verifier_pub, const u8 *context,
	      u32 context_len, u8 *mac)
{
	struct kvec v = { .iov_base = (void *)context, .iov_len = context_len };
	u8 z[CK_ATT_SECRET_LEN], key[CK_ATT_KEY_LEN];
	struct ck_crypto_ctx *c;
	int ret;

	c = ck_ctx_get(ck);
	if (!c)
		return -EINTR;
	ret = ck_ecdh(c, verifier_pub, z);
	if (!ret)
		ret = ck_ecdh_key(c, ck, CK_ATT_LABEL_ATTEST, z, ck->att_pub,
				  verifier_pub, key);
	if (!ret)
		ret = ck_hmac(c, key, sizeof(key), &v, 1, mac);
	ck_ctx_put(c);
	memzero_explicit(z, sizeof(z));
	memzero_explicit(key, sizeof(key));
	return ret;
}

/**
 * ck_sealed_wrap() - open a sealed package and wrap its content
 * @ck:          the chip
 * @sealed:      the sealed package, already checked by
 *               ck_seal_header_parse() into @h and sealed to this chip;
 *               opened in place (the caller wipes it when freeing)
 * @h:           its parsed header
 * @generation:  generation of the backup package
 * @context:     the context string, @context_len bytes
 * @context_len: its length
 * @pkg:         out: ck_pkg_size(@h->payload_len) bytes, the backup package
 * @mac:         out: HMAC(K2, SHA-256(@pkg) || SHA-256(data package) ||
 *               context)
 *
 * The data package goes from the sealed package straight into the backup
 * package inside this function: it is never copied to userspace.
 *
 * Return: 0, -EINVAL for an invalid point, -EBADMSG if the sealed package
 * does not authenticate, or another negative errno.
 */
int ck_sealed_wrap(struct chipkey *ck, u8 *sealed,
		   const struct ck_seal_header *h, u64 generation,
		   const u8 *context, u32 context_len, u8 *pkg, u8 *mac)
{
	u8 z[CK_ATT_SECRET_LEN], key[CK_ATT_KEY_LEN];
	u8 pkg_hash[SHA256_DIGEST_SIZE], pt_hash[SHA256_DIGEST_SIZE];
	struct kvec v[3] = {
		{ .iov_base = pkg_hash, .iov_len = sizeof(pkg_hash) },
		{ .iov_base = pt_hash, .iov_len = sizeof(pt_hash) },
		{ .iov_base = (void *)context, .iov_len = context_len },
	};
	u8 *pt = sealed + CHIPKEY_SEAL_HEADER_LEN;
	u32 n = h->payload_len;
	struct ck_crypto_ctx *c;
	int ret;

	c = ck_ctx_get(ck);
	if (!c)
		return -EINTR;

	ret = ck_ecdh(c, h->eph, z);
	if (!ret)
		ret = ck_ecdh_key(c, ck, CK_ATT_LABEL_SEAL, z, h->eph,
				  ck->att_pub, key);
	if (!ret)
		ret = crypto_aead_setkey(c->aead, key, sizeof(key));
	if (!ret)
		ret = ck_ctx_gcm(c, sealed, CHIPKEY_SEAL_HEADER_LEN, n,
				 h->nonce, false);
	if (ret)
		goto out;

	sha256(pt, n, pt_hash);
	memcpy(pkg + CHIPKEY_PKG_HEADER_LEN, pt, n);
	memzero_explicit(pt, n);
	ret = ck_ctx_wrap(c, &ck->fuses, pkg, n, generation);
	if (ret)
		goto out;
	sha256(pkg, ck_pkg_size(n), pkg_hash);

	ret = ck_ecdh_key(c, ck, CK_ATT_LABEL_SEALWRAP, z, h->eph, ck->att_pub,
			  key);
	if (!ret)
		ret = ck_hmac(c, key, sizeof(key), v, ARRAY_SIZE(v), mac);
out:
	ck_ctx_put(c);
	memzero_explicit(z, sizeof(z));
	memzero_explicit(key, sizeof(key));
	memzero_explicit(pt_hash, sizeof(pt_hash));
	return ret;
}

/**
 * ck_chip_mac() - HMAC-SHA256 under a key derived from the chip key for
 *                 one purpose
 * @ck:      the chip
 * @purpose: a CHIPKEY_MAC_* value (checked by the caller)
 * @in:      the input, @in_len bytes
 * @in_len:  its length
 * @mac:     out: the MAC
 *
 * Return: 0 or a negative errno.
 */
int ck_chip_mac(struct chipkey *ck, u32 purpose, const u8 *in, u32 in_len,
		u8 *mac)
{
	struct kvec v = { .iov_base = (void *)in, .iov_len = in_len };
	u8 info[CK_ATT_INFO_MAX], key[CK_ATT_KEY_LEN];
	size_t n = ck_att_info_chip_mac(ck->fuses.chip_id, purpose, info);
	struct ck_crypto_ctx *c;
	int ret;

	c = ck_ctx_get(ck);
	if (!c)
		return -EINTR;
	ret = ck_hkdf(c, NULL, 0, ck->fuses.chip_key,
		      sizeof(ck->fuses.chip_key), info, n, key);
	if (!ret)
		ret = ck_hmac(c, key, sizeof(key), &v, 1, mac);
	ck_ctx_put(c);
	memzero_explicit(key, sizeof(key));
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey: HKDF-SHA256 (RFC 5869, one 32-byte output block) and
 * HMAC-SHA256 over several buffers, with a context's hmac(sha256) tfm.
 * Every derivation of the module goes through ck_hkdf(); the caller's
 * ck_ctx_put() overwrites the tfm's key afterwards.
 */

#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "chipkey.h"

/**
 * ck_hmac() - HMAC-SHA256 of the concatenation of @n buffers
 * @c:   a context held by the caller
 * @key: the HMAC key, @key_len bytes
 * @key_len: its length
 * @v:   the buffers (a zero-length one may have a NULL base)
 * @n:   how many
 * @out: the 32-byte MAC
 *
 * Return: 0 or a negative errno.
 */
int ck_hmac(struct ck_crypto_ctx *c, const u8 *key, unsigned int key_len,
	    const struct kvec *v, unsigned int n, u8 *out)
{
	SHASH_DESC_ON_STACK(desc, c->hmac);
	unsigned int i;
	int ret;

	desc->tfm = c->hmac;
	ret = crypto_shash_setkey(c->hmac, key, key_len);
	if (!ret)
		ret = crypto_shash_init(desc);
	for (i = 0; !ret && i < n; i++)
		if (v[i].iov_len)
			ret = crypto_shash_update(desc, v[i].iov_base,
						  v[i].iov_len);
	if (!ret)
		ret = crypto_shash_final(desc, out);
	shash_desc_zero(desc);
	return ret;
}

/**
 * ck_hkdf() - HKDF-SHA256 with a 32-byte output
 * @c:        a context held by the caller
 * @salt:     the salt, @salt_len bytes (NULL: 32 zero bytes)
 * @salt_len: its length
 * @ikm:      input keying material, @ikm_len bytes
 * @ikm_len:  its length
 * @info:     the info string (label || ...), @info_len bytes
 * @info_len: its length
 * @okm:      the 32-byte output
 *
 * PRK = HMAC(salt, IKM); OKM = HMAC(PRK, info || 0x01).
 *
 * Return: 0 or a negative errno.
 */
int ck_hkdf(struct ck_crypto_ctx *c, const u8 *salt, unsigned int salt_len,
	    const u8 *ikm, unsigned int ikm_len, const u8 *info,
	    unsigned int info_len, u8 *okm)
{
	static const u8 zero_salt[SHA256_DIGEST_SIZE];
	static const u8 counter = 0x01;
	u8 prk[SHA256_DIGEST_SIZE];
	struct kvec v[2];
	int ret;

	if (!salt) {
		salt = zero_salt;
		salt_len = sizeof(zero_salt);
	}
	v[0].iov_base = (void *)ikm;
	v[0].iov_len = ikm_len;
	ret = ck_hmac(c, salt, salt_len, v, 1, prk);
	if (!ret) {
		v[0].iov_base = (void *)info;
		v[0].iov_len = info_len;
		v[1].iov_base = (void *)&counter;
		v[1].iov_len = 1;
		ret = ck_hmac(c, prk, sizeof(prk), v, 2, okm);
	}
	memzero_explicit(prk, sizeof(prk));
	return ret;
}

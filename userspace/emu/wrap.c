// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-emu crypto: HKDF-SHA256 key derivation and AES-256-GCM, with
 * OpenSSL 3 EVP only.  The package header is written and parsed by the
 * shared codec include/chipkey/backup_package.h, the same code the kernel
 * module uses, so the bytes are identical.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "emu.h"

/*
 * The algorithms are fetched once per process (a fetch per request costs more
 * than the crypto for small payloads), and each thread keeps one HKDF context
 * with the digest already set.  The chip key is handed to that context only
 * for the length of a derivation: afterwards it is replaced by zeros (the
 * provider clear-frees the copy it held).
 */
static pthread_once_t algs_once = PTHREAD_ONCE_INIT;
static int algs_ok;
static EVP_KDF *hkdf;
static EVP_CIPHER *aes_gcm;
static pthread_key_t kdf_tls;

static void kdf_ctx_free(void *p)
{
	EVP_KDF_CTX_free(p);
}

static void algs_fini(void)
{
	kdf_ctx_free(pthread_getspecific(kdf_tls));
	pthread_setspecific(kdf_tls, NULL);
	EVP_KDF_free(hkdf);
	EVP_CIPHER_free(aes_gcm);
	hkdf = NULL;
	aes_gcm = NULL;
}

static void algs_init(void)
{
	if (pthread_key_create(&kdf_tls, kdf_ctx_free))
		return;
	hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	aes_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	algs_ok = 1;
	atexit(algs_fini);
}

/**
 * ck_crypto_init() - fetch the algorithms now rather than at first use
 *
 * Return: 0, or -ENOSYS if OpenSSL does not provide HKDF or AES-256-GCM.
 */
int ck_crypto_init(void)
{
	if (pthread_once(&algs_once, algs_init) || !algs_ok || !hkdf ||
	    !aes_gcm)
		return -ENOSYS;
	return 0;
}

/* This thread's HKDF-SHA256 context (no key in it), or NULL. */
static EVP_KDF_CTX *kdf_ctx(int *err)
{
	OSSL_PARAM params[2];
	EVP_KDF_CTX *kctx;

	*err = -ENOSYS;
	if (pthread_once(&algs_once, algs_init) || !algs_ok || !hkdf)
		return NULL;
	kctx = pthread_getspecific(kdf_tls);
	if (kctx)
		return kctx;
	*err = -ENOMEM;
	kctx = EVP_KDF_CTX_new(hkdf);
	if (!kctx)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_KDF_CTX_set_params(kctx, params) != 1 ||
	    pthread_setspecific(kdf_tls, kctx)) {
		EVP_KDF_CTX_free(kctx);
		return NULL;
	}
	return kctx;
}

int ck_derive_key(const struct ck_fuse_image *chip,
		  const uint8_t salt[CK_PKG_SALT_LEN],
		  uint8_t key[CK_PKG_KEY_LEN])
{
	static const uint8_t zero_key[CHIPKEY_CHIP_KEY_LEN];
	uint8_t info[CK_PKG_KDF_INFO_LEN];
	OSSL_PARAM params[4];
	EVP_KDF_CTX *kctx;
	int ok, err;

	kctx = kdf_ctx(&err);
	if (!kctx)
		return err;
	ck_pkg_kdf_info(chip->chip_id, info);
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
			(void *)chip->chip_key, CHIPKEY_CHIP_KEY_LEN);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
			(void *)salt, CK_PKG_SALT_LEN);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
			info, sizeof(info));
	params[3] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, key, CK_PKG_KEY_LEN, params) == 1;
	/* Wipe the chip key copy; if that fails, drop the whole context. */
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
			(void *)zero_key, sizeof(zero_key));
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_KDF_CTX_set_params(kctx, params) != 1) {
		pthread_setspecific(kdf_tls, NULL);
		EVP_KDF_CTX_free(kctx);
	}
	if (!ok) {
		OPENSSL_cleanse(key, CK_PKG_KEY_LEN);
		return -EIO;
	}
	return 0;
}

static int gcm_cipher(const EVP_CIPHER **c)
{
	if (pthread_once(&algs_once, algs_init) || !algs_ok || !aes_gcm)
		return -ENOSYS;
	*c = aes_gcm;
	return 0;
}

/*
 * One AES-256-GCM pass.  @enc: encrypt @in into @out and write the tag to
 * @tag; else decrypt and verify @tag (returns -EBADMSG on mismatch).
 */
static int gcm(int enc, const uint8_t key[CK_PKG_KEY_LEN],
	       const uint8_t nonce[CK_PKG_NONCE_LEN], const uint8_t *aad,
	       size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
	       uint8_t tag[CHIPKEY_PKG_TAG_LEN])
{
	OSSL_PARAM params[2];
	size_t ivlen = CK_PKG_NONCE_LEN;
	const EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *ctx;
	int ret = -EIO, n;

	if (gcm_cipher(&cipher))
		return -ENOSYS;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN,
						&ivlen);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_CipherInit_ex2(ctx, cipher, key, nonce, enc, params) != 1)
		goto out;
	if (aad_len > (size_t)INT32_MAX || len > (size_t)INT32_MAX)
		goto out;
	if (EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
		goto out;
	if (len && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc) {
		params[0] = OSSL_PARAM_construct_octet_string(
				OSSL_CIPHER_PARAM_AEAD_TAG, tag,
				CHIPKEY_PKG_TAG_LEN);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_CIPHER_CTX_set_params(ctx, params) != 1)
			goto out;
		if (EVP_CipherFinal_ex(ctx, out + len, &n) != 1) {
			ret = -EBADMSG;
			goto out;
		}
	} else {
		if (EVP_CipherFinal_ex(ctx, out + len, &n) != 1)
			goto out;
		params[0] = OSSL_PARAM_construct_octet_string(
				OSSL_CIPHER_PARAM_AEAD_TAG, tag,
				CHIPKEY_PKG_TAG_LEN);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_CIPHER_CTX_get_params(ctx, params) != 1)
			goto out;
	}
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);	/* cleanses the key schedule */
	return ret;
}

int ck_wrap_with(const struct ck_fuse_image *chip, uint64_t generation,
		 const uint8_t salt[CK_PKG_SALT_LEN],
		 const uint8_t nonce[CK_PKG_NONCE_LEN],
		 const uint8_t *in, size_t in_len, uint8_t *out)
{
	struct ck_pkg_header h;
	uint8_t key[CK_PKG_KEY_LEN];
	int ret;

	if (in_len > CHIPKEY_MAX_PAYLOAD)
		return -EMSGSIZE;
	memset(&h, 0, sizeof(h));
	h.version = CK_PKG_VERSION;
	h.alg = CK_PKG_ALG_HKDF_SHA256_AES256GCM;
	h.flags = 0;
	memcpy(h.chip_id, chip->chip_id, CHIPKEY_CHIP_ID_LEN);
	h.generation = generation;
	memcpy(h.salt, salt, CK_PKG_SALT_LEN);
	memcpy(h.nonce, nonce, CK_PKG_NONCE_LEN);
	h.payload_len = (uint32_t)in_len;
	ck_pkg_header_encode(&h, out);

	ret = ck_derive_key(chip, salt, key);
	if (ret)
		return ret;
	ret = gcm(1, key, nonce, out, CHIPKEY_PKG_HEADER_LEN, in, in_len,
		  out + CHIPKEY_PKG_HEADER_LEN,
		  out + CHIPKEY_PKG_HEADER_LEN + in_len);
	OPENSSL_cleanse(key, sizeof(key));
	if (ret)
		OPENSSL_cleanse(out, ck_pkg_size(in_len));
	return ret;
}

int ck_wrap(const struct ck_fuse_image *chip, uint64_t generation,
	    const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
	uint8_t rnd[CK_PKG_SALT_LEN + CK_PKG_NONCE_LEN];
	size_t need;
	int ret;

	if (in_len > CHIPKEY_MAX_PAYLOAD)
		return -EMSGSIZE;
	need = ck_pkg_size(in_len);
	if (*out_len < need) {
		*out_len = need;
		return -ENOSPC;
	}
	/* One DRBG call for both: salt, then nonce. */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	ret = ck_wrap_with(chip, generation, rnd, rnd + CK_PKG_SALT_LEN, in,
			   in_len, out);
	if (!ret)
		*out_len = need;
	return ret;
}

int ck_unwrap(const struct ck_fuse_image *chip, const uint8_t *pkg, size_t pkg_len,
	      uint8_t *out, size_t *out_len, uint64_t *generation)
{
	struct ck_pkg_header h;
	uint8_t key[CK_PKG_KEY_LEN];
	uint8_t tag[CHIPKEY_PKG_TAG_LEN];
	int ret;

	ret = ck_pkg_header_parse(pkg, pkg_len, &h);
	if (ret)
		return ret;
	/* "Not ours" is decided before any decryption is attempted. */
	if (memcmp(h.chip_id, chip->chip_id, CHIPKEY_CHIP_ID_LEN))
		return -ENOKEY;
	if (*out_len < h.payload_len) {
		*out_len = h.payload_len;
		return -ENOSPC;
	}
	ret = ck_derive_key(chip, h.salt, key);
	if (ret)
		return ret;
	memcpy(tag, pkg + CHIPKEY_PKG_HEADER_LEN + h.payload_len, sizeof(tag));
	ret = gcm(0, key, h.nonce, pkg, CHIPKEY_PKG_HEADER_LEN,
		  pkg + CHIPKEY_PKG_HEADER_LEN, h.payload_len, out, tag);
	OPENSSL_cleanse(key, sizeof(key));
	if (ret) {
		/* Never release any plaintext of a package that failed. */
		OPENSSL_cleanse(out, h.payload_len);
		return ret;
	}
	*out_len = h.payload_len;
	if (generation)
		*generation = h.generation;
	return 0;
}

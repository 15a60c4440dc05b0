// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Pre-generated private keys at rest (see pregen-key.h): AES-256-GCM under
 * a key derived from the master key with its own label, the pair's public
 * key in the AAD.  OpenSSL EVP only; the derived key is wiped after use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/kdf.h"
#include "common/pregen-key.h"

static const uint8_t header[CK_PREGEN_HEADER_LEN] = { 'C', 'K', 'P', 'K', CK_PREGEN_VERSION };

/* AES-256-GCM of @in into @out (encrypt: @tag out; decrypt: @tag in).
 * 0, -EBADMSG (decrypt: does not authenticate) or -EIO. */
static int gcm(int enc, const uint8_t *master, const uint8_t *nonce,
	       const uint8_t *pub, size_t pub_len, const uint8_t *in, size_t len,
	       uint8_t *out, uint8_t *tag)
{
	uint8_t key[CK_HKDF_OUT_LEN];
	EVP_CIPHER_CTX *c = NULL;
	int n = 0, err = -EIO;

	if (ck_hkdf_sha256(master, 32, (const uint8_t *)CK_PREGEN_LABEL,
			   CK_PREGEN_LABEL_LEN, key))
		return -EIO;
	c = EVP_CIPHER_CTX_new();
	if (!c || EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, CK_PREGEN_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, header, sizeof(header)) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, pub, (int)pub_len) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, CK_PREGEN_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + n, &n) != 1) {
		err = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, CK_PREGEN_TAG_LEN, tag) != 1)
		goto out;
	err = 0;
out:
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

int ck_pregen_seal(const uint8_t *master, const uint8_t *pub, size_t pub_len,
		   const uint8_t *priv, size_t priv_len, uint8_t **out, size_t *out_len)
{
	size_t len = CK_PREGEN_OVERHEAD + priv_len;
	uint8_t *b, *nonce, *ct;
	int err;

	*out = NULL;
	if (!priv_len || priv_len > CK_PREGEN_MAX_KEY || !pub_len || pub_len > CK_PREGEN_MAX_KEY)
		return -EINVAL;
	b = malloc(len);
	if (!b)
		return -ENOMEM;
	nonce = b + CK_PREGEN_HEADER_LEN;
	ct = nonce + CK_PREGEN_NONCE_LEN;
	memcpy(b, header, sizeof(header));
	if (RAND_bytes(nonce, CK_PREGEN_NONCE_LEN) != 1) {
		free(b);
		return -EIO;
	}
	err = gcm(1, master, nonce, pub, pub_len, priv, priv_len, ct, ct + priv_len);
	if (err) {
		OPENSSL_clear_free(b, len);
		return err;
	}
	*out = b;
	*out_len = len;
	return 0;
}

int ck_pregen_open(const uint8_t *master, const uint8_t *pub, size_t pub_len,
		   const uint8_t *blob, size_t blob_len, uint8_t **priv, size_t *priv_len)
{
	const uint8_t *nonce = blob + CK_PREGEN_HEADER_LEN;
	const uint8_t *ct = nonce + CK_PREGEN_NONCE_LEN;
	uint8_t tag[CK_PREGEN_TAG_LEN];
	size_t len;
	uint8_t *p;
	int err;

	*priv = NULL;
	if (blob_len < CK_PREGEN_HEADER_LEN || memcmp(blob, header, sizeof(header)))
		return -EPROTO;
	if (blob_len <= CK_PREGEN_OVERHEAD || blob_len > CK_PREGEN_OVERHEAD + CK_PREGEN_MAX_KEY ||
	    !pub_len || pub_len > CK_PREGEN_MAX_KEY)
		return -EBADMSG;
	len = blob_len - CK_PREGEN_OVERHEAD;
	p = malloc(len);
	if (!p)
		return -ENOMEM;
	memcpy(tag, ct + len, sizeof(tag));
	err = gcm(0, master, nonce, pub, pub_len, ct, len, p, tag);
	if (err) {
		OPENSSL_clear_free(p, len);
		return err;
	}
	*priv = p;
	*priv_len = len;
	return 0;
}

void ck_pregen_free(uint8_t *priv, size_t len)
{
	if (priv)
		OPENSSL_clear_free(priv, len);
}

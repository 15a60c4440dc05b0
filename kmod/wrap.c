// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey: key derivation (HKDF-SHA256) and AES-256-GCM through the kernel
 * crypto API.
 *
 *   PRK = HMAC-SHA256(key = salt, chip key)                  HKDF-Extract
 *   OKM = HMAC-SHA256(key = PRK, label || chip ID || 0x01)   HKDF-Expand
 *   package = header || AES-256-GCM(OKM, nonce, AAD = header, payload) || tag
 *
 * The tfms are allocated once at probe in a small pool of contexts; an
 * operation keys them, runs, and overwrites the keys with zeros again.
 */

#include <crypto/aead.h>
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/cpumask.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "chipkey.h"

static_assert(SHA256_DIGEST_SIZE == CK_PKG_KEY_LEN);

static const u8 ck_zero_key[CK_PKG_KEY_LEN];

static void ck_ctx_free(struct ck_crypto_ctx *c)
{
	ck_attest_ctx_free(c);
	aead_request_free(c->req);
	if (!IS_ERR_OR_NULL(c->aead))
		crypto_free_aead(c->aead);
	if (!IS_ERR_OR_NULL(c->hmac))
		crypto_free_shash(c->hmac);
	kfree(c->iv);
	mutex_destroy(&c->lock);
}

static int ck_ctx_init(struct ck_crypto_ctx *c)
{
	int ret;

	mutex_init(&c->lock);

	c->hmac = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(c->hmac))
		return PTR_ERR(c->hmac);

	c->aead = crypto_alloc_aead("gcm(aes)", 0, 0);
	if (IS_ERR(c->aead))
		return PTR_ERR(c->aead);

	ret = crypto_aead_setauthsize(c->aead, CHIPKEY_PKG_TAG_LEN);
	if (ret)
		return ret;
	if (crypto_aead_ivsize(c->aead) != CK_PKG_NONCE_LEN)
		return -EINVAL;

	c->req = aead_request_alloc(c->aead, GFP_KERNEL);
	if (!c->req)
		return -ENOMEM;

	c->iv = kzalloc(CK_PKG_NONCE_LEN, GFP_KERNEL);
	if (!c->iv)
		return -ENOMEM;
	return ck_attest_ctx_init(c);
}

/**
 * ck_crypto_init() - allocate the crypto context pool
 * @ck: the chip
 *
 * Return: 0 or a negative errno.
 */
int ck_crypto_init(struct chipkey *ck)
{
	unsigned int i, n = min_t(unsigned int, num_possible_cpus(), CK_POOL_MAX);
	int ret;

	ck->ctx = kcalloc(n, sizeof(*ck->ctx), GFP_KERNEL);
	if (!ck->ctx)
		return -ENOMEM;

	for (i = 0; i < n; i++) {
		ret = ck_ctx_init(&ck->ctx[i]);
		if (ret) {
			ck->nctx = i + 1;	/* free the partial one too */
			ck_crypto_exit(ck);
			return ret;
		}
	}
	ck->nctx = n;
	return 0;
}

/**
 * ck_crypto_exit() - free the crypto context pool
 * @ck: the chip; no operation may be running
 */
void ck_crypto_exit(struct chipkey *ck)
{
	unsigned int i;

	for (i = 0; i < ck->nctx; i++)
		ck_ctx_free(&ck->ctx[i]);
	kfree(ck->ctx);
	ck->ctx = NULL;
	ck->nctx = 0;
}

/**
 * ck_ctx_get() - take a crypto context: a free one if there is one, else
 *                wait for ours
 * @ck: the chip
 *
 * Return: the context (give it back with ck_ctx_put()), or NULL if the
 * caller was killed while waiting.
 */
struct ck_crypto_ctx *ck_ctx_get(struct chipkey *ck)
{
	unsigned int i, start = raw_smp_processor_id() % ck->nctx;
	struct ck_crypto_ctx *c;

	for (i = 0; i < ck->nctx; i++) {
		c = &ck->ctx[(start + i) % ck->nctx];
		if (mutex_trylock(&c->lock))
			return c;
	}
	c = &ck->ctx[start];
	if (mutex_lock_killable(&c->lock))
		return NULL;
	return c;
}

/**
 * ck_ctx_put() - forget the per-operation keys of the context's tfms and
 *                release it (the kpp tfm keeps the attestation key)
 * @c: from ck_ctx_get()
 */
void ck_ctx_put(struct ck_crypto_ctx *c)
{
	crypto_shash_setkey(c->hmac, ck_zero_key, sizeof(ck_zero_key));
	crypto_aead_setkey(c->aead, ck_zero_key, sizeof(ck_zero_key));
	memzero_explicit(c->iv, CK_PKG_NONCE_LEN);
	mutex_unlock(&c->lock);
}

/* The package key (HKDF-SHA256 of the chip key), keyed into the AEAD. */
static int ck_ctx_setkey(struct ck_crypto_ctx *c, const struct ck_fuses *f,
			 const u8 *salt)
{
	u8 info[CK_PKG_KDF_INFO_LEN];
	u8 okm[SHA256_DIGEST_SIZE];
	int ret;

	ck_pkg_kdf_info(f->chip_id, info);
	ret = ck_hkdf(c, salt, CK_PKG_SALT_LEN, f->chip_key,
		      sizeof(f->chip_key), info, sizeof(info), okm);
	if (!ret)
		ret = crypto_aead_setkey(c->aead, okm, sizeof(okm));
	memzero_explicit(okm, sizeof(okm));
	return ret;
}

/*
 * Package buffers hold up to CHIPKEY_MAX_SEALED (65672) bytes: as one
 * kmalloc block that would be an order-5 allocation, which fails once memory
 * is fragmented.  Small packages (order <= 2, which the page allocator tries
 * hard to satisfy) come from kmalloc, larger ones from vmalloc; ck_sg_map()
 * describes either page by page.
 */
#define CK_PKG_KMALLOC_MAX	(4 * PAGE_SIZE)

/**
 * ck_pkg_alloc() - allocate a package buffer
 * @size: its size, at most CHIPKEY_MAX_SEALED (a backup package, a sealed
 *        package or a chip MAC input)
 *
 * Return: the buffer (free it with ck_pkg_free()), or NULL.
 */
void *ck_pkg_alloc(size_t size)
{
	if (size <= CK_PKG_KMALLOC_MAX)
		return kmalloc(size, GFP_KERNEL);
	return vmalloc(size);
}

/**
 * ck_pkg_free() - wipe and free a package buffer
 * @pkg:  from ck_pkg_alloc(), or NULL
 * @size: the size it was allocated with
 */
void ck_pkg_free(void *pkg, size_t size)
{
	kvfree_sensitive(pkg, size);
}

/* Describe @len bytes at @buf (kmalloc or vmalloc memory) in @sgl. */
static int ck_sg_map(struct scatterlist *sgl, u8 *buf, size_t len)
{
	unsigned int i, n = DIV_ROUND_UP(offset_in_page(buf) + len, PAGE_SIZE);
	bool vmalloced = is_vmalloc_addr(buf);
	struct page *page;
	size_t off, chunk;

	if (WARN_ON_ONCE(!len || n > CK_SG_MAX))
		return -EINVAL;
	sg_init_table(sgl, n);
	for (i = 0; i < n; i++) {
		off = offset_in_page(buf);
		chunk = min_t(size_t, len, PAGE_SIZE - off);
		page = vmalloced ? vmalloc_to_page(buf) : virt_to_page(buf);
		sg_set_page(&sgl[i], page, chunk, off);
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

/**
 * ck_ctx_gcm() - AES-256-GCM in place with the key already set in @c
 * @c:       a context held by the caller, its AEAD keyed
 * @buf:     AAD || text (|| tag when decrypting); the tag is appended when
 *           encrypting
 * @ad_len:  AAD length
 * @text_len: plaintext length
 * @nonce:   the 12-byte nonce
 * @encrypt: direction
 *
 * Return: 0, -EBADMSG if the tag does not verify, or another negative errno.
 */
int ck_ctx_gcm(struct ck_crypto_ctx *c, u8 *buf, unsigned int ad_len,
	       unsigned int text_len, const u8 *nonce, bool encrypt)
{
	DECLARE_CRYPTO_WAIT(wait);
	int ret;

	ret = ck_sg_map(c->sg, buf, ad_len + text_len + CHIPKEY_PKG_TAG_LEN);
	if (ret)
		return ret;

	memcpy(c->iv, nonce, CK_PKG_NONCE_LEN);
	aead_request_set_callback(c->req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	aead_request_set_ad(c->req, ad_len);
	if (encrypt) {
		aead_request_set_crypt(c->req, c->sg, c->sg, text_len, c->iv);
		return crypto_wait_req(crypto_aead_encrypt(c->req), &wait);
	}
	aead_request_set_crypt(c->req, c->sg, c->sg,
			       text_len + CHIPKEY_PKG_TAG_LEN, c->iv);
	return crypto_wait_req(crypto_aead_decrypt(c->req), &wait);
}

/**
 * ck_ctx_wrap() - make a backup package in place with a held context
 * @c:           a context held by the caller
 * @f:           the chip's fuses
 * @pkg:         ck_pkg_size(@payload_len) bytes; the data package is at
 *               offset CHIPKEY_PKG_HEADER_LEN, the rest is written
 * @payload_len: data package length
 * @generation:  generation counter to record
 *
 * Return: 0 or a negative errno.
 */
int ck_ctx_wrap(struct ck_crypto_ctx *c, const struct ck_fuses *f, u8 *pkg,
		u32 payload_len, u64 generation)
{
	struct ck_pkg_header h = {
		.version = CK_PKG_VERSION,
		.alg = CK_PKG_ALG_HKDF_SHA256_AES256GCM,
		.flags = 0,
		.generation = generation,
		.payload_len = payload_len,
	};
	int ret;

	memcpy(h.chip_id, f->chip_id, CHIPKEY_CHIP_ID_LEN);
	get_random_bytes(h.salt, sizeof(h.salt));
	get_random_bytes(h.nonce, sizeof(h.nonce));
	ck_pkg_header_encode(&h, pkg);

	ret = ck_ctx_setkey(c, f, h.salt);
	if (!ret)
		ret = ck_ctx_gcm(c, pkg, CHIPKEY_PKG_HEADER_LEN, payload_len,
				 h.nonce, true);
	memzero_explicit(&h, sizeof(h));
	return ret;
}

/**
 * ck_wrap() - make a backup package in place
 * @ck:          the chip
 * @pkg:         as for ck_ctx_wrap()
 * @payload_len: data package length
 * @generation:  generation counter to record
 *
 * Return: 0 or a negative errno.
 */
int ck_wrap(struct chipkey *ck, u8 *pkg, u32 payload_len, u64 generation)
{
	struct ck_crypto_ctx *c = ck_ctx_get(ck);
	int ret;

	if (!c)
		return -EINTR;
	ret = ck_ctx_wrap(c, &ck->fuses, pkg, payload_len, generation);
	ck_ctx_put(c);
	return ret;
}

/**
 * ck_unwrap() - open a backup package in place
 * @ck:  the chip
 * @pkg: the backup package, already checked by ck_pkg_header_parse() into
 *       @h and made for this chip; on success the data package is at offset
 *       CHIPKEY_PKG_HEADER_LEN
 * @h:   the parsed header
 *
 * Return: 0, -EBADMSG if authentication failed, or another negative errno.
 */
int ck_unwrap(struct chipkey *ck, u8 *pkg, const struct ck_pkg_header *h)
{
	struct ck_crypto_ctx *c = ck_ctx_get(ck);
	int ret;

	if (!c)
		return -EINTR;
	ret = ck_ctx_setkey(c, &ck->fuses, h->salt);
	if (!ret)
		ret = ck_ctx_gcm(c, pkg, CHIPKEY_PKG_HEADER_LEN, h->payload_len,
				 h->nonce, false);
	ck_ctx_put(c);
	return ret;
}

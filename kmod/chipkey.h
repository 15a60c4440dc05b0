/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chipkey: internal interfaces of chipkey.ko.
 */
#ifndef _CHIPKEY_INTERNAL_H
#define _CHIPKEY_INTERNAL_H

#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <linux/chipkey.h>

#include "chipkey/attest.h"
#include "chipkey/backup_package.h"

/* At most this many crypto contexts are allocated at probe. */
#define CK_POOL_MAX	8

/*
 * Scatterlist entries for the largest package (a sealed package is the
 * largest input) at any page offset.
 */
#define CK_SG_MAX	(DIV_ROUND_UP(CHIPKEY_MAX_SEALED, PAGE_SIZE) + 1)
static_assert(CHIPKEY_MAX_SEALED >= CHIPKEY_MAX_PACKAGE);

/* ECDH buffer of a context: the peer's X || Y, then the shared X. */
#define CK_KPP_BUF_LEN	(2 * CK_ATT_COORD_LEN + CK_ATT_SECRET_LEN)

struct crypto_shash;
struct crypto_aead;
struct crypto_kpp;
struct aead_request;
struct kpp_request;
struct kvec;
struct ck_pkg_header;

/**
 * struct ck_fuses - what probe read from the chip's fuses and ROM
 * @chip_id:     the public chip ID
 * @chip_key:    the secret chip key (never leaves the kernel)
 * @rom_key:     manufacturer public key, DER SubjectPublicKeyInfo
 * @rom_key_len: length of the DER encoding in @rom_key
 * @key_source:  CHIPKEY_SRC_OTP or CHIPKEY_SRC_VIRTUAL_FUSE
 */
struct ck_fuses {
	u8 chip_id[CHIPKEY_CHIP_ID_LEN];
	u8 chip_key[CHIPKEY_CHIP_KEY_LEN];
	u8 rom_key[CHIPKEY_MAX_ROM_KEY];
	u32 rom_key_len;
	u32 key_source;
};

/**
 * struct ck_crypto_ctx - one crypto context of the pool
 * @lock: serialises users of this context (the tfm keys are per operation)
 * @hmac: hmac(sha256), keyed per operation for HKDF
 * @aead: gcm(aes), keyed per operation with the derived key
 * @req:  the AEAD request, reused
 * @iv:   kmalloc'd nonce buffer for @req
 * @sg:   the package, one entry per page (see ck_sg_map())
 * @kpp:  ecdh-nist-p256, holding the attestation key from probe to unbind
 *        (its context is freed with kfree_sensitive())
 * @kreq: the kpp request, reused
 * @kbuf: kmalloc'd CK_KPP_BUF_LEN bytes for @kreq's input and output
 * @ksg:  @kbuf's input and output
 */
struct ck_crypto_ctx {
	struct mutex lock;	/* one user at a time: keys are per operation */
	struct crypto_shash *hmac;
	struct crypto_aead *aead;
	struct aead_request *req;
	u8 *iv;
	struct scatterlist sg[CK_SG_MAX];
	struct crypto_kpp *kpp;
	struct kpp_request *kreq;
	u8 *kbuf;
	struct scatterlist ksg[2];
};

/**
 * struct chipkey - the chip
 * @dev:   the platform device
 * @misc:  /dev/chipkey
 * @ref:   held by the binding and by every open file
 * @lock:  held for reading around each wrap/unwrap crypto operation (never
 *         across a user copy), for writing by unbinding
 * @gone:  set (under @lock held for writing) when the device is unbound;
 *         read locklessly (READ_ONCE) for the early -ENODEV checks
 * @fuses: the chip's fuse values
 * @nctx:  number of entries in @ctx
 * @ctx:   the crypto context pool
 */
struct chipkey {
	struct device *dev;
	struct miscdevice misc;
	struct kref ref;
	struct rw_semaphore lock;
	bool gone;
	struct ck_fuses fuses;
	u8 att_pub[CHIPKEY_EC_POINT_LEN];
	unsigned int nctx;
	struct ck_crypto_ctx *ctx;
};

/* main.c */
void ck_get(struct chipkey *ck);
void ck_put(struct chipkey *ck);
const char *ck_key_source_name(u32 key_source);

/* fuses.c */
int ck_fuses_read(struct device *dev, struct ck_fuses *fuses);

/* kdf.c */
int ck_hmac(struct ck_crypto_ctx *c, const u8 *key, unsigned int key_len,
	    const struct kvec *v, unsigned int n, u8 *out);
int ck_hkdf(struct ck_crypto_ctx *c, const u8 *salt, unsigned int salt_len,
	    const u8 *ikm, unsigned int ikm_len, const u8 *info,
	    unsigned int info_len, u8 *okm);

/* wrap.c */
int ck_crypto_init(struct chipkey *ck);
void ck_crypto_exit(struct chipkey *ck);
struct ck_crypto_ctx *ck_ctx_get(struct chipkey *ck);
void ck_ctx_put(struct ck_crypto_ctx *c);
int ck_ctx_gcm(struct ck_crypto_ctx *c, u8 *buf, unsigned int ad_len,
	       unsigned int text_len, const u8 *nonce, bool encrypt);
int ck_ctx_wrap(struct ck_crypto_ctx *c, const struct ck_fuses *f, u8 *pkg,
		u32 payload_len, u64 generation);
int ck_wrap(struct chipkey *ck, u8 *pkg, u32 payload_len, u64 generation);
int ck_unwrap(struct chipkey *ck, u8 *pkg, const struct ck_pkg_header *h);
void *ck_pkg_alloc(size_t size);
void ck_pkg_free(void *pkg, size_t size);

/* attest.c */
int ck_attest_ctx_init(struct ck_crypto_ctx *c);
void ck_attest_ctx_free(struct ck_crypto_ctx *c);
int ck_attest_init(struct chipkey *ck);
int ck_attest(struct chipkey *ck, const u8 *verifier_pub, const u8 *context,
	      u32 context_len, u8 *mac);
int ck_sealed_wrap(struct chipkey *ck, u8 *sealed,
		   const struct ck_seal_header *h, u64 generation,
		   const u8 *context, u32 context_len, u8 *pkg, u8 *mac);
int ck_chip_mac(struct chipkey *ck, u32 purpose, const u8 *in, u32 in_len,
		u8 *mac);

/* device.c */
int ck_device_register(struct chipkey *ck);
void ck_device_unregister(struct chipkey *ck);
int ck_crypto_lock(struct chipkey *ck);

/* attest-ioctl.c: the attestation ioctls, dispatched by device.c */
long ck_ioctl_attest_key(struct chipkey *ck, void __user *uarg);
long ck_ioctl_attest(struct chipkey *ck, void __user *uarg);
long ck_ioctl_sealed_wrap(struct chipkey *ck, void __user *uarg);
long ck_ioctl_chip_mac(struct chipkey *ck, void __user *uarg);

/* sealed-key.c: keys sealed to the chip for the keyring, from device.c */
long ck_ioctl_key_new(struct chipkey *ck, void __user *uarg);
long ck_ioctl_key_load(struct chipkey *ck, void __user *uarg);

#endif /* _CHIPKEY_INTERNAL_H */

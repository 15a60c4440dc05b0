/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * chipkey sealed key: a random key sealed to one chip, for the kernel
 * keyring (CHIPKEY_IOC_KEY_NEW / CHIPKEY_IOC_KEY_LOAD).  Header codec and
 * key derivation parameters, compiled into the kernel module and userspace.
 * The format is documented byte for byte in docs/sealed-keys.md.
 *
 *   off len  field
 *     0   8  magic "CKSEALKY"
 *     8   2  format version, big endian (1)
 *    10   2  algorithm id, big endian (1 = HKDF-SHA256 + AES-256-GCM)
 *    12   4  flags, big endian (0)
 *    16  16  chip ID
 *    32  16  salt (random per blob)
 *    48  12  nonce (random per blob)
 *    60   4  key length n, big endian (16..64)
 *    64   n  ciphertext of the key
 *  64+n  16  GCM tag
 *
 * AEAD key = HKDF-SHA256(IKM = chip key, salt = salt,
 *                        info = "chipkey v1 sealed logon key" || chip ID)
 * AEAD     = AES-256-GCM(key, nonce, AAD = header bytes 0..63)
 */
#ifndef _CHIPKEY_SEALED_KEY_H
#define _CHIPKEY_SEALED_KEY_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/errno.h>
#else
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#endif
#include <linux/chipkey.h>
#include "chipkey/byteorder.h"

#define CK_SKEY_MAGIC		"CKSEALKY"
#define CK_SKEY_MAGIC_LEN	8
#define CK_SKEY_VERSION		1
#define CK_SKEY_ALG_HKDF_SHA256_AES256GCM	1
#define CK_SKEY_SALT_LEN	16
#define CK_SKEY_NONCE_LEN	12

/* HKDF info = label (without its NUL) followed by the 16-byte chip ID. */
#define CK_SKEY_KDF_LABEL	"chipkey v1 sealed logon key"
#define CK_SKEY_KDF_LABEL_LEN	(sizeof(CK_SKEY_KDF_LABEL) - 1)
#define CK_SKEY_KDF_INFO_LEN	(CK_SKEY_KDF_LABEL_LEN + CHIPKEY_CHIP_ID_LEN)

/* Field offsets inside the 64-byte header. */
#define CK_SKEY_OFF_MAGIC	0
#define CK_SKEY_OFF_VERSION	8
#define CK_SKEY_OFF_ALG		10
#define CK_SKEY_OFF_FLAGS	12
#define CK_SKEY_OFF_CHIP_ID	16
#define CK_SKEY_OFF_SALT	32
#define CK_SKEY_OFF_NONCE	48
#define CK_SKEY_OFF_KEY_LEN	60

/**
 * struct ck_skey_header - decoded sealed key header
 */
struct ck_skey_header {
	__u16 version;
	__u16 alg;
	__u32 flags;
	__u8 chip_id[CHIPKEY_CHIP_ID_LEN];
	__u8 salt[CK_SKEY_SALT_LEN];
	__u8 nonce[CK_SKEY_NONCE_LEN];
	__u32 key_len;
};

/* Size of the sealed blob of a @key_len-byte key. */
static inline size_t ck_skey_size(size_t key_len)
{
	return key_len + CHIPKEY_SKEY_OVERHEAD;
}

/* Write the 64-byte header @h into @out. */
static inline void ck_skey_header_encode(const struct ck_skey_header *h,
					 __u8 out[CHIPKEY_SKEY_HEADER_LEN])
{
	memcpy(out + CK_SKEY_OFF_MAGIC, CK_SKEY_MAGIC, CK_SKEY_MAGIC_LEN);
	ck_put_be16(out + CK_SKEY_OFF_VERSION, h->version);
	ck_put_be16(out + CK_SKEY_OFF_ALG, h->alg);
	ck_put_be32(out + CK_SKEY_OFF_FLAGS, h->flags);
	memcpy(out + CK_SKEY_OFF_CHIP_ID, h->chip_id, CHIPKEY_CHIP_ID_LEN);
	memcpy(out + CK_SKEY_OFF_SALT, h->salt, CK_SKEY_SALT_LEN);
	memcpy(out + CK_SKEY_OFF_NONCE, h->nonce, CK_SKEY_NONCE_LEN);
	ck_put_be32(out + CK_SKEY_OFF_KEY_LEN, h->key_len);
}

/**
 * ck_skey_header_parse() - decode and validate a whole sealed key's header
 * @blob: the sealed key
 * @len:  its total length (header + ciphertext + tag)
 * @h:    decoded header on success
 *
 * Checks everything that can be checked without the key: magic, version,
 * algorithm, flags, key length in range and matching @len exactly.
 *
 * Return: 0 or -EINVAL.
 */
static inline int ck_skey_header_parse(const __u8 *blob, size_t len,
				       struct ck_skey_header *h)
{
	if (len < ck_skey_size(CHIPKEY_SKEY_MIN_LEN) ||
	    len > ck_skey_size(CHIPKEY_SKEY_MAX_LEN) ||
	    memcmp(blob + CK_SKEY_OFF_MAGIC, CK_SKEY_MAGIC, CK_SKEY_MAGIC_LEN))
		return -EINVAL;
	h->version = ck_get_be16(blob + CK_SKEY_OFF_VERSION);
	h->alg = ck_get_be16(blob + CK_SKEY_OFF_ALG);
	h->flags = ck_get_be32(blob + CK_SKEY_OFF_FLAGS);
	memcpy(h->chip_id, blob + CK_SKEY_OFF_CHIP_ID, CHIPKEY_CHIP_ID_LEN);
	memcpy(h->salt, blob + CK_SKEY_OFF_SALT, CK_SKEY_SALT_LEN);
	memcpy(h->nonce, blob + CK_SKEY_OFF_NONCE, CK_SKEY_NONCE_LEN);
	h->key_len = ck_get_be32(blob + CK_SKEY_OFF_KEY_LEN);
	if (h->version != CK_SKEY_VERSION ||
	    h->alg != CK_SKEY_ALG_HKDF_SHA256_AES256GCM || h->flags != 0)
		return -EINVAL;
	if (h->key_len < CHIPKEY_SKEY_MIN_LEN ||
	    h->key_len > CHIPKEY_SKEY_MAX_LEN ||
	    ck_skey_size(h->key_len) != len)
		return -EINVAL;
	return 0;
}

/* Build the HKDF info string for @chip_id into @info. */
static inline void ck_skey_kdf_info(const __u8 chip_id[CHIPKEY_CHIP_ID_LEN],
				    __u8 info[CK_SKEY_KDF_INFO_LEN])
{
	memcpy(info, CK_SKEY_KDF_LABEL, CK_SKEY_KDF_LABEL_LEN);
	memcpy(info + CK_SKEY_KDF_LABEL_LEN, chip_id, CHIPKEY_CHIP_ID_LEN);
}

#endif /* _CHIPKEY_SEALED_KEY_H */

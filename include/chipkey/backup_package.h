/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * chipkey backup package: header codec and key derivation parameters.
 *
 * This one file is compiled into the kernel module and into every userspace
 * program, so both sides read and write exactly the same bytes.  The format
 * is documented byte for byte in docs/backup-package.md.
 *
 *   off len  field
 *     0   8  magic "CKBACKUP" (the "backup code")
 *     8   2  format version, big endian (1)
 *    10   2  algorithm id, big endian (1 = HKDF-SHA256 + AES-256-GCM)
 *    12   4  flags, big endian (0)
 *    16  16  chip ID
 *    32   8  generation, big endian
 *    40  16  salt (random per package)
 *    56  12  nonce (random per package)
 *    68   4  payload length, big endian
 *    72   n  ciphertext
 *  72+n  16  GCM tag
 *
 * AEAD key = HKDF-SHA256(IKM = chip key, salt = salt,
 *                        info = "chipkey v1 backup wrap" || chip ID), 32 bytes
 * AEAD     = AES-256-GCM(key, nonce, AAD = header bytes 0..71)
 */
#ifndef _CHIPKEY_BACKUP_PACKAGE_H
#define _CHIPKEY_BACKUP_PACKAGE_H

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

#define CK_PKG_MAGIC		"CKBACKUP"
#define CK_PKG_MAGIC_LEN	8
#define CK_PKG_VERSION		1
#define CK_PKG_ALG_HKDF_SHA256_AES256GCM	1
#define CK_PKG_SALT_LEN		16
#define CK_PKG_NONCE_LEN	12
#define CK_PKG_KEY_LEN		32

/* HKDF info = label (without its NUL) followed by the 16-byte chip ID. */
#define CK_PKG_KDF_LABEL	"chipkey v1 backup wrap"
#define CK_PKG_KDF_LABEL_LEN	(sizeof(CK_PKG_KDF_LABEL) - 1)
#define CK_PKG_KDF_INFO_LEN	(CK_PKG_KDF_LABEL_LEN + CHIPKEY_CHIP_ID_LEN)

/* Field offsets inside the 72-byte header. */
#define CK_PKG_OFF_MAGIC	0
#define CK_PKG_OFF_VERSION	8
#define CK_PKG_OFF_ALG		10
#define CK_PKG_OFF_FLAGS	12
#define CK_PKG_OFF_CHIP_ID	16
#define CK_PKG_OFF_GENERATION	32
#define CK_PKG_OFF_SALT		40
#define CK_PKG_OFF_NONCE	56
#define CK_PKG_OFF_PAYLOAD_LEN	68

/**
 * struct ck_pkg_header - decoded backup package header
 */
struct ck_pkg_header {
	__u16 version;
	__u16 alg;
	__u32 flags;
	__u8 chip_id[CHIPKEY_CHIP_ID_LEN];
	__u64 generation;
	__u8 salt[CK_PKG_SALT_LEN];
	__u8 nonce[CK_PKG_NONCE_LEN];
	__u32 payload_len;
};

/* Size of the backup package for a data package of @payload_len bytes. */
static inline size_t ck_pkg_size(size_t payload_len)
{
	return payload_len + CHIPKEY_PKG_OVERHEAD;
}

/* Does @buf start with the backup code?  (cheap test, no validation) */
static inline int ck_pkg_has_magic(const void *buf, size_t len)
{
	return len >= CK_PKG_MAGIC_LEN &&
	       !memcmp(buf, CK_PKG_MAGIC, CK_PKG_MAGIC_LEN);
}

/* Write the 72-byte header @h into @out. */
static inline void ck_pkg_header_encode(const struct ck_pkg_header *h,
					__u8 out[CHIPKEY_PKG_HEADER_LEN])
{
	memcpy(out + CK_PKG_OFF_MAGIC, CK_PKG_MAGIC, CK_PKG_MAGIC_LEN);
	ck_put_be16(out + CK_PKG_OFF_VERSION, h->version);
	ck_put_be16(out + CK_PKG_OFF_ALG, h->alg);
	ck_put_be32(out + CK_PKG_OFF_FLAGS, h->flags);
	memcpy(out + CK_PKG_OFF_CHIP_ID, h->chip_id, CHIPKEY_CHIP_ID_LEN);
	ck_put_be64(out + CK_PKG_OFF_GENERATION, h->generation);
	memcpy(out + CK_PKG_OFF_SALT, h->salt, CK_PKG_SALT_LEN);
	memcpy(out + CK_PKG_OFF_NONCE, h->nonce, CK_PKG_NONCE_LEN);
	ck_put_be32(out + CK_PKG_OFF_PAYLOAD_LEN, h->payload_len);
}

/**
 * ck_pkg_header_parse() - decode and validate a whole backup package's header
 * @pkg: the backup package
 * @len: its total length (header + ciphertext + tag)
 * @h:   decoded header on success
 *
 * Checks everything that can be checked without the key: magic, version,
 * algorithm, flags, and that the payload length matches @len exactly.
 *
 * Return: 0, -EINVAL if malformed, -EMSGSIZE if larger than the ABI allows.
 */
static inline int ck_pkg_header_parse(const __u8 *pkg, size_t len,
				      struct ck_pkg_header *h)
{
	if (len > CHIPKEY_MAX_PACKAGE)
		return -EMSGSIZE;
	if (len < CHIPKEY_PKG_OVERHEAD || !ck_pkg_has_magic(pkg, len))
		return -EINVAL;
	h->version = ck_get_be16(pkg + CK_PKG_OFF_VERSION);
	h->alg = ck_get_be16(pkg + CK_PKG_OFF_ALG);
	h->flags = ck_get_be32(pkg + CK_PKG_OFF_FLAGS);
	memcpy(h->chip_id, pkg + CK_PKG_OFF_CHIP_ID, CHIPKEY_CHIP_ID_LEN);
	h->generation = ck_get_be64(pkg + CK_PKG_OFF_GENERATION);
	memcpy(h->salt, pkg + CK_PKG_OFF_SALT, CK_PKG_SALT_LEN);
	memcpy(h->nonce, pkg + CK_PKG_OFF_NONCE, CK_PKG_NONCE_LEN);
	h->payload_len = ck_get_be32(pkg + CK_PKG_OFF_PAYLOAD_LEN);
	if (h->version != CK_PKG_VERSION ||
	    h->alg != CK_PKG_ALG_HKDF_SHA256_AES256GCM || h->flags != 0)
		return -EINVAL;
	if (h->payload_len > CHIPKEY_MAX_PAYLOAD ||
	    (size_t)h->payload_len + CHIPKEY_PKG_OVERHEAD != len)
		return -EINVAL;
	return 0;
}

/* Build the HKDF info string for @chip_id into @info. */
static inline void ck_pkg_kdf_info(const __u8 chip_id[CHIPKEY_CHIP_ID_LEN],
				   __u8 info[CK_PKG_KDF_INFO_LEN])
{
	memcpy(info, CK_PKG_KDF_LABEL, CK_PKG_KDF_LABEL_LEN);
	memcpy(info + CK_PKG_KDF_LABEL_LEN, chip_id, CHIPKEY_CHIP_ID_LEN);
}

#endif /* _CHIPKEY_BACKUP_PACKAGE_H */

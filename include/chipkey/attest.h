/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * chipkey attestation: the sealed package codec, the derivation labels and
 * the range rule of the chip attestation key.
 *
 * This one file is compiled into the kernel module and into userspace, so
 * both sides read and write exactly the same bytes.  The formats and every
 * derivation are documented byte for byte in docs/attestation.md.
 *
 * Sealed package (a data package sealed to one chip's attestation key):
 *
 *   off len  field
 *     0   8  magic "CKSEALED"
 *     8   2  format version, big endian (1)
 *    10   2  algorithm id, big endian (1 = ECDH-P256 + HKDF-SHA256 +
 *            AES-256-GCM)
 *    12   4  flags, big endian (0)
 *    16  16  chip ID of the recipient chip
 *    32  65  sender's ephemeral P-256 public key E, SEC1 uncompressed
 *    97   3  reserved (0)
 *   100  12  nonce
 *   112   4  payload length n, big endian
 *   116   4  reserved (0)
 *   120   n  ciphertext
 * 120+n  16  GCM tag
 *
 * All derivations are HKDF-SHA256 (RFC 5869) with a salt of 32 zero bytes
 * and a 32-byte output; "Q" is the chip's attestation public key, "Z" the
 * x coordinate of an ECDH shared point (32 bytes):
 *
 *   attestation scalar, try i = 1, 2, ...:
 *     k_i = HKDF(chip key, "chipkey v1 attestation key" || chip ID || i)
 *     the first k_i for which ck_att_scalar_ok() holds
 *   ATTEST:      K = HKDF(Z(k, V), "chipkey v1 attest" || chip ID || Q || V)
 *                mac = HMAC-SHA256(K, context)
 *   seal:        K = HKDF(Z(k, E), "chipkey v1 seal" || chip ID || E || Q)
 *                AES-256-GCM(K, nonce, AAD = header bytes 0..119)
 *   sealed wrap: K = HKDF(Z(k, E), "chipkey v1 sealed wrap" || chip ID || E || Q)
 *                mac = HMAC-SHA256(K, SHA-256(backup package) ||
 *                                     SHA-256(data package) || context)
 *   chip MAC:    K = HKDF(chip key, "chipkey v1 chip mac" || purpose (u32 BE)
 *                         || chip ID)
 *                mac = HMAC-SHA256(K, input)
 */
#ifndef _CHIPKEY_ATTEST_H
#define _CHIPKEY_ATTEST_H

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

#define CK_ATT_SCALAR_LEN	32
#define CK_ATT_COORD_LEN	32
#define CK_ATT_SECRET_LEN	32	/* ECDH x coordinate */
#define CK_ATT_KEY_LEN		32	/* every derived key */
#define CK_ATT_SALT_LEN		32	/* HKDF salt: all zero */
/* Tries of the attestation scalar before the chip is declared unusable. */
#define CK_ATT_SCALAR_TRIES	16

#define CK_ATT_LABEL_KEY	"chipkey v1 attestation key"
#define CK_ATT_LABEL_ATTEST	"chipkey v1 attest"
#define CK_ATT_LABEL_SEAL	"chipkey v1 seal"
#define CK_ATT_LABEL_SEALWRAP	"chipkey v1 sealed wrap"
#define CK_ATT_LABEL_CHIP_MAC	"chipkey v1 chip mac"

/* Longest HKDF info: label || chip ID || two points. */
#define CK_ATT_INFO_MAX		(32 + CHIPKEY_CHIP_ID_LEN + 2 * CHIPKEY_EC_POINT_LEN)

#define CK_SEAL_MAGIC		"CKSEALED"
#define CK_SEAL_MAGIC_LEN	8
#define CK_SEAL_VERSION		1
#define CK_SEAL_ALG_ECDH_P256_HKDF_SHA256_AES256GCM	1
#define CK_SEAL_NONCE_LEN	12

#define CK_SEAL_OFF_MAGIC	0
#define CK_SEAL_OFF_VERSION	8
#define CK_SEAL_OFF_ALG		10
#define CK_SEAL_OFF_FLAGS	12
#define CK_SEAL_OFF_CHIP_ID	16
#define CK_SEAL_OFF_EPH		32
#define CK_SEAL_OFF_RESERVED1	97
#define CK_SEAL_RESERVED1_LEN	3
#define CK_SEAL_OFF_NONCE	100
#define CK_SEAL_OFF_PAYLOAD_LEN	112
#define CK_SEAL_OFF_RESERVED2	116
#define CK_SEAL_RESERVED2_LEN	4

/**
 * struct ck_seal_header - decoded sealed package header
 */
struct ck_seal_header {
	__u16 version;
	__u16 alg;
	__u32 flags;
	__u8 chip_id[CHIPKEY_CHIP_ID_LEN];
	__u8 eph[CHIPKEY_EC_POINT_LEN];
	__u8 nonce[CK_SEAL_NONCE_LEN];
	__u32 payload_len;
};

/* Size of the sealed package for a data package of @payload_len bytes. */
static inline size_t ck_seal_size(size_t payload_len)
{
	return payload_len + CHIPKEY_SEAL_OVERHEAD;
}

/* Write the 120-byte header @h into @out (reserved bytes zero). */
static inline void ck_seal_header_encode(const struct ck_seal_header *h,
					 __u8 out[CHIPKEY_SEAL_HEADER_LEN])
{
	memset(out, 0, CHIPKEY_SEAL_HEADER_LEN);
	memcpy(out + CK_SEAL_OFF_MAGIC, CK_SEAL_MAGIC, CK_SEAL_MAGIC_LEN);
	ck_put_be16(out + CK_SEAL_OFF_VERSION, h->version);
	ck_put_be16(out + CK_SEAL_OFF_ALG, h->alg);
	ck_put_be32(out + CK_SEAL_OFF_FLAGS, h->flags);
	memcpy(out + CK_SEAL_OFF_CHIP_ID, h->chip_id, CHIPKEY_CHIP_ID_LEN);
	memcpy(out + CK_SEAL_OFF_EPH, h->eph, CHIPKEY_EC_POINT_LEN);
	memcpy(out + CK_SEAL_OFF_NONCE, h->nonce, CK_SEAL_NONCE_LEN);
	ck_put_be32(out + CK_SEAL_OFF_PAYLOAD_LEN, h->payload_len);
}

/* Are all @len bytes at @p zero? */
static inline int ck_att_all_zero(const __u8 *p, size_t len)
{
	__u8 acc = 0;

	while (len--)
		acc |= *p++;
	return acc == 0;
}

/**
 * ck_seal_header_parse() - decode and validate a sealed package's header
 * @pkg: the sealed package (at least CHIPKEY_SEAL_HEADER_LEN bytes when
 *       @len allows it)
 * @len: its total length (header + ciphertext + tag)
 * @h:   decoded header on success
 *
 * Checks everything that can be checked without a key: size, magic,
 * version, algorithm, flags, reserved bytes, the point encoding's first
 * byte (0x04; whether the point is on the curve is the ECDH's check), and
 * that the payload length matches @len exactly.
 *
 * Return: 0, -EINVAL if malformed, -EMSGSIZE if larger than the ABI allows.
 */
static inline int ck_seal_header_parse(const __u8 *pkg, size_t len,
				       struct ck_seal_header *h)
{
	if (len > CHIPKEY_MAX_SEALED)
		return -EMSGSIZE;
	if (len < CHIPKEY_SEAL_OVERHEAD ||
	    memcmp(pkg + CK_SEAL_OFF_MAGIC, CK_SEAL_MAGIC, CK_SEAL_MAGIC_LEN))
		return -EINVAL;
	h->version = ck_get_be16(pkg + CK_SEAL_OFF_VERSION);
	h->alg = ck_get_be16(pkg + CK_SEAL_OFF_ALG);
	h->flags = ck_get_be32(pkg + CK_SEAL_OFF_FLAGS);
	memcpy(h->chip_id, pkg + CK_SEAL_OFF_CHIP_ID, CHIPKEY_CHIP_ID_LEN);
	memcpy(h->eph, pkg + CK_SEAL_OFF_EPH, CHIPKEY_EC_POINT_LEN);
	memcpy(h->nonce, pkg + CK_SEAL_OFF_NONCE, CK_SEAL_NONCE_LEN);
	h->payload_len = ck_get_be32(pkg + CK_SEAL_OFF_PAYLOAD_LEN);
	if (h->version != CK_SEAL_VERSION ||
	    h->alg != CK_SEAL_ALG_ECDH_P256_HKDF_SHA256_AES256GCM ||
	    h->flags != 0 || h->eph[0] != 0x04 ||
	    !ck_att_all_zero(pkg + CK_SEAL_OFF_RESERVED1, CK_SEAL_RESERVED1_LEN) ||
	    !ck_att_all_zero(pkg + CK_SEAL_OFF_RESERVED2, CK_SEAL_RESERVED2_LEN))
		return -EINVAL;
	if (h->payload_len > CHIPKEY_MAX_PAYLOAD ||
	    (size_t)h->payload_len + CHIPKEY_SEAL_OVERHEAD != len)
		return -EINVAL;
	return 0;
}

/* Is the integer of @k, read in the byte order given by @le, in [2, n-3]? */
static inline int ck_att_scalar_in_range(const __u8 k[CK_ATT_SCALAR_LEN], int le)
{
	/*
	 * The order n of the P-256 base point minus 3, big endian: the
	 * largest scalar the kernel's ecdh accepts (it takes [2, n - 3]).
	 */
	static const __u8 n_minus_3[CK_ATT_SCALAR_LEN] = {
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
		0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x4e,
	};
	int i, j, cmp = 0, small = 1;

	for (i = 0; i < CK_ATT_SCALAR_LEN; i++) {
		j = le ? CK_ATT_SCALAR_LEN - 1 - i : i;
		if (!cmp && k[j] != n_minus_3[i])
			cmp = k[j] < n_minus_3[i] ? -1 : 1;
		/* >= 2: some byte other than the last is set, or the last >= 2 */
		if (i < CK_ATT_SCALAR_LEN - 1 ? k[j] != 0 : k[j] >= 2)
			small = 0;
	}
	return cmp <= 0 && !small;
}

/**
 * ck_att_scalar_ok() - may this HKDF output be the attestation scalar?
 * @k: 32 bytes, the big-endian scalar candidate
 *
 * Both readings of the 32 bytes must lie in [2, n - 3]: big endian (the
 * scalar itself) and little endian (what Linux 6.1's ecdh range check
 * reads on a little-endian machine).  Each is refused with probability
 * about 2^-32, so the rule is the same for every kernel and the emulator.
 */
static inline int ck_att_scalar_ok(const __u8 k[CK_ATT_SCALAR_LEN])
{
	return ck_att_scalar_in_range(k, 0) && ck_att_scalar_in_range(k, 1);
}

/* info = label || chip ID || try (1 byte); returns its length */
static inline size_t ck_att_info_key(const __u8 chip_id[CHIPKEY_CHIP_ID_LEN],
				     __u8 attempt, __u8 info[CK_ATT_INFO_MAX])
{
	size_t n = sizeof(CK_ATT_LABEL_KEY) - 1;

	memcpy(info, CK_ATT_LABEL_KEY, n);
	memcpy(info + n, chip_id, CHIPKEY_CHIP_ID_LEN);
	n += CHIPKEY_CHIP_ID_LEN;
	info[n++] = attempt;
	return n;
}

/* info = label || chip ID || p1 || p2 (points, 65 bytes each) */
static inline size_t ck_att_info_points(const char *label,
					const __u8 chip_id[CHIPKEY_CHIP_ID_LEN],
					const __u8 p1[CHIPKEY_EC_POINT_LEN],
					const __u8 p2[CHIPKEY_EC_POINT_LEN],
					__u8 info[CK_ATT_INFO_MAX])
{
	size_t n = strlen(label);

	memcpy(info, label, n);
	memcpy(info + n, chip_id, CHIPKEY_CHIP_ID_LEN);
	n += CHIPKEY_CHIP_ID_LEN;
	memcpy(info + n, p1, CHIPKEY_EC_POINT_LEN);
	n += CHIPKEY_EC_POINT_LEN;
	memcpy(info + n, p2, CHIPKEY_EC_POINT_LEN);
	return n + CHIPKEY_EC_POINT_LEN;
}

/* Is @purpose one of the CHIPKEY_MAC_* values? */
static inline int ck_att_mac_purpose_known(__u32 purpose)
{
	return purpose == CHIPKEY_MAC_FLASH_MANIFEST;
}

/* info = label || purpose (u32 BE) || chip ID */
static inline size_t ck_att_info_chip_mac(const __u8 chip_id[CHIPKEY_CHIP_ID_LEN],
					  __u32 purpose,
					  __u8 info[CK_ATT_INFO_MAX])
{
	size_t n = sizeof(CK_ATT_LABEL_CHIP_MAC) - 1;

	memcpy(info, CK_ATT_LABEL_CHIP_MAC, n);
	ck_put_be32(info + n, purpose);
	n += 4;
	memcpy(info + n, chip_id, CHIPKEY_CHIP_ID_LEN);
	return n + CHIPKEY_CHIP_ID_LEN;
}

#ifndef __KERNEL__
/*
 * The P-256 base point G, SEC1 uncompressed: a valid point whose private
 * key (1) everyone knows, for tests and benchmarks that need a verifier
 * point without generating one.
 */
static inline void ck_att_p256_generator(__u8 out[CHIPKEY_EC_POINT_LEN])
{
	static const __u8 g[CHIPKEY_EC_POINT_LEN] = {
		0x04,
		0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47,
		0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
		0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0,
		0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
		0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b,
		0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
		0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce,
		0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
	};

	memcpy(out, g, sizeof(g));
}
#endif

#endif /* _CHIPKEY_ATTEST_H */

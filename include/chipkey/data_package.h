/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * chipkey data package: what the secure processing point (SPP) hands a device
 * and what the device wraps (with its chip key) into its backup package.
 * The format is written down byte for byte in docs/data-package.md.
 *
 *   off len  field
 *     0   8  magic "CKDATA01"
 *     8   2  format version, big endian (1)
 *    10   2  flags, big endian (0; anything else is malformed)
 *    12   4  total length of the package including this header, big endian
 *    16      entries, strictly increasing type (canonical order, no duplicates):
 *              u16 type, u16 flags (bit 0 = critical), u32 length, value
 *
 * The two fixed-size parts, the header and an entry header, are read and
 * written only through struct ck_dp_header / struct ck_dp_entry_header and
 * their encode/decode pairs below.  Userspace only (links against libcrypto
 * for OPENSSL_cleanse); the implementation is userspace/common/data-package.c
 * (container and codec) with userspace/common/data-package-types.c (what
 * each entry type may hold).
 *
 * Every function returning int returns 0 or a negative errno:
 *   -EINVAL   malformed input (decoder) or an invalid value (setters)
 *   -ENOENT   the entry is absent (getters)
 *   -EMSGSIZE the package would be larger than CK_DP_MAX_LEN (encoder)
 *   -ENOMEM   out of memory
 */
#ifndef _CHIPKEY_DATA_PACKAGE_H
#define _CHIPKEY_DATA_PACKAGE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/chipkey.h>
#include <chipkey/byteorder.h>

#define CK_DP_MAGIC		"CKDATA01"
#define CK_DP_MAGIC_LEN		8
#define CK_DP_VERSION		1
#define CK_DP_HEADER_LEN	16
#define CK_DP_ENTRY_HEADER_LEN	8
/* A data package must fit into one wrap request. */
#define CK_DP_MAX_LEN		CHIPKEY_MAX_PAYLOAD

/* Byte offsets in the header and in an entry header. */
enum ck_dp_offsets {
	CK_DP_OFF_MAGIC		= 0,
	CK_DP_OFF_VERSION	= 8,
	CK_DP_OFF_FLAGS		= 10,
	CK_DP_OFF_TOTAL_LEN	= 12,
	CK_DP_ENTRY_OFF_TYPE	= 0,
	CK_DP_ENTRY_OFF_FLAGS	= 2,
	CK_DP_ENTRY_OFF_LEN	= 4,
};

/* The package header without its magic. */
struct ck_dp_header {
	uint16_t version;	/* CK_DP_VERSION */
	uint16_t flags;		/* 0 */
	uint32_t total_len;	/* the whole package, header included */
};

/* The header in front of every entry's value. */
struct ck_dp_entry_header {
	uint16_t type;		/* enum ck_dp_type */
	uint16_t flags;		/* CK_DP_F_* */
	uint32_t len;		/* length of the value that follows */
};

/* Write the magic and @h into @out. */
static inline void ck_dp_header_encode(const struct ck_dp_header *h,
				       uint8_t out[CK_DP_HEADER_LEN])
{
	memcpy(out + CK_DP_OFF_MAGIC, CK_DP_MAGIC, CK_DP_MAGIC_LEN);
	ck_put_be16(out + CK_DP_OFF_VERSION, h->version);
	ck_put_be16(out + CK_DP_OFF_FLAGS, h->flags);
	ck_put_be32(out + CK_DP_OFF_TOTAL_LEN, h->total_len);
}

/* Read @in into @h: 0, or -EINVAL if the magic is wrong. */
static inline int ck_dp_header_decode(const uint8_t in[CK_DP_HEADER_LEN],
				      struct ck_dp_header *h)
{
	if (memcmp(in + CK_DP_OFF_MAGIC, CK_DP_MAGIC, CK_DP_MAGIC_LEN) != 0)
		return -EINVAL;
	h->version = ck_get_be16(in + CK_DP_OFF_VERSION);
	h->flags = ck_get_be16(in + CK_DP_OFF_FLAGS);
	h->total_len = ck_get_be32(in + CK_DP_OFF_TOTAL_LEN);
	return 0;
}

static inline void ck_dp_entry_header_encode(const struct ck_dp_entry_header *e,
					     uint8_t out[CK_DP_ENTRY_HEADER_LEN])
{
	ck_put_be16(out + CK_DP_ENTRY_OFF_TYPE, e->type);
	ck_put_be16(out + CK_DP_ENTRY_OFF_FLAGS, e->flags);
	ck_put_be32(out + CK_DP_ENTRY_OFF_LEN, e->len);
}

static inline void ck_dp_entry_header_decode(const uint8_t in[CK_DP_ENTRY_HEADER_LEN],
					     struct ck_dp_entry_header *e)
{
	e->type = ck_get_be16(in + CK_DP_ENTRY_OFF_TYPE);
	e->flags = ck_get_be16(in + CK_DP_ENTRY_OFF_FLAGS);
	e->len = ck_get_be32(in + CK_DP_ENTRY_OFF_LEN);
}

/* Entry flags. */
#define CK_DP_F_CRITICAL	0x0001u
#define CK_DP_F_KNOWN		CK_DP_F_CRITICAL	/* every other bit must be 0 */

/*
 * Entry types.  0x0001-0x7fff are assigned in docs/data-package.md;
 * 0x8000-0xffff are for private/experimental use and never assigned.
 */
enum ck_dp_type {
	CK_DP_DEVICE_ID		= 0x0001, /* 15 ASCII digits, Luhn check digit */
	CK_DP_CHIP_ID		= 0x0002, /* 16 bytes */
	CK_DP_GENERATION	= 0x0003, /* u64 big endian */
	CK_DP_CREATED		= 0x0004, /* u64 big endian, seconds since epoch */
	CK_DP_CHANNEL_KEY	= 0x0010, /* 32 bytes (secret), claims 4-5 */
	CK_DP_DEVICE_KEY	= 0x0011, /* PKCS#8 DER, EC P-256 (secret) */
	CK_DP_DEVICE_CERT	= 0x0012, /* X.509 DER, signed by the issuing CA */
	CK_DP_MFR_CA_CERT	= 0x0013, /* X.509 DER, manufacturer root CA */
	CK_DP_ISSUING_CA_CERT	= 0x0014, /* X.509 DER, the issuing CA that signed
					   * the device certificate (signed by
					   * the root); not critical */
	/* Customer enrollment (chipkey enroll), not critical: */
	CK_DP_CUSTOMER_KEY	= 0x0020, /* PKCS#8 DER (secret) */
	CK_DP_CUSTOMER_CERT	= 0x0021, /* X.509 DER, signed by the customer CA */
	CK_DP_CUSTOMER_CA_CERT	= 0x0022, /* X.509 DER */
	CK_DP_CUSTOMER_ANCHOR	= 0x0023, /* X.509 DER: the customer CA the
					   * factory was told of, the anchor of
					   * two-way enrollment */
	/* Pairing (chipkey pair, docs/pairing.md), not critical, secret: */
	CK_DP_PAIRING_RECORDS	= 0x0030, /* list of pairing records */
};

#define CK_DP_DEVICE_ID_LEN	15
#define CK_DP_CHANNEL_KEY_LEN	32

struct ck_dp;	/* a decoded (or being built) data package: opaque */

/* An empty package (no entries). */
struct ck_dp *ck_dp_new(void);
/* Wipe every value (OPENSSL_cleanse) and free.  NULL is fine. */
void ck_dp_free(struct ck_dp *dp);

/*
 * Strict decoder.  Any malformed input gives -EINVAL and *out untouched:
 * bad magic/version/flags, total length != @len or > CK_DP_MAX_LEN,
 * truncated entry, entry types not strictly increasing (duplicates, wrong
 * order), reserved entry flag bits set, an unknown *critical* entry, a known
 * entry whose value is invalid (wrong length, non-digit identity, bad Luhn
 * digit, DER value that is not exactly one SEQUENCE), or a missing device
 * identity or chip ID.  Unknown non-critical entries are kept (and written
 * back by ck_dp_encode) but otherwise ignored.
 */
int ck_dp_decode(const void *buf, size_t len, struct ck_dp **out);

/*
 * Encode in canonical form into a fresh malloc'd buffer.  Needs the device
 * identity and chip ID.  Free the buffer with ck_dp_buf_free (it may hold
 * secrets).
 */
int ck_dp_encode(const struct ck_dp *dp, uint8_t **out, size_t *out_len);
void ck_dp_buf_free(void *buf, size_t len);

/*
 * Generic entry access.  ck_dp_set validates known types (same rules as the
 * decoder) and replaces an existing entry of that type; the value is copied.
 * @flags: CK_DP_F_CRITICAL or 0; for known types the defined flag is used
 * and @flags is ignored.  ck_dp_get returns a pointer into @dp.
 */
int ck_dp_set(struct ck_dp *dp, uint16_t type, uint16_t flags,
	      const void *value, size_t len);
int ck_dp_get(const struct ck_dp *dp, uint16_t type,
	      const uint8_t **value, size_t *len);
int ck_dp_remove(struct ck_dp *dp, uint16_t type);
/* Number of entries, and the i-th one in canonical order (for dumping). */
size_t ck_dp_count(const struct ck_dp *dp);
int ck_dp_entry(const struct ck_dp *dp, size_t i, uint16_t *type,
		uint16_t *flags, const uint8_t **value, size_t *len);

/* Typed helpers. */
int ck_dp_set_device_id(struct ck_dp *dp, const char *imei);
/* @out gets the 15 digits and a NUL. */
int ck_dp_device_id(const struct ck_dp *dp, char out[CK_DP_DEVICE_ID_LEN + 1]);
int ck_dp_set_chip_id(struct ck_dp *dp, const uint8_t id[CHIPKEY_CHIP_ID_LEN]);
int ck_dp_chip_id(const struct ck_dp *dp, uint8_t out[CHIPKEY_CHIP_ID_LEN]);
int ck_dp_set_u64(struct ck_dp *dp, uint16_t type, uint64_t v);
int ck_dp_u64(const struct ck_dp *dp, uint16_t type, uint64_t *v);

/* Name of a type ("device-id", ...), or NULL for an unknown type. */
const char *ck_dp_type_name(uint16_t type);
/* Whether the value of @type is secret (never print it). */
int ck_dp_type_is_secret(uint16_t type);

#endif /* _CHIPKEY_DATA_PACKAGE_H */

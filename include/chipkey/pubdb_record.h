/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * chipkey public database write record, version 1: the wire layout.
 *
 * The byte table is in docs/pubdb-api.md ("Record format").  A record is
 *
 *   struct pubdb_wire_head                     magic .. identity (48 bytes)
 *   struct pubdb_wire_len32 + B bytes          backup package
 *   struct pubdb_wire_len32 + C bytes          device certificate, DER
 *   struct pubdb_wire_len32 + W bytes          writer certificate, DER (0: unsigned)
 *   struct pubdb_wire_len16 + S bytes          ECDSA signature, DER (0: unsigned)
 *
 * All integers are big endian.  The signature covers every byte before
 * the signature length.  There are no trailing bytes.  The one encoder
 * and decoder are pubdb_record_build() and pubdb_record_parse()
 * (userspace/common/pubdb-record.c); nothing else reads or writes these
 * bytes.
 */
#ifndef _CHIPKEY_PUBDB_RECORD_H
#define _CHIPKEY_PUBDB_RECORD_H

#include <linux/types.h>

#define PUBDB_MAGIC		"CKPR"

enum pubdb_wire_limits {
	PUBDB_MAGIC_LEN = 4,
	PUBDB_VERSION = 1,
	PUBDB_CHIP_ID_LEN = 16,
	PUBDB_IDENTITY_LEN = 15,
	PUBDB_MAX_BACKUP = 1 << 20,	/* B: 1 .. PUBDB_MAX_BACKUP */
	PUBDB_MAX_CERT = 16384,		/* C: 1 ..; W: 0 .. PUBDB_MAX_CERT */
	PUBDB_MAX_SIG = 128,		/* S: 0 .. PUBDB_MAX_SIG */
};

/* The fixed head of a record. */
struct pubdb_wire_head {
	__u8 magic[PUBDB_MAGIC_LEN];		/* PUBDB_MAGIC */
	__be16 version;				/* PUBDB_VERSION */
	__be16 flags;				/* 0: anything else is refused */
	__u8 chip_id[PUBDB_CHIP_ID_LEN];
	__be64 generation;			/* 1 .. 2^63 - 1 */
	__u8 identity_len;			/* PUBDB_IDENTITY_LEN */
	char identity[PUBDB_IDENTITY_LEN];	/* ASCII digits, Luhn check digit */
} __attribute__((packed));

/* The length before a backup, a device or a writer certificate. */
struct pubdb_wire_len32 {
	__be32 len;
} __attribute__((packed));

/* The length before the signature. */
struct pubdb_wire_len16 {
	__be16 len;
} __attribute__((packed));

_Static_assert(sizeof(struct pubdb_wire_head) == 48, "pubdb record head is 48 bytes");
_Static_assert(sizeof(struct pubdb_wire_len32) == 4, "pubdb length field is 4 bytes");
_Static_assert(sizeof(struct pubdb_wire_len16) == 2, "pubdb signature length is 2 bytes");

#endif /* _CHIPKEY_PUBDB_RECORD_H */

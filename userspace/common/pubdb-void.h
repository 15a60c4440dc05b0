/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A void entry of the public database (docs/pubdb-api.md "Voiding a
 * generation"): the manufacturer's signed statement that one generation of
 * a chip must no longer be served as its current record.  A DER CMS
 * SignedData (pubdb-cms.c) of eContentType PUBDB_VOID_OID whose content is
 * the fixed binary body below; signed by the manufacturer CA's own key.
 *
 *   offset size field
 *   0      4    magic "CKVD"
 *   4      2    version = 1 (big-endian)
 *   6      16   chip ID
 *   22     8    generation, 1..2^63-1 (big-endian)
 *   30     1    R = reason length, 1..PUBDB_VOID_REASON_MAX
 *   31     R    reason, printable ASCII (0x20..0x7e); no trailing bytes
 */
#ifndef CHIPKEY_COMMON_PUBDB_VOID_H
#define CHIPKEY_COMMON_PUBDB_VOID_H

#include "common/pubdb-record.h"

/* id-ct-chipkeyVoid (UUID arc 2.25, ITU-T X.667) */
#define PUBDB_VOID_OID		"2.25.229363804765724754328020138349983341488"
#define PUBDB_VOID_REASON_MAX	200

struct pubdb_void {
	uint8_t chip_id[PUBDB_CHIP_ID_LEN];
	uint64_t generation;
	char reason[PUBDB_VOID_REASON_MAX + 1];
	struct pubdb_record sig;	/* signer certificate, signature, raw
					 * (pointers into the parsed buffer) */
};

/* Encodes the body and signs it with @key, whose certificate is @signer
 * (the manufacturer CA).  *out is malloc'd; -EINVAL on a bad argument. */
int pubdb_void_build(const uint8_t chip_id[PUBDB_CHIP_ID_LEN], uint64_t generation,
		     const char *reason, EVP_PKEY *key, X509 *signer, uint8_t **out,
		     size_t *out_len, char *err, size_t errlen);

/* Structure only (CMS as for format-2 records, then the body); -EBADMSG. */
int pubdb_void_parse(const uint8_t *buf, size_t len, struct pubdb_void *v,
		     char *err, size_t errlen);

/* Who signed (pubdb-validate.c): as pubdb_record_verify() (PUBDB_UNSIGNED,
 * PUBDB_BAD_SIGNATURE, PUBDB_UNTRUSTED), and then the signer certificate
 * must itself be a certificate of @cas, not one it issued (an SPP
 * credential, a device): else PUBDB_NOT_WRITER. */
enum pubdb_verdict pubdb_void_verify(const struct pubdb_void *v, X509_STORE *cas,
				     char *err, size_t errlen);

#endif /* CHIPKEY_COMMON_PUBDB_VOID_H */

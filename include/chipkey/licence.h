/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * chipkey software licence, version 1: the signed content.
 *
 * A licence is a DER CMS SignedData (RFC 5652) whose attached content, of
 * eContentType id-ct-chipkeyLicence (CK_LICENCE_CONTENT_OID), is the DER of
 *
 *   ChipkeyLicence ::= SEQUENCE {
 *     version      INTEGER (1),
 *     sequence     INTEGER (1 .. 2^63-1),   -- installs only ever go up
 *     imageSize    INTEGER (0 .. 2^63-1),   -- bytes
 *     imageDigest  OCTET STRING (SIZE (32)),-- SHA-256 of the image
 *     notBefore    GeneralizedTime,         -- YYYYMMDDHHMMSSZ
 *     notAfter     GeneralizedTime,
 *     deviceClass  [0] IMPLICIT UTF8String OPTIONAL,
 *     identities   [1] IMPLICIT SEQUENCE OF PrintableString OPTIONAL,
 *     chipIds      [2] IMPLICIT SEQUENCE OF OCTET STRING OPTIONAL }
 *
 * Exactly one of deviceClass, identities, chipIds is present: whom the
 * licence is for.  The byte table, the signer and the checks a device makes
 * are in docs/software-update.md.  The one encoder and decoder are
 * ck_licence_encode() and ck_licence_decode() (userspace/update/licence.c);
 * the decoder takes DER only (the input must re-encode to the same bytes).
 */
#ifndef _CHIPKEY_LICENCE_H
#define _CHIPKEY_LICENCE_H

#include <stddef.h>
#include <stdint.h>

/* id-ct-chipkeyLicence: under the UUID arc 2.25 (ITU-T X.667). */
#define CK_LICENCE_CONTENT_OID	"2.25.292894935203394592160592872101036755818"

enum ck_licence_limits {
	CK_LICENCE_VERSION = 1,
	CK_LICENCE_DIGEST_LEN = 32,	/* SHA-256 */
	CK_LICENCE_CLASS_MAX = 64,	/* deviceClass: 1..64 of A-Za-z0-9._- */
	CK_LICENCE_IDENTITY_LEN = 15,	/* IMEI-style, Luhn check digit */
	CK_LICENCE_CHIP_ID_LEN = 16,
	CK_LICENCE_MAX_TARGETS = 1000,	/* identities or chip IDs */
	CK_LICENCE_MAX_CONTENT = 32768,	/* DER of ChipkeyLicence */
	CK_LICENCE_MAX_LEN = 65536,	/* the whole SignedData */
};

/*
 * What a device accepts (docs/software-update.md): a sequence at most
 * 2^32 above the installed one (0 when nothing is installed), so that no
 * single licence can use up the counter; a validity period
 * (notAfter - notBefore) of at most 3660 days, ending no later than the
 * signer's certificate.
 */
#define CK_LICENCE_MAX_SEQUENCE_STEP	(1ULL << 32)
#define CK_LICENCE_MAX_VALIDITY		(3660LL * 86400)

/* Whom a licence is for. */
enum ck_licence_audience {
	CK_LICENCE_FOR_CLASS = 0,
	CK_LICENCE_FOR_IDENTITIES = 1,
	CK_LICENCE_FOR_CHIP_IDS = 2,
};

/* The decoded content. */
struct ck_licence {
	uint64_t sequence;
	uint64_t image_size;
	uint8_t image_digest[CK_LICENCE_DIGEST_LEN];
	int64_t not_before, not_after;		/* Unix seconds, UTC */
	enum ck_licence_audience audience;
	char device_class[CK_LICENCE_CLASS_MAX + 1];	/* FOR_CLASS */
	size_t n_targets;				/* the others */
	char (*identities)[CK_LICENCE_IDENTITY_LEN + 1];	/* FOR_IDENTITIES */
	uint8_t (*chip_ids)[CK_LICENCE_CHIP_ID_LEN];		/* FOR_CHIP_IDS */
};

#endif /* _CHIPKEY_LICENCE_H */

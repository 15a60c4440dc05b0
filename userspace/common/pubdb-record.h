/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The public database write record: build, parse, verify.
 *
 * The record formats, their signatures and the HTTP API are specified in
 * docs/pubdb-api.md; this is their one encoder and decoder.  In short:
 *   format 1: a binary record (magic "CKPR", version 1, wire layout in
 *     include/chipkey/pubdb_record.h) carrying chip ID, generation, device
 *     identity, backup package, device certificate (DER) and the writer's
 *     X.509 certificate (DER), followed by an ECDSA P-256 / SHA-256
 *     signature by the writer over every preceding byte.  Unsigned (writer
 *     certificate and signature empty) it is also the content of format 2.
 *   format 2: a DER CMS SignedData (RFC 5652) whose encapsulated content,
 *     of type PUBDB_CMS_CONTENT_OID, is an unsigned format-1 record; one
 *     signer (ECDSA, SHA-256, signed attributes contentType, messageDigest,
 *     signingTime), the writer certificate its only certificate.
 *
 * pubdb-record.c is the codec (build, parse) of format 1 and the dispatch;
 * pubdb-cms.c wraps, unwraps and checks format 2; pubdb-validate.c decides
 * whether a signed record may be stored as a chip's next generation
 * (pubdb_record_verify, pubdb_record_validate): the checks and their order
 * are docs/pubdb-api.md "Who may write".
 *
 * All functions return 0 or a negative errno-style code; where an err
 * buffer is given, a message is written to it on failure.
 */
#ifndef CHIPKEY_COMMON_PUBDB_RECORD_H
#define CHIPKEY_COMMON_PUBDB_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "chipkey/pubdb_record.h"

/* id-ct-chipkeyRecord: the eContentType of a format-2 record (UUID arc
 * 2.25, ITU-T X.667). */
#define PUBDB_CMS_CONTENT_OID	"2.25.213511338043597196501641430360160149527"

enum pubdb_format {
	PUBDB_FORMAT_V1 = 1,	/* "CKPR" */
	PUBDB_FORMAT_CMS = 2,	/* CMS SignedData */
};

/* Subject organizationalUnitName a writer certificate must carry. */
#define PUBDB_ROLE_SPP		"chipkey-spp"

/* A parsed record; pointers point into the caller's buffer. */
struct pubdb_record {
	enum pubdb_format format;
	uint8_t chip_id[PUBDB_CHIP_ID_LEN];
	uint64_t generation;
	char identity[PUBDB_IDENTITY_LEN + 1];
	const uint8_t *backup;
	size_t backup_len;
	const uint8_t *cert;		/* device certificate, DER */
	size_t cert_len;
	const uint8_t *writer_cert;	/* DER; 0 length: unsigned */
	size_t writer_cert_len;
	const uint8_t *sig;		/* DER ECDSA; 0 length: unsigned */
	size_t sig_len;
	const uint8_t *raw;		/* the whole record */
	size_t raw_len;
	size_t signed_len;		/* format 1: bytes covered by the
					 * signature: raw[0 .. signed_len);
					 * format 2: 0 */
	int64_t signing_time;		/* format 2: signingTime, seconds
					 * since 1970 (UTC); format 1: 0 */
};

/* Fields to encode (identity: 15 digits). */
struct pubdb_fields {
	uint8_t chip_id[PUBDB_CHIP_ID_LEN];
	uint64_t generation;
	const char *identity;
	const uint8_t *backup;
	size_t backup_len;
	const uint8_t *cert;
	size_t cert_len;
};

/* Encodes a record and signs it with @key (EC P-256), whose certificate
 * is @writer: a format-2 (CMS) record, signing time now.  @key == NULL and
 * @writer == NULL: an unsigned format-1 record (what GET .../record
 * returns for records committed without one, and the content of a
 * format-2 record).  *out is malloc'd. */
int pubdb_record_build(const struct pubdb_fields *f, EVP_PKEY *key, X509 *writer,
		       uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* The same, signed in format 1 ("CKPR" with its own signature): what
 * databases written before format 2 hold; the server no longer accepts
 * it (chipkey-pubdb-put --format 1 builds one, for tests). */
int pubdb_record_build_v1(const struct pubdb_fields *f, EVP_PKEY *key, X509 *writer,
			  uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* Parses either format, told apart by the first byte ('C' of "CKPR",
 * 0x30 a DER SEQUENCE): structure and limits only, no signature is
 * checked.  -EBADMSG if malformed; a format-2 record is malformed unless
 * its content type is PUBDB_CMS_CONTENT_OID, its content attached, DER
 * and an unsigned format-1 record, and it has exactly one signer, one
 * certificate, no CRL, and the signed attributes contentType (equal to
 * the content type) and signingTime. */
int pubdb_record_parse(const uint8_t *buf, size_t len, struct pubdb_record *r,
		       char *err, size_t errlen);

/* Result of pubdb_record_verify() and pubdb_record_validate(), in the
 * order they are checked. */
enum pubdb_verdict {
	PUBDB_VALID = 0,
	PUBDB_UNSIGNED,		/* no writer certificate or signature */
	PUBDB_BAD_SIGNATURE,	/* signature does not verify / bad key */
	PUBDB_UNTRUSTED,	/* writer certificate does not chain to a CA */
	PUBDB_WRONG_GENERATION,	/* not exactly the newest stored + 1 */
	PUBDB_NOT_WRITER,	/* writer not allowed for this generation */
	PUBDB_BAD_CONTENT,	/* identity, backup or device certificate */
};
const char *pubdb_verdict_str(enum pubdb_verdict v);

/* Who signed: the signature by the writer certificate (one DER
 * certificate, EC P-256 key) and that certificate's chain to @cas (the
 * manufacturer CA; no intermediates from the record).  Format 2: the
 * signer must be identified by the embedded certificate, the digest be
 * SHA-256, and CMS_verify() accept the signature and message digest.  Returns
 * PUBDB_VALID, PUBDB_UNSIGNED, PUBDB_BAD_SIGNATURE or PUBDB_UNTRUSTED;
 * detail in err.  Says nothing about the writer's role or the content:
 * that is pubdb_record_validate(). */
enum pubdb_verdict pubdb_record_verify(const struct pubdb_record *r, X509_STORE *cas,
				       char *err, size_t errlen);

/* The newest stored generation of a chip without a void entry, whose
 * device writes the next generation, and the newest stored one, voided or
 * not, which the next generation number follows. */
struct pubdb_prev {
	uint64_t generation;		/* newest not voided */
	uint64_t newest;		/* newest stored (>= generation; a
					 * smaller value counts as generation) */
	const char *identity;		/* 15 digits */
	const uint8_t *cert;		/* its device certificate, DER */
	size_t cert_len;
};

/*
 * May @r be stored as its chip's next generation, after @prev (NULL: the
 * chip has no record)?  In this order:
 *   1. pubdb_record_verify(r, cas): signed by a writer chaining to @cas;
 *   2. generation == newest + 1 (1 without @prev), newest being the larger
 *      of prev->newest and prev->generation:
 *      PUBDB_WRONG_GENERATION;
 *   3. the writer: generation 1 by an SPP credential (OU=chipkey-spp);
 *      any later one by the device itself, that is a writer certificate
 *      byte-identical to prev->cert which passes the device checks of 4c
 *      for this chip and identity: PUBDB_NOT_WRITER;
 *   4. the content: a. the identity is 15 digits with a Luhn check digit
 *      and equals prev->identity; b. the backup's header parses
 *      (ck_pkg_header_parse) and names this chip and this generation;
 *      c. the device certificate is one DER certificate chaining to @cas,
 *      and passes pki_verify_device_cert() against its issuer's key (what
 *      devices check: end entity, device role, P-256) for this chip and
 *      identity: PUBDB_BAD_CONTENT.
 * Returns the first failing verdict (PUBDB_VALID if none); detail in err.
 */
enum pubdb_verdict pubdb_record_validate(const struct pubdb_record *r,
					 const struct pubdb_prev *prev, X509_STORE *cas,
					 char *err, size_t errlen);

/* Loads every certificate of a PEM file into a new X509_STORE. */
X509_STORE *pubdb_load_cas(const char *pem_path, char *err, size_t errlen);

#endif /* CHIPKEY_COMMON_PUBDB_RECORD_H */

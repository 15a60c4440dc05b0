/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The public database write record: build, parse, verify.
 *
 * The record format, its signature and the HTTP API are specified in
 * docs/pubdb-api.md, the wire layout in include/chipkey/pubdb_record.h;
 * this is its one encoder and decoder.  In short: a binary record (magic
 * "CKPR", version 1) carrying chip ID, generation, device identity, backup
 * package, device certificate (DER) and the writer's X.509 certificate
 * (DER), followed by an ECDSA P-256 / SHA-256 signature by the writer over
 * every preceding byte.  The writer certificate must chain to the
 * manufacturer CA and carry the "chipkey-spp" role (subject OU).
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

/* Subject organizationalUnitName a writer certificate must carry. */
#define PUBDB_ROLE_SPP		"chipkey-spp"

/* A parsed record; pointers point into the caller's buffer. */
struct pubdb_record {
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
	size_t signed_len;		/* bytes covered by the signature:
					 * raw[0 .. signed_len) */
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

/* Encodes and signs a record with @key (EC P-256), whose certificate is
 * @writer.  @key == NULL and @writer == NULL: an unsigned record (what
 * GET .../record returns for records committed without one).
 * *out is malloc'd. */
int pubdb_record_build(const struct pubdb_fields *f, EVP_PKEY *key, X509 *writer,
		       uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* Parses (structure and limits only, no cryptography). -EBADMSG if
 * malformed. */
int pubdb_record_parse(const uint8_t *buf, size_t len, struct pubdb_record *r,
		       char *err, size_t errlen);

/* Result of pubdb_record_verify(). */
enum pubdb_verdict {
	PUBDB_VALID = 0,
	PUBDB_UNSIGNED,		/* no writer certificate or signature */
	PUBDB_BAD_SIGNATURE,	/* signature does not verify / bad key */
	PUBDB_UNTRUSTED,	/* writer certificate does not chain to a CA */
	PUBDB_NOT_WRITER,	/* chains, but lacks the writer role */
	PUBDB_BAD_CONTENT,	/* identity or device certificate invalid */
};
const char *pubdb_verdict_str(enum pubdb_verdict v);

/* Verifies a parsed record: signature by the writer certificate, the
 * writer certificate against @cas (trusted CAs), the role marker, the
 * device identity (15 digits, Luhn) and that the device certificate is
 * one well-formed DER X.509 certificate.  Returns the verdict (>= 0),
 * detail in err. */
enum pubdb_verdict pubdb_record_verify(const struct pubdb_record *r, X509_STORE *cas,
				       char *err, size_t errlen);

/* Loads every certificate of a PEM file into a new X509_STORE. */
X509_STORE *pubdb_load_cas(const char *pem_path, char *err, size_t errlen);

#endif /* CHIPKEY_COMMON_PUBDB_RECORD_H */

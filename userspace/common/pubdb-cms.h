/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Format 2 of the public database record (docs/pubdb-api.md "Format 2"):
 * a CMS SignedData around an unsigned format-1 record.  Internal to
 * pubdb-record.c and pubdb-validate.c; callers use common/pubdb-record.h.
 */
#ifndef CHIPKEY_COMMON_PUBDB_CMS_H
#define CHIPKEY_COMMON_PUBDB_CMS_H

#include <time.h>

#include <openssl/cms.h>

#include "common/pubdb-record.h"

/* Signs @content (of eContentType @oid: PUBDB_CMS_CONTENT_OID for an
 * unsigned format-1 record, PUBDB_VOID_OID for a void body) into a DER
 * SignedData. */
int pubdb_cms_sign(const char *oid, const uint8_t *content, size_t content_len, EVP_PKEY *key,
		   X509 *writer, uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* At most this many certificates in a SignedData: the writer's and the
 * issuing CA's that signed it (docs/pubdb-api.md). */
#define PUBDB_CMS_MAX_CERTS 2

/* pubdb_cms_sign with @ca (NULL: none), the writer's issuing CA, added to
 * the certificates, so `openssl cms -verify -CAfile <root>` finds the chain. */
int pubdb_cms_sign_chain(const char *oid, const uint8_t *content, size_t content_len,
			 EVP_PKEY *key, X509 *writer, X509 *ca, uint8_t **out, size_t *out_len,
			 char *err, size_t errlen);
/* pubdb_record_build (format 2, signed) with @ca in the certificates. */
int pubdb_record_build_chain(const struct pubdb_fields *f, EVP_PKEY *key, X509 *writer,
			     X509 *ca, uint8_t **out, size_t *out_len, char *err, size_t errlen);
/* A parsed format-2 record's SignedData, decoded once for all the checks
 * of pubdb-validate.c (the signature, the writer's chain, the device
 * certificate's chain) instead of once per check. */
struct pubdb_cms_decoded {
	CMS_ContentInfo *cms;
	X509 *writer;			/* the certificate whose DER is
					 * r->writer_cert; NULL if none is */
	STACK_OF(X509) *extra;		/* the other certificates: candidate
					 * intermediates, untrusted */
};

/* Decodes r->raw of a parsed format-2 record (one DER ContentInfo, as
 * pubdb_cms_parse requires): 0, or -EBADMSG with the reason in err.
 * Free with pubdb_cms_decoded_free (also after a failure). */
int pubdb_cms_decode(const struct pubdb_record *r, struct pubdb_cms_decoded *d,
		     char *err, size_t errlen);
void pubdb_cms_decoded_free(struct pubdb_cms_decoded *d);
/* pubdb_record_parse, keeping what it decoded of a format-2 record in @d
 * (all NULL for format 1) for pubdb_record_validate_decoded: the
 * SignedData is decoded once for both.  Free @d with
 * pubdb_cms_decoded_free (also after a failure). */
int pubdb_cms_parse_decoded(const uint8_t *buf, size_t len, struct pubdb_record *r,
			    struct pubdb_cms_decoded *d, char *err, size_t errlen);
/* pubdb_record_validate of a record parsed by pubdb_cms_parse_decoded
 * into @r and @d, once (the signature check uses @d up; the caller frees
 * it). */
enum pubdb_verdict pubdb_record_validate_decoded(const struct pubdb_record *r,
						 const struct pubdb_cms_decoded *d,
						 const struct pubdb_prev *prev,
						 X509_STORE *cas, char *err, size_t errlen);

/*
 * The writer's chain as verified for one record, kept for the next ones
 * of the same writer: one writer signs every record of an SPP (its record
 * signer), so its chain (2 signatures) is verified once, not per record.
 * Used only with a @cas that nothing changes while the cache is in use
 * (the SPP's vet: the root alone, no CRL): a hit needs the same store, the
 * same writer certificate and the same other certificates of the record
 * (SHA-256 over their DER), and the current time within every validity of
 * the chain; otherwise the chain is verified as without the cache.  One
 * thread at a time.  Zero-initialised; pubdb_writer_cache_free.
 */
struct pubdb_writer_cache {
	X509_STORE *cas;		/* not owned; identity only */
	uint8_t key[32];
	STACK_OF(X509) *chain;		/* NULL: empty */
	time_t from, until;
};
void pubdb_writer_cache_free(struct pubdb_writer_cache *wc);
/* pubdb_record_validate_decoded with @wc (NULL: none): the same checks and
 * verdicts. */
enum pubdb_verdict pubdb_record_validate_cached(const struct pubdb_record *r,
						const struct pubdb_cms_decoded *d,
						const struct pubdb_prev *prev, X509_STORE *cas,
						struct pubdb_writer_cache *wc,
						char *err, size_t errlen);

/* The structure of a DER SignedData of eContentType @oid (called @name in
 * messages): attached content (*content, in @buf), one signer, one
 * certificate, no CRL, signed contentType and signingTime.  Fills the
 * writer certificate (the signer's, of at most PUBDB_CMS_MAX_CERTS),
 * signature, signing time, raw and format of @r (so
 * pubdb_record_verify can check it), no signature check; -EBADMSG. */
int pubdb_cms_unwrap(const uint8_t *buf, size_t len, const char *oid, const char *name,
		     struct pubdb_record *r, const uint8_t **content, size_t *content_len,
		     char *err, size_t errlen);

/* Parses a format-2 record (structure, no signature check); -EBADMSG. */
int pubdb_cms_parse(const uint8_t *buf, size_t len, struct pubdb_record *r,
		    char *err, size_t errlen);

/* The signature of a format-2 record, decoded (@d), by @w, its writer
 * certificate: PUBDB_VALID or PUBDB_BAD_SIGNATURE (no chain check). */
enum pubdb_verdict pubdb_cms_check_signature(const struct pubdb_cms_decoded *d, X509 *w,
					     char *err, size_t errlen);

/* Writes a message to @err (if given), clears OpenSSL's error queue,
 * returns @rc (pubdb-record.c). */
int pubdb_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The format-1 decoder (pubdb-record.c). */
int pubdb_record_parse_v1(const uint8_t *buf, size_t len, struct pubdb_record *r,
			  char *err, size_t errlen);

#endif /* CHIPKEY_COMMON_PUBDB_CMS_H */

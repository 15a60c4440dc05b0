/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The factory's station CRL (DIR/station-crl.pem): an X.509 v2 CRL of the
 * line station certificates the manufacturer has revoked, signed by the
 * manufacturer key; chipkey-spp refuses those stations in the TLS
 * handshake.  Profile: docs/factory-pki.md "Station credentials".
 * Functions return 0 or a negative errno.
 */
#ifndef CHIPKEY_FACTORY_STATION_CRL_H
#define CHIPKEY_FACTORY_STATION_CRL_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* nextUpdate = lastUpdate + this many days (revoke --days) */
#define PKI_DEFAULT_CRL_DAYS	30
#define PKI_MAX_CRL_DAYS	365
/* No station CRL file is larger (about 18000 entries). */
#define CK_STATION_CRL_MAX	(1024 * 1024)

/*
 * A new CRL issued by @mfr_cert, signed by @mfr_key (SHA-256): the entries
 * of @prev (NULL: none) plus @serial (NULL: none) revoked now with
 * @reason (a CRL_REASON_*; CRL_REASON_NONE: no reasonCode extension),
 * crlNumber one more than @prev's (1 without @prev), authority key
 * identifier, lastUpdate now, nextUpdate in @days days.  NULL on failure.
 */
X509_CRL *station_crl_make(EVP_PKEY *mfr_key, X509 *mfr_cert,
			   const X509_CRL *prev, const ASN1_INTEGER *serial,
			   int reason, int days);

/* The same with the @n entries @serials (one signature, one crlNumber). */
X509_CRL *station_crl_make_n(EVP_PKEY *mfr_key, X509 *mfr_cert,
			     const X509_CRL *prev, const ASN1_INTEGER *const *serials,
			     size_t n, int reason, int days);

/* Parse the PEM CRL file @path (at most CK_STATION_CRL_MAX bytes).
 * 0, -ENOENT etc., -EFBIG, -EINVAL (not a PEM CRL). */
int station_crl_read(const char *path, X509_CRL **out);

/*
 * Whether @crl is in force, issued by @issuer: its issuer name is
 * @issuer's subject, its signature verifies with @issuer's key
 * (-EKEYREJECTED otherwise), it is a v2 CRL with a nextUpdate, and
 * lastUpdate <= @now < nextUpdate (-EKEYEXPIRED otherwise).
 */
int station_crl_check(X509_CRL *crl, X509 *issuer, time_t now);

/* Write @crl as PEM to @path atomically (replacing it), mode 0644. */
int station_crl_write(const char *path, X509_CRL *crl);

/* 1 if @serial is listed in @crl, else 0. */
int station_crl_lists(X509_CRL *crl, const ASN1_INTEGER *serial);

/* The CRL_REASON_* of a reason name ("keyCompromise", "superseded",
 * "cessationOfOperation", "affiliationChanged", "unspecified": the last
 * CRL_REASON_NONE), or -2 for an unknown name. */
int station_crl_reason(const char *name);

#endif /* CHIPKEY_FACTORY_STATION_CRL_H */

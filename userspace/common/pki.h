/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device-side PKI: key and certificate encodings, the names a device
 * certificate carries, and the checks devices (and the SPP, of its line
 * stations) make of certificates against the manufacturer key in ROM.
 * Issuing certificates is the factory's: factory/pki-issue.h.  See
 * docs/factory-pki.md.
 *
 * OpenSSL 3 EVP/X509 APIs only.  Functions returning int return 0 or a
 * negative errno:
 *   -EINVAL        malformed input (bad DER, identity, chip ID, key type)
 *   -EKEYREJECTED  a certificate is not signed by the given key, or does not
 *                  have the role asked for, or names another identity/chip
 *   -EKEYEXPIRED   a certificate is outside its validity period
 *   -ENOMEM        out of memory
 *   -EIO           an OpenSSL operation failed (details on the ERR queue)
 */
#ifndef CHIPKEY_COMMON_PKI_H
#define CHIPKEY_COMMON_PKI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chipkey/data_package.h>

/* subjectAltName URI naming the chip: prefix + 32 lowercase hex digits. */
#define PKI_CHIP_ID_URI_PREFIX	"urn:chipkey:chip-id:"
/* Organizational unit marking the SPP role. */
#define PKI_SPP_OU		"chipkey-spp"
/* Organizational unit marking the SPP's record-signing credential (the
 * signer of generation-1 public records; no TLS role). */
#define PKI_RECORD_OU		"chipkey-record-signer"
/* Organizational unit marking the device service server (chipkey-service,
 * docs/service-link.md): the peer devices authenticate after shipment. */
#define PKI_SERVICE_OU		"chipkey-service"
/* Organizational unit marking a factory line station (TLS client of the SPP). */
#define PKI_STATION_OU		"chipkey-station"

/* ---- keys ---- */

/* 1 if @pkey is an EC key on P-256. */
int pki_is_p256(const EVP_PKEY *pkey);
/* PKCS#8 PrivateKeyInfo DER; free with pki_free_secret(*der, *len). */
int pki_private_to_pkcs8_der(const EVP_PKEY *pkey, uint8_t **der, size_t *len);
/* Parse PKCS#8 DER (whole buffer, P-256 only); NULL if malformed. */
EVP_PKEY *pki_private_from_pkcs8_der(const uint8_t *der, size_t len);
/* DER SubjectPublicKeyInfo; free with OPENSSL_free. */
int pki_public_to_der(const EVP_PKEY *pkey, uint8_t **der, size_t *len);
/*
 * Parse a DER SubjectPublicKeyInfo (as in ROM: trailing zero padding is
 * allowed, anything else after the DER is not); P-256 only; NULL if bad.
 */
EVP_PKEY *pki_public_from_der(const uint8_t *der, size_t len);
/*
 * The point of a DER SubjectPublicKeyInfo that is exactly a P-256 key in
 * its one DER form (namedCurve prime256v1, uncompressed point, 91 bytes),
 * not yet checked to lie on the curve; NULL for any other bytes.
 */
#define PKI_P256_SPKI_LEN	91
const uint8_t *pki_p256_spki_point(const uint8_t *der, size_t len);
/* That form of the P-256 point @point (0x04 || X || Y, checked by the caller). */
void pki_p256_spki(const uint8_t point[65], uint8_t out[PKI_P256_SPKI_LEN]);
void pki_free_secret(void *buf, size_t len);

/* ---- certificates ---- */

int pki_cert_to_der(X509 *cert, uint8_t **der, size_t *len); /* OPENSSL_free */
X509 *pki_cert_from_der(const uint8_t *der, size_t len);     /* whole buffer */
/*
 * pki_cert_from_der, but a certificate of @known whose DER is exactly
 * @der is returned (one more reference) instead of decoding it again: a
 * certificate decode in OpenSSL 3.0 costs more than a signature check.
 * @known must hold certificates as decoded and never changed in memory
 * (a peer's TLS chain): OpenSSL 3.0 keeps the decoded bytes of the signed
 * part even after a setter changed a field.
 */
X509 *pki_cert_from_der_known(const uint8_t *der, size_t len, STACK_OF(X509) *known);

/*
 * The station role of a certificate whose chain the caller has verified
 * (TLS): an end-entity certificate (not a CA, keyUsage digitalSignature)
 * with exactly one OU, chipkey-station, and EKU clientAuth.  0 or
 * -EKEYREJECTED.
 */
int pki_check_station_role(X509 *cert);

/* The identity in CN and serialNumber (both present, equal, Luhn-valid). */
int pki_cert_device_identity(X509 *cert, char out[CK_DP_DEVICE_ID_LEN + 1]);
/* The chip ID in the single urn:chipkey:chip-id: subjectAltName URI. */
int pki_cert_chip_id(X509 *cert, uint8_t out[CHIPKEY_CHIP_ID_LEN]);

/*
 * chipkeyChipAttestationKey (docs/factory-pki.md, "Device certificate"): a
 * non-critical extension of the device certificate whose value is the DER
 * SubjectPublicKeyInfo of the chip's attestation key Q (id-ecPublicKey,
 * prime256v1).  OID under the UUID arc 2.25 (ITU-T X.667).
 */
#define PKI_ATTEST_KEY_OID	"2.25.150369157376766404936511867947329402419"
#define PKI_ATTEST_KEY_SN	"chipkeyChipAttestationKey"
#define PKI_ATTEST_PUB_LEN	65	/* uncompressed P-256 point */
/*
 * Q from the chipkeyChipAttestationKey extension of @cert: 0, -ENOENT if
 * @cert has no such extension, -EINVAL if it is malformed (more than one,
 * not a P-256 SPKI, not a valid point), -ENOMEM / -EIO.
 */
int pki_cert_attest_key(X509 *cert, uint8_t q[PKI_ATTEST_PUB_LEN]);

/*
 * @now of the verify functions below: 0 is the current time (time(2));
 * PKI_TIME_IGNORE skips the validity-period check (everything else is
 * still checked).  Recovery and load use PKI_TIME_IGNORE: they restore what
 * the manufacturer issued, and devices without a real-time clock boot at
 * 1970 (docs/recovery.md).
 */
#define PKI_TIME_IGNORE		((time_t)-1)
/*
 * A wall clock earlier than this (2026-01-01T00:00:00Z, before this code
 * was built) has not been set: no RTC, no NTP yet.  Override at build time
 * with -DPKI_CLOCK_FLOOR=<unix seconds>.
 */
#ifndef PKI_CLOCK_FLOOR
#define PKI_CLOCK_FLOOR		1767225600
#endif
/* time(NULL), or PKI_TIME_IGNORE if the clock reads before PKI_CLOCK_FLOOR. */
time_t pki_clock_now(void);
/* The validity period of @cert contains @now (0 = the current time,
 * PKI_TIME_IGNORE = not checked): 0, -EKEYEXPIRED, or -EINVAL (an
 * unreadable time). */
int pki_check_validity(X509 *cert, time_t now);
/* @t as time_t (UTC): 0, or -EINVAL if @t is NULL or unreadable. */
int pki_asn1_time(const ASN1_TIME *t, time_t *out);
/* SHA-256 over the DER of @first, then of each certificate of @rest (may
 * be NULL), each DER with its length first (4 bytes, big-endian), so that
 * no two lists hash alike: a cache key for a certificate list.  0,
 * -EINVAL (@first NULL, a certificate that does not encode) or -EIO. */
int pki_certs_sha256(X509 *first, STACK_OF(X509) *rest, uint8_t key[32]);
/* @cert holds the end-entity role @ou: exactly one OU, equal to @ou; not a
 * CA; keyUsage present with digitalSignature and without keyCertSign and
 * cRLSign; a P-256 key.  0 or -EKEYREJECTED. */
int pki_check_role(X509 *cert, const char *ou);

/*
 * The issuing CA (docs/factory-pki.md, "Key hierarchy"): @ica is signed by
 * the ROM key @rom_key (DER SPKI of the root), is a CA (basicConstraints
 * CA:TRUE, pathlen 0; keyUsage keyCertSign), has a P-256 key, and is valid
 * at @now (0 = the current time, PKI_TIME_IGNORE = not checked).
 */
int pki_verify_issuing_ca(X509 *ica, const uint8_t *rom_key, size_t rom_key_len,
			  time_t now);

/*
 * An issuing CA's signature by a ROM key, once verified, is remembered for
 * the process (up to 8 certificates; never a refusal; every other check
 * runs each time), so a device verifies it once per provisioning, load or
 * recovery.  pki_sig_memo_forget() gives the calling thread a memo of its
 * own, empty: for a program that plays several devices in turn on one
 * thread (bench/provision), so that each verifies as a device on its own
 * does.
 */
void pki_sig_memo_forget(void);

/*
 * What recovery uses.  @rom_key is the manufacturer root public key from
 * ROM (DER SPKI), @ica the issuing CA certificate that came with @cert
 * (NULL: @cert must be signed by the ROM key itself, as by factories made
 * before the key hierarchy; only the root key can make such a certificate).
 * Checks: @ica passes pki_verify_issuing_ca(); @cert is issued by @ica
 * (names, key identifiers) and signed by its key; validity at @now (0 =
 * the current time, PKI_TIME_IGNORE = not checked); device role (not a CA,
 * keyUsage digitalSignature, no OU); a P-256 public key; a valid identity
 * and chip ID; and, when @identity / @chip_id are not NULL, that the
 * certificate names exactly them.
 */
int pki_verify_device_cert(X509 *cert, X509 *ica, const uint8_t *rom_key,
			   size_t rom_key_len, const char *identity,
			   const uint8_t *chip_id, time_t now);
/* The same with the root public key decoded already (@root, P-256, else
 * -EINVAL): the public database's validator, which has it from its trust
 * store (common/pubdb-validate.c). */
int pki_verify_device_cert_key(X509 *cert, X509 *ica, EVP_PKEY *root,
			       const char *identity, const uint8_t *chip_id, time_t now);
/* The same for a @chain that X509_verify_cert() verified: exactly leaf,
 * issuing CA, root (or leaf, root), each signature of it verified by that
 * verification.  Every check of pki_verify_device_cert_key() but those
 * signatures (two ECDSA verifications the chain check has just made);
 * -EKEYREJECTED for a chain of another length.  Never on a chain that was
 * not verified: it checks no signature. */
int pki_verify_device_cert_chained(STACK_OF(X509) *chain, const char *identity,
				   const uint8_t *chip_id, time_t now);
/* What a device checks of the SPP's record signer (the writer of a
 * chip's generation 1 in the public database, docs/pubdb-api.md "Who may
 * write"; pair --directory): issued by @ica (required: -EKEYREJECTED if
 * NULL) under the ROM key, as pki_verify_device_cert() checks, end entity,
 * digitalSignature, P-256, exactly one OU, OU=chipkey-record-signer. */
int pki_verify_record_signer(X509 *cert, X509 *ica, const uint8_t *rom_key,
			     size_t rom_key_len, time_t now);
/* What a device checks of the SPP's TLS certificate: the same, except that
 * @ica is required (-EKEYREJECTED if NULL: an SPP certificate signed by the
 * root itself is refused, it could not be revoked); role OU=chipkey-spp
 * with EKU serverAuth. */
int pki_verify_spp_cert(X509 *cert, X509 *ica, const uint8_t *rom_key,
			size_t rom_key_len, time_t now);
/* What a device checks of the device service server's certificate
 * (docs/service-link.md): as pki_verify_spp_cert(), with the role
 * OU=chipkey-service and EKU serverAuth. */
int pki_verify_service_cert(X509 *cert, X509 *ica, const uint8_t *rom_key,
			    size_t rom_key_len, time_t now);

/*
 * Revocation (common/pki-crl.c): a set of CRLs a device or pubdb was given
 * (--crl, repeatable).  A CRL is used for the CA whose key signed it (the
 * root's for issuing CAs, an issuing CA's for what it issued).
 */
struct pki_crls;
/* Appends every CRL of the file @path (a PEM bundle of one or more CRLs,
 * or one DER CRL) to @out: their number, or -errno (-EINVAL: none). */
/* the largest CRL file read (a factory's CRLs are a few KiB each) */
#define PKI_CRL_FILE_MAX (16u << 20)
int pki_crl_file_read(const char *path, STACK_OF(X509_CRL) *out);
/* 1 if @a and @b are CRLs of the same issuing CA: the same issuer name and
 * the same signing key (authorityKeyIdentifier; a CRL without one counts
 * as of every key under its name).  A CA re-keyed under its name is
 * another issuer here: its cRLNumbers start again at 1. */
int pki_crl_same_issuer(X509_CRL *a, X509_CRL *b);
/* 1 if @a and @b are of the same issuer (pki_crl_same_issuer) and have
 * cRLNumbers, @a's lower (a replay of an older CRL when @b was seen
 * before); else 0. */
int pki_crl_older(X509_CRL *a, X509_CRL *b);
/* @crl's cRLNumber in decimal ("none" without one) in @buf. */
void pki_crl_number(X509_CRL *crl, char *buf, size_t size);
/* "CRL of <issuer, one line> number <cRLNumber or none>" in @buf (logs). */
void pki_crl_describe(X509_CRL *crl, char *buf, size_t size);
/* Reads the CRL files @paths[0..n-1] (pki_crl_file_read); NULL with a
 * message in @err if one cannot be read. */
struct pki_crls *pki_crls_load(const char *const *paths, size_t n, char *err,
			       size_t errlen);
/* Adds the CRL file @path to *@c (a new set if *@c is NULL); 0, or -errno
 * with a message in @err. */
int pki_crls_add(struct pki_crls **c, const char *path, char *err, size_t errlen);
void pki_crls_free(struct pki_crls *c);
/*
 * CRL rollback at an end that keeps state (docs/service-link.md,
 * "Revocation"): the newest CRL of each issuer accepted so far is kept in
 * the directory @dir (created 0700 if missing) as "<SHA-256 of the
 * issuer's DER name and its authorityKeyIdentifier, in hex>.der", written
 * atomically.  Each CRL of @c with a cRLNumber lower (pki_crl_older) than
 * the kept one, or than a CRL of the same issuer and key identifier in
 * @prev (the set @c replaces, or NULL), is refused:
 * -ESTALE with the reason in @why, or, with @keep, replaced in @c by that
 * newer CRL (the count of those, the last reason in @why).  From then on a
 * CRL of @c that pki_crls_check() finds signed by its issuer raises the
 * floor (once per set; a failure to store fails that check closed, -EIO).
 * An unauthenticated CRL never moves the floor.  Called again on the same
 * set with another directory (at most 4; the same directory again is
 * only checked), @c is checked against that floor too, and from then on
 * a CRL that verifies raises every floor of the set: one rule for every
 * floor a command can see (a state directory, a slot directory).
 */
int pki_crls_floor(struct pki_crls *c, const char *dir, const struct pki_crls *prev,
		   int keep, char *why, size_t whylen);
/*
 * 0 if neither @cert nor @ica is revoked by a CRL of @c that their issuer
 * signed (@ica's issuer: the ROM key; @cert's: @ica, or the ROM key if
 * @ica is NULL).  @c NULL or empty checks nothing.  Otherwise it fails
 * closed: -EKEYREVOKED if a CRL of the issuer lists one; -ENOKEY if an
 * issuer of the chain has no CRL in @c at all (a message naming it in
 * @why, if not NULL); -EKEYEXPIRED if none of an issuer's CRLs is current
 * at @now (past nextUpdate; PKI_TIME_IGNORE: not checked, 0: the current
 * time).  A CRL signed by neither key is ignored.
 */
int pki_crls_check(const struct pki_crls *c, X509 *cert, X509 *ica,
		   const uint8_t *rom_key, size_t rom_key_len, time_t now,
		   char *why, size_t whylen);

#endif /* CHIPKEY_COMMON_PKI_H */

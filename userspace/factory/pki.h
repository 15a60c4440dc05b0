/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * chipkey factory PKI: manufacturer CA, SPP credential, device certificates,
 * device key pairs and channel key derivation.  See docs/factory-pki.md.
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
#ifndef CHIPKEY_FACTORY_PKI_H
#define CHIPKEY_FACTORY_PKI_H

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
/* Organizational unit marking a factory line station (TLS client of the SPP). */
#define PKI_STATION_OU		"chipkey-station"
/* HKDF info label of the channel key (followed by the 15-digit identity). */
#define PKI_CHANNEL_KEY_LABEL	"chipkey v1 channel key"
#define PKI_MASTER_KEY_LEN	32

/* Validity in days; 0 = no well-defined expiry (notAfter 99991231235959Z). */
#define PKI_DEFAULT_CA_DAYS	10950
#define PKI_DEFAULT_SPP_DAYS	3650
#define PKI_DEFAULT_STATION_DAYS 3650
#define PKI_DEFAULT_DEVICE_DAYS	0

/* ---- keys ---- */

/* A fresh EC P-256 key pair, or NULL. */
EVP_PKEY *pki_ec_keygen(void);
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
void pki_free_secret(void *buf, size_t len);

/* ---- certificates ---- */

int pki_cert_to_der(X509 *cert, uint8_t **der, size_t *len); /* OPENSSL_free */
X509 *pki_cert_from_der(const uint8_t *der, size_t len);     /* whole buffer */

/* Self-signed manufacturer CA: CN=@cn, O=@org. */
X509 *pki_make_mfr_ca(EVP_PKEY *mfr_key, const char *org, const char *cn,
		      int days);
/*
 * SPP credential: CN=@name, OU=chipkey-spp, O=<issuer O>, EKU serverAuth,
 * keyUsage digitalSignature, subjectAltName DNS:@name (if @name is a host
 * name) and IP:127.0.0.1, signed by the manufacturer key.
 */
X509 *pki_issue_spp_cert(EVP_PKEY *mfr_key, X509 *mfr_cert, EVP_PKEY *spp_pub,
			 const char *name, int days);
/*
 * Factory line station credential (the TLS client certificate chipkey-spp
 * requires, docs/provisioning-protocol.md): CN=@name, OU=chipkey-station,
 * O=<issuer O>, EKU clientAuth, keyUsage digitalSignature, CA:FALSE,
 * signed by the manufacturer key.
 */
X509 *pki_issue_station_cert(EVP_PKEY *mfr_key, X509 *mfr_cert,
			     EVP_PKEY *station_pub, const char *name, int days);
/*
 * The station role of a certificate whose chain the caller has verified
 * (TLS): an end-entity certificate (not a CA, keyUsage digitalSignature)
 * with exactly one OU, chipkey-station, and EKU clientAuth.  0 or
 * -EKEYREJECTED.
 */
int pki_check_station_role(X509 *cert);

/*
 * Device certificate: subject CN=<identity>, serialNumber=<identity>;
 * subjectAltName URI:urn:chipkey:chip-id:<hex> and the IMEI URN
 * (URI:urn:gsma:imei:TTTTTTTT-SSSSSS-C); keyUsage digitalSignature +
 * keyAgreement, basicConstraints CA:FALSE, key identifiers; random serial.
 */
X509 *pki_issue_device_cert(EVP_PKEY *mfr_key, X509 *mfr_cert,
			    const char *identity,
			    const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			    EVP_PKEY *dev_pub, int days);
/*
 * The same certificate as DER (OPENSSL_free), for callers that only store
 * or send it: about 3x faster, because the X509 returned above is re-read
 * from its DER so that its public key is decoded, and decoding a key costs
 * an OSSL_DECODER round trip in OpenSSL 3.0.  0 or -EINVAL / -EIO.
 */
int pki_issue_device_cert_der(EVP_PKEY *mfr_key, X509 *mfr_cert,
			      const char *identity,
			      const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			      EVP_PKEY *dev_pub, int days, uint8_t **der,
			      size_t *len);

/* The identity in CN and serialNumber (both present, equal, Luhn-valid). */
int pki_cert_device_identity(X509 *cert, char out[CK_DP_DEVICE_ID_LEN + 1]);
/* The chip ID in the single urn:chipkey:chip-id: subjectAltName URI. */
int pki_cert_chip_id(X509 *cert, uint8_t out[CHIPKEY_CHIP_ID_LEN]);

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

/*
 * What recovery uses.  @rom_key is the manufacturer public key from ROM
 * (DER SPKI).  Checks: signature by that key; validity at @now (0 = the
 * current time, PKI_TIME_IGNORE = not checked); device role (not a CA, keyUsage digitalSignature, not the
 * SPP role); a P-256 public key; a valid identity and chip ID; and, when
 * @identity / @chip_id are not NULL, that the certificate names exactly them.
 */
int pki_verify_device_cert(X509 *cert, const uint8_t *rom_key,
			   size_t rom_key_len, const char *identity,
			   const uint8_t *chip_id, time_t now);
/* What a device checks of the SPP's TLS certificate (same ROM key). */
int pki_verify_spp_cert(X509 *cert, const uint8_t *rom_key,
			size_t rom_key_len, time_t now);

/* ---- channel key (claims 4-5) ---- */

/*
 * channel key = HKDF-SHA256(IKM = master key, salt = none,
 *                           info = "chipkey v1 channel key" || identity)
 */
int pki_channel_key(const uint8_t master[PKI_MASTER_KEY_LEN],
		    const char *identity, uint8_t out[CK_DP_CHANNEL_KEY_LEN]);

/* ---- a factory directory (chipkey-factory init) ---- */

#define CK_FACTORY_MFR_KEY	"mfr-key.pem"
#define CK_FACTORY_MFR_CA_PEM	"mfr-ca.pem"
#define CK_FACTORY_MFR_CA_DER	"mfr-ca.der"
#define CK_FACTORY_MFR_PUBKEY	"mfr-pubkey.der"
#define CK_FACTORY_MASTER_KEY	"master.key"
#define CK_FACTORY_SPP_KEY	"spp-key.pem"
#define CK_FACTORY_SPP_CERT	"spp-cert.pem"
/* The factory line station credential (both 0600; chipkey-agent provision
 * --station-cert / --station-key).  Not read by ck_factory_open(). */
#define CK_FACTORY_STATION_KEY	"station-key.pem"
#define CK_FACTORY_STATION_CERT	"station-cert.pem"
#define CK_FACTORY_VERSION	"factory-version"

struct ck_factory_opts {
	const char *org;	/* default "chipkey" */
	const char *spp_name;	/* default "localhost" */
	int ca_days;		/* default PKI_DEFAULT_CA_DAYS */
	int spp_days;		/* default PKI_DEFAULT_SPP_DAYS */
};

/*
 * Create a factory in @dir (must not exist, or be an empty directory):
 * built in a sibling temporary directory and renamed into place, so a
 * crash leaves no half-made factory.  -EEXIST if @dir is not empty.
 */
int ck_factory_init(const char *dir, const struct ck_factory_opts *opts);

struct ck_factory {
	EVP_PKEY *mfr_key;
	X509 *mfr_cert;
	uint8_t *mfr_cert_der;
	size_t mfr_cert_der_len;
	uint8_t *rom_key;		/* DER SPKI of mfr_key */
	size_t rom_key_len;
	uint8_t master[PKI_MASTER_KEY_LEN];
	EVP_PKEY *spp_key;		/* NULL if the files are absent */
	X509 *spp_cert;
};

/* Load a factory; -EPERM if a secret file is readable by group/others. */
int ck_factory_open(const char *dir, struct ck_factory **out);
void ck_factory_close(struct ck_factory *f);

/*
 * Build the data package of one device (claims 1-7): identity, chip ID,
 * generation, creation time, channel key, device key pair (@dev_key, or a
 * fresh one when NULL), device certificate, manufacturer CA certificate.
 * @cert_out (may be NULL) gets the device certificate, parsed from the DER
 * in the package (~120 us more; callers that only need the DER can take it
 * from the package, CK_DP_DEVICE_CERT, and pass NULL).
 */
int ck_factory_build_package(struct ck_factory *f, const char *identity,
			     const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			     EVP_PKEY *dev_key, uint64_t generation,
			     struct ck_dp **out, X509 **cert_out);

#endif /* CHIPKEY_FACTORY_PKI_H */

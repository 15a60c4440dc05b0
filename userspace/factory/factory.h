/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A factory directory (chipkey-factory init): the manufacturer key and CA,
 * the channel-key master key, the SPP and line station credentials; and
 * what a loaded factory issues per device, its data package.  Layout:
 * docs/factory-pki.md.  Functions return 0 or a negative errno.
 */
#ifndef CHIPKEY_FACTORY_FACTORY_H
#define CHIPKEY_FACTORY_FACTORY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chipkey/data_package.h>
#include "common/channel-key.h"

/*
 * The manufacturer root: its private key (the ROM key's private half) is
 * written by init for the operator to move offline; no program that
 * ck_factory_open()s a factory reads it (docs/factory-pki.md).
 */
#define CK_FACTORY_MFR_KEY	"mfr-key.pem"
#define CK_FACTORY_MFR_CA_PEM	"mfr-ca.pem"	/* the root CA certificate */
#define CK_FACTORY_MFR_CA_DER	"mfr-ca.der"
#define CK_FACTORY_MFR_PUBKEY	"mfr-pubkey.der"
/* The root's CRL (revoked issuing CAs), signed offline with the root key. */
#define CK_FACTORY_ROOT_CRL	"root-crl.pem"
/* The issuing CA, signed by the root: signs everything the factory issues. */
#define CK_FACTORY_CA_KEY	"ica-key.pem"
#define CK_FACTORY_CA_CERT	"ica-cert.pem"
#define CK_FACTORY_MASTER_KEY	"master.key"
/* The SPP's TLS credential (OU=chipkey-spp, serverAuth). */
#define CK_FACTORY_SPP_KEY	"spp-key.pem"
#define CK_FACTORY_SPP_CERT	"spp-cert.pem"
/* The SPP's record-signing credential (OU=chipkey-record-signer). */
#define CK_FACTORY_RECORD_KEY	"record-key.pem"
#define CK_FACTORY_RECORD_CERT	"record-cert.pem"
/* Optional: the customer's CA certificate, put into every data package
 * built here as its customer-anchor entry (docs/enrollment.md "The anchor
 * from the factory") */
#define CK_FACTORY_CUSTOMER_ANCHOR "customer-anchor.pem"
/*
 * The factory line station credential (both 0600; chipkey-agent provision
 * --station-cert / --station-key).  Not read by ck_factory_open().
 */
#define CK_FACTORY_STATION_KEY	"station-key.pem"
#define CK_FACTORY_STATION_CERT	"station-cert.pem"
/* The issuing CA's CRL (revoked station, TLS, record-signing credentials;
 * 0644; station-crl.h, chipkey-spp --station-crl).  Name kept from when
 * it listed stations only. */
#define CK_FACTORY_STATION_CRL	"station-crl.pem"
#define CK_FACTORY_VERSION	"factory-version"
/* No file of a factory directory is larger. */
#define CK_FACTORY_MAX_FILE	(64 * 1024)

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
	EVP_PKEY *ca_key;		/* the issuing CA */
	X509 *ca_cert;
	uint8_t *ca_cert_der;
	size_t ca_cert_der_len;
	X509 *mfr_cert;			/* the root CA certificate (no key) */
	uint8_t *mfr_cert_der;
	size_t mfr_cert_der_len;
	uint8_t *rom_key;		/* DER SPKI of the root */
	size_t rom_key_len;
	uint8_t master[PKI_MASTER_KEY_LEN];
	EVP_PKEY *spp_key;		/* TLS; NULL if the files are absent */
	X509 *spp_cert;
	EVP_PKEY *record_key;		/* records; NULL if the files are absent */
	X509 *record_cert;
	uint8_t *customer_anchor_der;	/* NULL if customer-anchor.pem is absent */
	size_t customer_anchor_der_len;
};

/*
 * Load a factory: the issuing CA key and certificate (which must be signed
 * by the root of mfr-ca.pem), the root certificate, the master key, and
 * the optional TLS and record-signing credentials.  Never reads the root
 * key (mfr-key.pem).  -EPERM if a secret file is readable by group/others.
 */
int ck_factory_open(const char *dir, struct ck_factory **out);
void ck_factory_close(struct ck_factory *f);

/*
 * Build the data package of one device (claims 1-7): identity, chip ID,
 * generation, creation time, channel key, device key pair (@dev_key, or a
 * fresh one when NULL), device certificate (with the chip's attestation
 * key @attest_pub, PKI_ATTEST_PUB_LEN bytes, or NULL: none;
 * pki_issue_device_cert()), root CA certificate, issuing CA certificate (signed by the
 * issuing CA, which devices verify against the root).
 * @cert_out (may be NULL) gets the device certificate, parsed from the DER
 * in the package (~120 us more; callers that only need the DER can take it
 * from the package, CK_DP_DEVICE_CERT, and pass NULL).
 */
int ck_factory_build_package(struct ck_factory *f, const char *identity,
			     const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			     EVP_PKEY *dev_key, uint64_t generation,
			     const uint8_t *attest_pub,
			     struct ck_dp **out, X509 **cert_out);

#endif /* CHIPKEY_FACTORY_FACTORY_H */

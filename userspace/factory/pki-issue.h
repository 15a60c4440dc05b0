/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Factory-side PKI: key pairs and the certificates the manufacturer key
 * signs (manufacturer CA, SPP and line station credentials, device
 * certificates).  What devices check of them is common/pki.h.  Profiles:
 * docs/factory-pki.md.  Errors as in common/pki.h.
 */
#ifndef CHIPKEY_FACTORY_PKI_ISSUE_H
#define CHIPKEY_FACTORY_PKI_ISSUE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/pki.h"

/* Validity in days; 0 = no well-defined expiry (notAfter 99991231235959Z). */
#define PKI_DEFAULT_CA_DAYS	10950
#define PKI_DEFAULT_SPP_DAYS	3650
/* station credentials are short-lived (docs/factory-pki.md) */
#define PKI_DEFAULT_STATION_DAYS 30
#define PKI_MAX_STATION_DAYS	365
#define PKI_DEFAULT_DEVICE_DAYS	0

/* A fresh EC P-256 key pair, or NULL. */
EVP_PKEY *pki_ec_keygen(void);

/* Self-signed manufacturer root CA (its key is the ROM key): CN=@cn,
 * O=@org, CA:TRUE pathlen:1. */
X509 *pki_make_mfr_ca(EVP_PKEY *mfr_key, const char *org, const char *cn,
		      int days);
/*
 * An issuing CA signed by the root (@root_key, @root_cert): CN=@cn
 * (default "chipkey issuing CA"), O=<root's O>, CA:TRUE pathlen:0,
 * keyUsage keyCertSign + cRLSign.  It signs everything below: the SPP TLS
 * and record-signing credentials, station credentials, device
 * certificates, and its CRL.  The functions below take it as the issuer
 * (their @mfr_key / @mfr_cert arguments).
 */
X509 *pki_make_issuing_ca(EVP_PKEY *root_key, X509 *root_cert, EVP_PKEY *ca_pub,
			  const char *cn, int days);
/*
 * Record-signing credential (signs generation-1 public records):
 * CN=@name, OU=chipkey-record-signer, O=<issuer O>, CA:FALSE, keyUsage
 * digitalSignature + nonRepudiation, no EKU (no TLS role).
 */
X509 *pki_issue_record_cert(EVP_PKEY *ca_key, X509 *ca_cert, EVP_PKEY *pub,
			    const char *name, int days);
/*
 * SPP credential: CN=@name, OU=chipkey-spp, O=<issuer O>, EKU serverAuth,
 * keyUsage digitalSignature, subjectAltName DNS:@name (if @name is a host
 * name) and IP:127.0.0.1, signed by the manufacturer key.
 */
X509 *pki_issue_spp_cert(EVP_PKEY *mfr_key, X509 *mfr_cert, EVP_PKEY *spp_pub,
			 const char *name, int days);
/* Device service server credential (chipkey-service, docs/service-link.md):
 * the same as the SPP's with OU=chipkey-service. */
X509 *pki_issue_service_cert(EVP_PKEY *ca_key, X509 *ca_cert, EVP_PKEY *pub,
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
 * Device certificate: subject CN=<identity>, serialNumber=<identity>;
 * subjectAltName URI:urn:chipkey:chip-id:<hex> and the IMEI URN
 * (URI:urn:gsma:imei:TTTTTTTT-SSSSSS-C); keyUsage digitalSignature +
 * keyAgreement, basicConstraints CA:FALSE, key identifiers; random serial.
 * @attest_pub (PKI_ATTEST_PUB_LEN bytes, an uncompressed P-256 point, or
 * NULL: no extension): the chip's attestation key Q, in the non-critical
 * chipkeyChipAttestationKey extension (common/pki.h) as a DER SPKI.
 */
X509 *pki_issue_device_cert(EVP_PKEY *mfr_key, X509 *mfr_cert,
			    const char *identity,
			    const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			    EVP_PKEY *dev_pub, const uint8_t *attest_pub, int days);
/*
 * The same certificate as DER (OPENSSL_free), for callers that only store
 * or send it: about 3x faster, because the X509 returned above is re-read
 * from its DER so that its public key is decoded, and decoding a key costs
 * an OSSL_DECODER round trip in OpenSSL 3.0.  0 or -EINVAL / -EIO.
 */
int pki_issue_device_cert_der(EVP_PKEY *mfr_key, X509 *mfr_cert,
			      const char *identity,
			      const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			      EVP_PKEY *dev_pub, const uint8_t *attest_pub,
			      int days, uint8_t **der, size_t *len);

#endif /* CHIPKEY_FACTORY_PKI_ISSUE_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The customer CA of chipkey-enroll (docs/enrollment.md, "The node
 * directory"): its key and certificate, the TLS server credential it
 * issued, the manufacturer CA the customer imported, and the profile of
 * the certificates it issues to devices.
 */
#ifndef CHIPKEY_ENROLL_CA_H
#define CHIPKEY_ENROLL_CA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define ENROLL_CA_KEY		"ca-key.pem"	/* 0600 */
#define ENROLL_CA_CERT		"ca-cert.pem"
#define ENROLL_TLS_KEY		"tls-key.pem"	/* 0600 */
#define ENROLL_TLS_CERT		"tls-cert.pem"
/* notBefore of what the node issues: this many seconds before now (clock skew) */
#define ENROLL_NOT_BEFORE_SLACK	300
#define ENROLL_MFR_CA		"mfr-ca.pem"
#define ENROLL_VERSION		"enroll-version"
#define ENROLL_CA_DAYS		10950		/* customer CA: 30 years */
#define ENROLL_TLS_DAYS		825		/* TLS server credential */
#define ENROLL_ORG_MAX		64

struct enroll_ca {
	EVP_PKEY *key;		/* customer CA key */
	X509 *cert;		/* customer CA certificate */
	X509 *mfr_ca;		/* the imported manufacturer root */
	uint8_t *rom_key;	/* its public key, DER SPKI (the devices' ROM key) */
	size_t rom_key_len;
};

/*
 * init: a new node directory @dir (0700, made in a sibling temporary
 * directory then renamed, so an existing non-empty @dir is never touched):
 * customer CA (O=@org, CN=chipkey customer CA), TLS server credential for
 * @tls_name issued by it, the manufacturer CA of @mfr_ca_path (a
 * self-signed P-256 CA certificate, PEM), the empty ledger.  An exit code
 * (common/exit.h), a message on stderr when not 0.
 */
int enroll_ca_init(const char *dir, const char *org, const char *mfr_ca_path,
		   const char *tls_name);

/* Load the CA of the node directory @dir: 0 or an exit code (message on stderr). */
int enroll_ca_open(const char *dir, struct enroll_ca *ca);
void enroll_ca_close(struct enroll_ca *ca);

/*
 * The customer certificate for the device whose factory certificate
 * @factory was authenticated: the device's identity and chip ID (from
 * @factory, never from the CSR), the public key @pub, O = the CA's
 * organisation; profile in docs/enrollment.md.  NULL on failure.
 */
X509 *enroll_ca_issue(const struct enroll_ca *ca, X509 *factory, EVP_PKEY *pub,
		      int days);

#endif /* CHIPKEY_ENROLL_CA_H */

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Factory-side PKI: making keys and issuing certificates signed by the
 * manufacturer key (the manufacturer CA, the SPP and line station
 * credentials, device certificates).  Devices only verify what is issued
 * here (common/pki.c).  Profiles: docs/factory-pki.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "common/attest.h"
#include "common/hex.h"
#include "common/identity.h"
#include "common/x509-issue.h"
#include "pki-issue.h"

EVP_PKEY *pki_ec_keygen(void)
{
	return ck_att_p256_keygen();
}

/* Validity starts a little in the past: slack for device clocks that run
 * slightly behind. */
#define PKI_NOT_BEFORE_SLACK (-300L)

/*
 * The certificate of @pub named @subject, issued by @issuer (NULL: self-
 * issued), with the extensions @ext[0..n-1] then the key identifiers,
 * signed by @signer; its public key may not be decoded (ck_x509_reparse()).
 */
static X509 *cert_issue(X509_NAME *subject, X509 *issuer, EVP_PKEY *pub,
			int days, const struct ck_x509_ext *ext, size_t n,
			X509_EXTENSION *raw, EVP_PKEY *signer)
{
	X509_EXTENSION *const raws[1] = { raw };
	const struct ck_x509_req r = {
		.subject = subject,
		.issuer = issuer,
		.pub = pub,
		.not_before = PKI_NOT_BEFORE_SLACK,
		.days = days,
		.ext = ext,
		.n_ext = n,
		.raw = raws,
		.n_raw = raw ? 1 : 0,
		.signer = signer,
	};

	return ck_x509_issue(&r);
}

X509 *pki_make_mfr_ca(EVP_PKEY *mfr_key, const char *org, const char *cn,
		      int days)
{
	static const struct ck_x509_ext ca_ext[] = {
		{ NID_basic_constraints, "critical,CA:TRUE,pathlen:1" },
		{ NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature" },
	};
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;

	if (!n || !mfr_key || !pki_is_p256(mfr_key))
		goto out;
	if (!ck_x509_name_add(n, NID_organizationName, org ? org : "chipkey") ||
	    !ck_x509_name_add(n, NID_commonName, cn ? cn : "chipkey manufacturer CA"))
		goto out;
	x = ck_x509_reparse(cert_issue(n, NULL, mfr_key, days, ca_ext,
				    sizeof(ca_ext) / sizeof(ca_ext[0]), NULL, mfr_key));
out:
	X509_NAME_free(n);
	return x;
}

/* The issuer's O, so devices and the SPP carry the manufacturer's name. */
static const char *issuer_org(X509 *issuer, char *buf, size_t size);

X509 *pki_make_issuing_ca(EVP_PKEY *root_key, X509 *root_cert, EVP_PKEY *ca_pub,
			  const char *cn, int days)
{
	static const struct ck_x509_ext ca_ext[] = {
		{ NID_basic_constraints, "critical,CA:TRUE,pathlen:0" },
		{ NID_key_usage, "critical,keyCertSign,cRLSign" },
	};
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;
	char org[256];
	const char *o;

	if (!n || !root_key || !root_cert || !ca_pub || !pki_is_p256(ca_pub) ||
	    X509_check_private_key(root_cert, root_key) != 1)
		goto out;
	o = issuer_org(root_cert, org, sizeof(org));
	if ((o && !ck_x509_name_add(n, NID_organizationName, o)) ||
	    !ck_x509_name_add(n, NID_commonName, cn ? cn : "chipkey issuing CA"))
		goto out;
	x = ck_x509_reparse(cert_issue(n, root_cert, ca_pub, days, ca_ext,
				    sizeof(ca_ext) / sizeof(ca_ext[0]), NULL, root_key));
out:
	X509_NAME_free(n);
	return x;
}


static const char *issuer_org(X509 *issuer, char *buf, size_t size)
{
	int n = X509_NAME_get_text_by_NID(X509_get_subject_name(issuer),
					  NID_organizationName, buf, (int)size);

	return n > 0 ? buf : NULL;
}

/* O (the issuer's, if it has one), OU=@ou, CN=@cn. */
static int role_subject(X509_NAME *n, X509 *issuer, const char *ou,
			const char *cn)
{
	char org[256];
	const char *o = issuer_org(issuer, org, sizeof(org));

	return (!o || ck_x509_name_add(n, NID_organizationName, o)) &&
	       ck_x509_name_add(n, NID_organizationalUnitName, ou) &&
	       ck_x509_name_add(n, NID_commonName, cn);
}

static int is_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

/* A TLS server credential of the role @ou (the SPP's, the service's). */
static X509 *server_cert(EVP_PKEY *mfr_key, X509 *mfr_cert, EVP_PKEY *spp_pub,
			 const char *ou, const char *name, int days)
{
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;
	char san[300];
	const struct ck_x509_ext ext[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature" },
		{ NID_ext_key_usage, "serverAuth" },
		{ NID_subject_alt_name, san },
	};

	if (!n || !mfr_key || !mfr_cert || !spp_pub || !pki_is_p256(spp_pub))
		goto out;
	if (!name)
		name = "localhost";
	if (!role_subject(n, mfr_cert, ou, name))
		goto out;
	if (is_hostname(name))
		snprintf(san, sizeof(san), "DNS:%s,IP:127.0.0.1", name);
	else
		snprintf(san, sizeof(san), "IP:127.0.0.1");
	x = ck_x509_reparse(cert_issue(n, mfr_cert, spp_pub, days, ext,
				    sizeof(ext) / sizeof(ext[0]), NULL, mfr_key));
out:
	X509_NAME_free(n);
	return x;
}

X509 *pki_issue_spp_cert(EVP_PKEY *mfr_key, X509 *mfr_cert, EVP_PKEY *spp_pub,
			 const char *name, int days)
{
	return server_cert(mfr_key, mfr_cert, spp_pub, PKI_SPP_OU, name, days);
}

X509 *pki_issue_service_cert(EVP_PKEY *ca_key, X509 *ca_cert, EVP_PKEY *pub,
			     const char *name, int days)
{
	return server_cert(ca_key, ca_cert, pub, PKI_SERVICE_OU, name, days);
}

X509 *pki_issue_record_cert(EVP_PKEY *ca_key, X509 *ca_cert, EVP_PKEY *pub,
			     const char *name, int days)
{
	static const struct ck_x509_ext ext[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature,nonRepudiation" },
	};
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;

	if (!n || !ca_key || !ca_cert || !pub || !pki_is_p256(pub))
		goto out;
	if (!role_subject(n, ca_cert, PKI_RECORD_OU, name ? name : "record signer"))
		goto out;
	x = ck_x509_reparse(cert_issue(n, ca_cert, pub, days, ext,
				    sizeof(ext) / sizeof(ext[0]), NULL, ca_key));
out:
	X509_NAME_free(n);
	return x;
}

X509 *pki_issue_station_cert(EVP_PKEY *mfr_key, X509 *mfr_cert,
			     EVP_PKEY *station_pub, const char *name, int days)
{
	static const struct ck_x509_ext ext[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature" },
		{ NID_ext_key_usage, "clientAuth" },
	};
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;

	if (!n || !mfr_key || !mfr_cert || !station_pub || !pki_is_p256(station_pub))
		goto out;
	if (!role_subject(n, mfr_cert, PKI_STATION_OU,
			  name ? name : "factory station"))
		goto out;
	x = ck_x509_reparse(cert_issue(n, mfr_cert, station_pub, days, ext,
				    sizeof(ext) / sizeof(ext[0]), NULL, mfr_key));
out:
	X509_NAME_free(n);
	return x;
}

/*
 * The chipkeyChipAttestationKey extension (non-critical) of the point @q:
 * its value the DER SubjectPublicKeyInfo of Q.  NULL if @q is not a valid
 * P-256 point (or on failure).
 */
static X509_EXTENSION *attest_key_ext(const uint8_t q[PKI_ATTEST_PUB_LEN])
{
	uint8_t spki[PKI_P256_SPKI_LEN];
	X509_EXTENSION *ext = NULL;
	ASN1_OCTET_STRING *os = NULL;
	ASN1_OBJECT *oid = NULL;

	/* validated as a point; the SPKI written from it directly (no
	 * encoder round trip, as for the subject key, x509-issue.c) */
	if (ck_att_point_check(q))
		return NULL;
	pki_p256_spki(q, spki);
	oid = OBJ_txt2obj(PKI_ATTEST_KEY_OID, 1);
	os = ASN1_OCTET_STRING_new();
	if (oid && os && ASN1_OCTET_STRING_set(os, spki, sizeof(spki)))
		ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(oid);
	return ext;
}

/* The signed device certificate; its public key is not decoded. */
static X509 *device_cert(EVP_PKEY *mfr_key, X509 *mfr_cert,
			 const char *identity,
			 const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			 EVP_PKEY *dev_pub, const uint8_t *attest_pub, int days)
{
	X509_NAME *n = X509_NAME_new();
	X509_EXTENSION *att = NULL;
	X509 *x = NULL;
	char hex[2 * CHIPKEY_CHIP_ID_LEN + 1], san[160];
	const struct ck_x509_ext ext[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature,keyAgreement" },
		{ NID_subject_alt_name, san },
	};

	if (!n || !mfr_key || !mfr_cert || !dev_pub || !chip_id ||
	    !ck_identity_valid(identity) || !pki_is_p256(dev_pub))
		goto out;
	if (attest_pub && !(att = attest_key_ext(attest_pub)))
		goto out;
	if (!ck_x509_name_add(n, NID_commonName, identity) ||
	    !X509_NAME_add_entry_by_NID(n, NID_serialNumber, MBSTRING_ASC,
					(const unsigned char *)identity, -1, -1, 0))
		goto out;
	ck_hex_encode(chip_id, CHIPKEY_CHIP_ID_LEN, hex);
	/* RFC 7254 IMEI URN: TAC (8) "-" serial (6) "-" check digit. */
	snprintf(san, sizeof(san),
		 "URI:%s%s,URI:urn:gsma:imei:%.8s-%.6s-%.1s",
		 PKI_CHIP_ID_URI_PREFIX, hex, identity, identity + 8,
		 identity + 14);
	x = cert_issue(n, mfr_cert, dev_pub, days, ext,
		       sizeof(ext) / sizeof(ext[0]), att, mfr_key);
out:
	X509_EXTENSION_free(att);
	X509_NAME_free(n);
	return x;
}

X509 *pki_issue_device_cert(EVP_PKEY *mfr_key, X509 *mfr_cert,
			    const char *identity,
			    const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			    EVP_PKEY *dev_pub, const uint8_t *attest_pub, int days)
{
	return ck_x509_reparse(device_cert(mfr_key, mfr_cert, identity, chip_id,
					dev_pub, attest_pub, days));
}

int pki_issue_device_cert_der(EVP_PKEY *mfr_key, X509 *mfr_cert,
			      const char *identity,
			      const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			      EVP_PKEY *dev_pub, const uint8_t *attest_pub,
			      int days, uint8_t **der, size_t *len)
{
	X509 *x;
	int err;

	if (!der || !len)
		return -EINVAL;
	*der = NULL;
	*len = 0;
	x = device_cert(mfr_key, mfr_cert, identity, chip_id, dev_pub, attest_pub,
			days);
	if (!x)
		return -EINVAL;
	err = pki_cert_to_der(x, der, len);
	X509_free(x);
	return err;
}


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

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "common/hex.h"
#include "common/identity.h"
#include "pki-issue.h"

EVP_PKEY *pki_ec_keygen(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static int set_random_serial(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn;
	ASN1_INTEGER *ai;
	int ok;

	/* 127 random bits, positive, never zero. */
	if (RAND_bytes(b, sizeof(b)) != 1)
		return 0;
	b[0] &= 0x7f;
	b[0] |= 0x40;
	bn = BN_bin2bn(b, sizeof(b), NULL);
	if (!bn)
		return 0;
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	if (!ai)
		return 0;
	ok = X509_set_serialNumber(x, ai);
	ASN1_INTEGER_free(ai);
	return ok;
}

static int set_validity(X509 *x, int days)
{
	/* A little slack for device clocks that run slightly behind. */
	if (!X509_gmtime_adj(X509_getm_notBefore(x), -300))
		return 0;
	if (days <= 0)
		return ASN1_TIME_set_string(X509_getm_notAfter(x), "99991231235959Z");
	return X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) != NULL;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static int name_add(X509_NAME *n, int nid, const char *value)
{
	return X509_NAME_add_entry_by_NID(n, nid, MBSTRING_UTF8,
					  (const unsigned char *)value, -1, -1, 0);
}

/*
 * The subjectPublicKeyInfo of a P-256 key, written straight from the
 * encoded point.  X509_set_pubkey() does the same job but, for a provider
 * key in OpenSSL 3, encodes the key with an OSSL_ENCODER and decodes it
 * back with an OSSL_DECODER: about 200 us, most of a certificate's cost.
 * The X509 then holds the encoding only, no decoded EVP_PKEY: cert_reparse()
 * re-reads the signed DER so X509_get0_pubkey() works for the callers.
 */
static int set_p256_pubkey(X509 *x, EVP_PKEY *pub)
{
	unsigned char point[1 + 2 * 66];
	unsigned char *copy;
	size_t len = 0;

	/* Anything but an uncompressed P-256 point: the generic way. */
	if (!pki_is_p256(pub) ||
	    EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
					    point, sizeof(point), &len) != 1 ||
	    len != 1 + 2 * 32 || point[0] != 0x04)
		return X509_set_pubkey(x, pub);
	copy = OPENSSL_memdup(point, len);
	if (!copy)
		return 0;
	/* On success the X509_PUBKEY owns @copy. */
	if (!X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x),
				    OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
				    V_ASN1_OBJECT,
				    OBJ_nid2obj(NID_X9_62_prime256v1),
				    copy, (int)len)) {
		OPENSSL_free(copy);
		return 0;
	}
	return 1;
}

/* New v3 certificate with serial, validity, subject, issuer and key. */
static X509 *cert_start(X509_NAME *subject, X509 *issuer, EVP_PKEY *pub,
			int days)
{
	X509 *x = X509_new();

	if (!x)
		return NULL;
	if (!X509_set_version(x, X509_VERSION_3) || !set_random_serial(x) ||
	    !set_validity(x, days) || !X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
					    : subject) ||
	    !set_p256_pubkey(x, pub)) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Sign @x (consumed); the result's public key may not be decoded. */
static X509 *cert_sign(X509 *x, EVP_PKEY *signer)
{
	if (x && X509_sign(x, signer, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/*
 * @x (consumed) as parsed from its own DER: exactly what a relying party
 * decodes, with the public key decoded (X509_get0_pubkey() works).  The
 * key decoding is an OSSL_DECODER round trip of ~120 us in OpenSSL 3.0.
 */
static X509 *cert_reparse(X509 *x)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509 *parsed = NULL;
	int len;

	if (!x)
		return NULL;
	len = i2d_X509(x, &der);
	p = der;
	if (len > 0)
		parsed = d2i_X509(NULL, &p, len);
	if (parsed && (p != der + len || !X509_get0_pubkey(parsed))) {
		X509_free(parsed);
		parsed = NULL;
	}
	OPENSSL_free(der);
	X509_free(x);
	return parsed;
}

struct ext {
	int nid;
	const char *value;
};

/*
 * The certificate of @pub named @subject, issued by @issuer (NULL: self-
 * issued), with the extensions @ext[0..n-1] then the subject and authority
 * key identifiers, signed by @signer; its public key may not be decoded.
 */
static X509 *cert_issue(X509_NAME *subject, X509 *issuer, EVP_PKEY *pub,
			int days, const struct ext *ext, size_t n,
			EVP_PKEY *signer)
{
	X509 *x = cert_start(subject, issuer, pub, days);
	size_t i;

	if (!x)
		return NULL;
	for (i = 0; i < n; i++)
		if (!add_ext(x, issuer, ext[i].nid, ext[i].value))
			goto fail;
	if (!add_ext(x, issuer, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, issuer, NID_authority_key_identifier, "keyid:always"))
		goto fail;
	return cert_sign(x, signer);
fail:
	X509_free(x);
	return NULL;
}

X509 *pki_make_mfr_ca(EVP_PKEY *mfr_key, const char *org, const char *cn,
		      int days)
{
	static const struct ext ca_ext[] = {
		{ NID_basic_constraints, "critical,CA:TRUE,pathlen:0" },
		{ NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature" },
	};
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;

	if (!n || !mfr_key || !pki_is_p256(mfr_key))
		goto out;
	if (!name_add(n, NID_organizationName, org ? org : "chipkey") ||
	    !name_add(n, NID_commonName, cn ? cn : "chipkey manufacturer CA"))
		goto out;
	x = cert_reparse(cert_issue(n, NULL, mfr_key, days, ca_ext,
				    sizeof(ca_ext) / sizeof(ca_ext[0]), mfr_key));
out:
	X509_NAME_free(n);
	return x;
}

/* The issuer's O, so devices and the SPP carry the manufacturer's name. */
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

	return (!o || name_add(n, NID_organizationName, o)) &&
	       name_add(n, NID_organizationalUnitName, ou) &&
	       name_add(n, NID_commonName, cn);
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

X509 *pki_issue_spp_cert(EVP_PKEY *mfr_key, X509 *mfr_cert, EVP_PKEY *spp_pub,
			 const char *name, int days)
{
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;
	char san[300];
	const struct ext ext[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature" },
		{ NID_ext_key_usage, "serverAuth" },
		{ NID_subject_alt_name, san },
	};

	if (!n || !mfr_key || !mfr_cert || !spp_pub || !pki_is_p256(spp_pub))
		goto out;
	if (!name)
		name = "localhost";
	if (!role_subject(n, mfr_cert, PKI_SPP_OU, name))
		goto out;
	if (is_hostname(name))
		snprintf(san, sizeof(san), "DNS:%s,IP:127.0.0.1", name);
	else
		snprintf(san, sizeof(san), "IP:127.0.0.1");
	x = cert_reparse(cert_issue(n, mfr_cert, spp_pub, days, ext,
				    sizeof(ext) / sizeof(ext[0]), mfr_key));
out:
	X509_NAME_free(n);
	return x;
}

X509 *pki_issue_station_cert(EVP_PKEY *mfr_key, X509 *mfr_cert,
			     EVP_PKEY *station_pub, const char *name, int days)
{
	static const struct ext ext[] = {
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
	x = cert_reparse(cert_issue(n, mfr_cert, station_pub, days, ext,
				    sizeof(ext) / sizeof(ext[0]), mfr_key));
out:
	X509_NAME_free(n);
	return x;
}

/* The signed device certificate; its public key is not decoded. */
static X509 *device_cert(EVP_PKEY *mfr_key, X509 *mfr_cert,
			 const char *identity,
			 const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			 EVP_PKEY *dev_pub, int days)
{
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;
	char hex[2 * CHIPKEY_CHIP_ID_LEN + 1], san[160];
	const struct ext ext[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature,keyAgreement" },
		{ NID_subject_alt_name, san },
	};

	if (!n || !mfr_key || !mfr_cert || !dev_pub || !chip_id ||
	    !ck_identity_valid(identity) || !pki_is_p256(dev_pub))
		goto out;
	if (!name_add(n, NID_commonName, identity) ||
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
		       sizeof(ext) / sizeof(ext[0]), mfr_key);
out:
	X509_NAME_free(n);
	return x;
}

X509 *pki_issue_device_cert(EVP_PKEY *mfr_key, X509 *mfr_cert,
			    const char *identity,
			    const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			    EVP_PKEY *dev_pub, int days)
{
	return cert_reparse(device_cert(mfr_key, mfr_cert, identity, chip_id,
					dev_pub, days));
}

int pki_issue_device_cert_der(EVP_PKEY *mfr_key, X509 *mfr_cert,
			      const char *identity,
			      const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			      EVP_PKEY *dev_pub, int days, uint8_t **der,
			      size_t *len)
{
	X509 *x;
	int err;

	if (!der || !len)
		return -EINVAL;
	*der = NULL;
	*len = 0;
	x = device_cert(mfr_key, mfr_cert, identity, chip_id, dev_pub, days);
	if (!x)
		return -EINVAL;
	err = pki_cert_to_der(x, der, len);
	X509_free(x);
	return err;
}


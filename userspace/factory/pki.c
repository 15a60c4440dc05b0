// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * chipkey factory PKI (docs/factory-pki.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "pki.h"

/* ---------------------------------------------------------------- keys */

EVP_PKEY *pki_ec_keygen(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

int pki_is_p256(const EVP_PKEY *pkey)
{
	char group[64];
	size_t len = 0;

	if (!pkey || !EVP_PKEY_is_a(pkey, "EC"))
		return 0;
	if (!EVP_PKEY_get_group_name(pkey, group, sizeof(group), &len))
		return 0;
	return OBJ_txt2nid(group) == NID_X9_62_prime256v1;
}

void pki_free_secret(void *buf, size_t len)
{
	if (buf)
		OPENSSL_clear_free(buf, len);
}

/* Hand an i2d_*() result (@n bytes at @buf) to the caller. */
static int der_out(unsigned char *buf, int n, uint8_t **der, size_t *len)
{
	if (n <= 0)
		return -EIO;
	*der = buf;
	*len = (size_t)n;
	return 0;
}

int pki_private_to_pkcs8_der(const EVP_PKEY *pkey, uint8_t **der, size_t *len)
{
	PKCS8_PRIV_KEY_INFO *p8;
	unsigned char *buf = NULL;
	int n;

	if (!pkey || !der || !len)
		return -EINVAL;
	p8 = EVP_PKEY2PKCS8(pkey);
	if (!p8)
		return -EIO;
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, &buf);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return der_out(buf, n, der, len);
}

EVP_PKEY *pki_private_from_pkcs8_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *pkey;

	if (!der || len == 0 || len > CK_DP_MAX_LEN)
		return NULL;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
	if (!p8)
		return NULL;
	if ((size_t)(p - der) != len) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		return NULL;
	}
	pkey = EVP_PKCS82PKEY(p8);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (pkey && !pki_is_p256(pkey)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

int pki_public_to_der(const EVP_PKEY *pkey, uint8_t **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n;

	if (!pkey || !der || !len)
		return -EINVAL;
	n = i2d_PUBKEY(pkey, &buf);
	return der_out(buf, n, der, len);
}

EVP_PKEY *pki_public_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey;

	if (!der || len == 0 || len > 4096)
		return NULL;
	pkey = d2i_PUBKEY(NULL, &p, (long)len);
	if (!pkey)
		return NULL;
	/* ROM cells are fixed-size: zero padding after the DER is allowed. */
	for (size_t i = (size_t)(p - der); i < len; i++) {
		if (der[i] != 0) {
			EVP_PKEY_free(pkey);
			return NULL;
		}
	}
	if (!pki_is_p256(pkey)) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

/* -------------------------------------------------------- certificates */

int pki_cert_to_der(X509 *cert, uint8_t **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n;

	if (!cert || !der || !len)
		return -EINVAL;
	n = i2d_X509(cert, &buf);
	return der_out(buf, n, der, len);
}

X509 *pki_cert_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *cert;

	if (!der || len == 0 || len > CK_DP_MAX_LEN)
		return NULL;
	cert = d2i_X509(NULL, &p, (long)len);
	if (cert && (size_t)(p - der) != len) {
		X509_free(cert);
		cert = NULL;
	}
	return cert;
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

/* New v3 certificate with serial, validity, subject, issuer and key. */
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

static void hex_lower(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
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
	    !ck_device_id_valid(identity) || !pki_is_p256(dev_pub))
		goto out;
	if (!name_add(n, NID_commonName, identity) ||
	    !X509_NAME_add_entry_by_NID(n, NID_serialNumber, MBSTRING_ASC,
					(const unsigned char *)identity, -1, -1, 0))
		goto out;
	hex_lower(chip_id, CHIPKEY_CHIP_ID_LEN, hex);
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

/* The value of the only entry @nid of @name, or NULL (absent or repeated). */
static const ASN1_STRING *unique_entry(const X509_NAME *name, int nid)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);

	if (i < 0 || X509_NAME_get_index_by_NID(name, nid, i) >= 0)
		return NULL;
	return X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
}

static int string_is(const ASN1_STRING *s, const char *want)
{
	size_t n = strlen(want);

	return s && (size_t)ASN1_STRING_length(s) == n &&
	       memcmp(ASN1_STRING_get0_data(s), want, n) == 0;
}

int pki_cert_device_identity(X509 *cert, char out[CK_DP_DEVICE_ID_LEN + 1])
{
	const X509_NAME *name;
	const ASN1_STRING *cn, *sn;
	char id[CK_DP_DEVICE_ID_LEN + 1];

	if (!cert || !out)
		return -EINVAL;
	name = X509_get_subject_name(cert);
	cn = unique_entry(name, NID_commonName);
	sn = unique_entry(name, NID_serialNumber);
	if (!cn || !sn || ASN1_STRING_length(cn) != CK_DP_DEVICE_ID_LEN)
		return -EINVAL;
	memcpy(id, ASN1_STRING_get0_data(cn), CK_DP_DEVICE_ID_LEN);
	id[CK_DP_DEVICE_ID_LEN] = '\0';
	if (!ck_device_id_valid(id) || !string_is(sn, id))
		return -EINVAL;
	memcpy(out, id, sizeof(id));
	return 0;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;	/* upper case is not canonical */
}

int pki_cert_chip_id(X509 *cert, uint8_t out[CHIPKEY_CHIP_ID_LEN])
{
	GENERAL_NAMES *gens;
	int crit = 0, found = 0, err = -EINVAL;
	const size_t plen = strlen(PKI_CHIP_ID_URI_PREFIX);
	uint8_t id[CHIPKEY_CHIP_ID_LEN];

	if (!cert || !out)
		return -EINVAL;
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	if (!gens)
		return -EINVAL;	/* absent, repeated or malformed */
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *s;
		int len;

		if (g->type != GEN_URI)
			continue;
		s = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
		len = ASN1_STRING_length(g->d.uniformResourceIdentifier);
		if ((size_t)len < plen || memcmp(s, PKI_CHIP_ID_URI_PREFIX, plen))
			continue;
		if (found++ || (size_t)len != plen + 2 * CHIPKEY_CHIP_ID_LEN)
			goto out;
		for (size_t j = 0; j < CHIPKEY_CHIP_ID_LEN; j++) {
			int hi = unhex((char)s[plen + 2 * j]);
			int lo = unhex((char)s[plen + 2 * j + 1]);

			if (hi < 0 || lo < 0)
				goto out;
			id[j] = (uint8_t)(hi << 4 | lo);
		}
	}
	if (found == 1) {
		memcpy(out, id, sizeof(id));
		err = 0;
	}
out:
	GENERAL_NAMES_free(gens);
	return err;
}

time_t pki_clock_now(void)
{
	time_t t = time(NULL);

	return t < (time_t)PKI_CLOCK_FLOOR ? PKI_TIME_IGNORE : t;
}

/* Signature by the ROM key and validity at @now (not if PKI_TIME_IGNORE). */
static int verify_common(X509 *cert, const uint8_t *rom_key, size_t rom_key_len,
			 time_t now)
{
	EVP_PKEY *rom;
	int ok;

	if (!cert || !rom_key)
		return -EINVAL;
	rom = pki_public_from_der(rom_key, rom_key_len);
	if (!rom)
		return -EINVAL;
	ok = X509_verify(cert, rom);
	EVP_PKEY_free(rom);
	if (ok != 1) {
		ERR_clear_error();
		return -EKEYREJECTED;
	}
	if (now != PKI_TIME_IGNORE) {
		if (!now)
			now = time(NULL);
		switch (X509_cmp_time(X509_get0_notBefore(cert), &now)) {
		case -1:
			break;
		case 1:
			return -EKEYEXPIRED;	/* not yet valid */
		default:
			return -EINVAL;
		}
		switch (X509_cmp_time(X509_get0_notAfter(cert), &now)) {
		case 1:
			break;
		case -1:
			return -EKEYEXPIRED;
		default:
			return -EINVAL;
		}
	}
	/* An end-entity certificate with a usable P-256 key. */
	if (X509_check_ca(cert) != 0)
		return -EKEYREJECTED;
	if (!(X509_get_extension_flags(cert) & EXFLAG_KUSAGE) ||
	    !(X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE) ||
	    (X509_get_key_usage(cert) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)))
		return -EKEYREJECTED;
	if (!pki_is_p256(X509_get0_pubkey(cert)))
		return -EKEYREJECTED;
	return 0;
}

static int has_spp_role(X509 *cert)
{
	const ASN1_STRING *ou = unique_entry(X509_get_subject_name(cert),
					     NID_organizationalUnitName);

	return string_is(ou, PKI_SPP_OU) &&
	       (X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) &&
	       (X509_get_extended_key_usage(cert) & XKU_SSL_SERVER);
}

int pki_check_station_role(X509 *cert)
{
	X509_NAME *subj;
	const ASN1_STRING *ou;
	uint32_t flags;

	if (!cert)
		return -EINVAL;
	subj = X509_get_subject_name(cert);
	ou = unique_entry(subj, NID_organizationalUnitName);
	flags = X509_get_extension_flags(cert);
	if (X509_check_ca(cert) != 0 || !string_is(ou, PKI_STATION_OU) ||
	    !(flags & EXFLAG_KUSAGE) ||
	    !(X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE) ||
	    (X509_get_key_usage(cert) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) ||
	    !(flags & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT))
		return -EKEYREJECTED;
	return 0;
}

int pki_verify_device_cert(X509 *cert, const uint8_t *rom_key,
			   size_t rom_key_len, const char *identity,
			   const uint8_t *chip_id, time_t now)
{
	char id[CK_DP_DEVICE_ID_LEN + 1];
	uint8_t chip[CHIPKEY_CHIP_ID_LEN];
	int err = verify_common(cert, rom_key, rom_key_len, now);

	if (err)
		return err;
	/* Neither the SPP role nor any OU=chipkey-spp. */
	if (has_spp_role(cert) ||
	    X509_NAME_get_index_by_NID(X509_get_subject_name(cert),
				       NID_organizationalUnitName, -1) >= 0)
		return -EKEYREJECTED;
	if (pki_cert_device_identity(cert, id) || pki_cert_chip_id(cert, chip))
		return -EINVAL;
	if (identity && strcmp(identity, id) != 0)
		return -EKEYREJECTED;
	if (chip_id && CRYPTO_memcmp(chip_id, chip, sizeof(chip)) != 0)
		return -EKEYREJECTED;
	return 0;
}

int pki_verify_spp_cert(X509 *cert, const uint8_t *rom_key,
			size_t rom_key_len, time_t now)
{
	int err = verify_common(cert, rom_key, rom_key_len, now);

	if (err)
		return err;
	return has_spp_role(cert) ? 0 : -EKEYREJECTED;
}

/* --------------------------------------------------------- channel key */

int pki_channel_key(const uint8_t master[PKI_MASTER_KEY_LEN],
		    const char *identity, uint8_t out[CK_DP_CHANNEL_KEY_LEN])
{
	const size_t llen = sizeof(PKI_CHANNEL_KEY_LABEL) - 1;
	unsigned char info[sizeof(PKI_CHANNEL_KEY_LABEL) - 1 + CK_DP_DEVICE_ID_LEN];
	OSSL_PARAM params[4];
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx;
	int ok;

	if (!master || !out || !ck_device_id_valid(identity))
		return -EINVAL;
	memcpy(info, PKI_CHANNEL_KEY_LABEL, llen);
	memcpy(info + llen, identity, CK_DP_DEVICE_ID_LEN);

	kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	if (!kdf)
		return -EIO;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      (void *)master,
						      PKI_MASTER_KEY_LEN);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						      info, sizeof(info));
	params[3] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, out, CK_DP_CHANNEL_KEY_LEN, params);
	EVP_KDF_CTX_free(kctx);
	return ok == 1 ? 0 : -EIO;
}

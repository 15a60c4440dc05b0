// SPDX-License-Identifier: GPL-2.0
/*
 * Device-side PKI tests (common/pki.c): key encodings, PKCS#8 and
 * SubjectPublicKeyInfo round trips, the ROM key's padding rules, and
 * pki_cert_attest_key() on certificates without, with one good, with two,
 * and with malformed chipkeyChipAttestationKey extensions; which CRLs
 * count as of the same issuing CA for the replay guards.
 * Certificates are issued and verified in factory/tests/test-pki-issue.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errno.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "common/pki.h"
#include "common/tap.h"
#include "common/x509-issue.h"

static EVP_PKEY *p256_keygen(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static void test_keys(void)
{
	EVP_PKEY *k = p256_keygen(), *k2 = NULL, *p384, *pub = NULL;
	uint8_t *der = NULL, *der2 = NULL, *pder = NULL, pad[200];
	size_t len = 0, len2 = 0, plen = 0;

	tap_ok(k && pki_is_p256(k), "EC P-256 key pair generated");
	tap_ok(pki_private_to_pkcs8_der(k, &der, &len) == 0 && len > 0 && der[0] == 0x30,
	       "private key exported as PKCS#8 DER");
	k2 = pki_private_from_pkcs8_der(der, len);
	tap_ok(k2 && EVP_PKEY_eq(k, k2) == 1 &&
	       pki_private_to_pkcs8_der(k2, &der2, &len2) == 0 &&
	       len2 == len && memcmp(der, der2, len) == 0,
	       "PKCS#8 import gives the same key and the same bytes");
	{
		uint8_t *longer = malloc(len + 1);

		memcpy(longer, der, len);
		longer[len] = 0;
		tap_ok(!pki_private_from_pkcs8_der(longer, len + 1) &&
		       !pki_private_from_pkcs8_der(der, len - 1),
		       "PKCS#8 with a trailing byte or truncated refused");
		free(longer);
	}
	{
		/* P-256 is written without OpenSSL's encoder: the same bytes
		 * (300 keys: some with a private scalar of leading zeros) */
		int same = 0, n_keys = 300;

		for (int i = 0; i < n_keys; i++) {
			EVP_PKEY *t = p256_keygen();
			PKCS8_PRIV_KEY_INFO *p8 = t ? EVP_PKEY2PKCS8(t) : NULL;
			unsigned char *ref = NULL;
			uint8_t *mine = NULL;
			size_t mlen = 0;
			int rlen = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &ref) : -1;

			same += rlen > 0 && pki_private_to_pkcs8_der(t, &mine, &mlen) == 0 &&
				mlen == (size_t)rlen && !memcmp(mine, ref, mlen);
			pki_free_secret(mine, mlen);
			if (rlen > 0)
				OPENSSL_clear_free(ref, (size_t)rlen);
			PKCS8_PRIV_KEY_INFO_free(p8);
			EVP_PKEY_free(t);
		}
		tap_eq_int(same, n_keys, "PKCS#8 of P-256 keys: the bytes OpenSSL's encoder writes");
	}
	p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	{
		uint8_t *d384 = NULL;
		size_t l384 = 0;

		tap_ok(p384 && !pki_is_p256(p384) &&
		       pki_private_to_pkcs8_der(p384, &d384, &l384) == 0 &&
		       !pki_private_from_pkcs8_der(d384, l384),
		       "a P-384 key is refused");
		pki_free_secret(d384, l384);
	}
	tap_ok(pki_public_to_der(k, &pder, &plen) == 0 && plen == 91 &&
	       (pub = pki_public_from_der(pder, plen)) && EVP_PKEY_eq(k, pub) == 1,
	       "public key as 91-byte DER SubjectPublicKeyInfo and back");
	EVP_PKEY_free(pub);
	memset(pad, 0, sizeof(pad));
	memcpy(pad, pder, plen);
	pub = pki_public_from_der(pad, sizeof(pad));
	tap_ok(pub != NULL, "ROM key with zero padding accepted");
	EVP_PKEY_free(pub);
	pad[plen + 5] = 1;
	tap_ok(pki_public_from_der(pad, sizeof(pad)) == NULL,
	       "ROM key with non-zero bytes after the DER refused");
	OPENSSL_free(pder);
	pki_free_secret(der, len);
	pki_free_secret(der2, len2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(p384);
}

/* An extension of OID @oid (NULL: chipkeyChipAttestationKey) and value @v. */
static X509_EXTENSION *ext_of(const char *oid, const uint8_t *v, size_t len)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid ? oid : PKI_ATTEST_KEY_OID, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;

	if (o && os && ASN1_OCTET_STRING_set(os, v, (int)len))
		e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, os);
	ASN1_OBJECT_free(o);
	ASN1_OCTET_STRING_free(os);
	return e;
}

/* A self-signed certificate with the extensions @raw[0..n-1], read back
 * from its DER; then pki_cert_attest_key() of it. */
static int attest_key_of(EVP_PKEY *k, X509_EXTENSION **raw, size_t n, uint8_t q[65])
{
	X509_NAME *name = X509_NAME_new();
	struct ck_x509_req r = { .pub = k, .signer = k, .days = 1, .raw = raw, .n_raw = n };
	X509 *x;
	int rc = -999;

	if (name && ck_x509_name_add(name, NID_commonName, "attest-key test")) {
		r.subject = name;
		x = ck_x509_reparse(ck_x509_issue(&r));
		if (x)
			rc = pki_cert_attest_key(x, q);
		X509_free(x);
	}
	X509_NAME_free(name);
	for (size_t i = 0; i < n; i++)
		X509_EXTENSION_free(raw[i]);
	return rc;
}

static void test_attest_key(void)
{
	EVP_PKEY *k = p256_keygen(), *qk = p256_keygen();
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	uint8_t *spki = NULL, *s384 = NULL, bad[200], q[65];
	size_t len = 0, len384 = 0;
	X509_EXTENSION *e[2];

	if (!k || !qk || !p384 || pki_public_to_der(qk, &spki, &len) || len != 91 ||
	    pki_public_to_der(p384, &s384, &len384)) {
		tap_ok(0, "attest key: test keys");
		return;
	}
	tap_ok(attest_key_of(k, NULL, 0, q) == -ENOENT, "attest key: no extension -> -ENOENT");
	e[0] = ext_of("1.2.3.4", spki, len);
	tap_ok(attest_key_of(k, e, 1, q) == -ENOENT,
	       "attest key: the same value under another OID -> -ENOENT");
	memset(q, 0, sizeof(q));
	e[0] = ext_of(NULL, spki, len);
	tap_ok(attest_key_of(k, e, 1, q) == 0 && !memcmp(q, spki + len - 65, 65),
	       "attest key: one extension with Q's SPKI -> Q (the SPKI's last 65 bytes)");
	e[0] = ext_of(NULL, spki, len);
	e[1] = ext_of(NULL, spki, len);
	tap_ok(attest_key_of(k, e, 2, q) == -EINVAL, "attest key: two extensions -> -EINVAL");
	e[0] = ext_of(NULL, (const uint8_t *)"", 3);
	tap_ok(attest_key_of(k, e, 1, q) == -EINVAL, "attest key: a value that is not DER -> -EINVAL");
	e[0] = ext_of(NULL, spki + len - 65, 65);
	tap_ok(attest_key_of(k, e, 1, q) == -EINVAL, "attest key: the bare point, not an SPKI -> -EINVAL");
	memcpy(bad, spki, len);
	bad[len] = 0;
	e[0] = ext_of(NULL, bad, len + 1);
	tap_ok(attest_key_of(k, e, 1, q) == -EINVAL, "attest key: a byte after the SPKI -> -EINVAL");
	e[0] = ext_of(NULL, s384, len384);
	tap_ok(attest_key_of(k, e, 1, q) == -EINVAL, "attest key: a P-384 SPKI -> -EINVAL");
	memcpy(bad, spki, len);
	bad[len - 1] ^= 1;	/* y changed: no longer on the curve */
	e[0] = ext_of(NULL, bad, len);
	tap_ok(attest_key_of(k, e, 1, q) == -EINVAL, "attest key: a point off the curve -> -EINVAL");
	memcpy(bad, spki, len);
	bad[len - 65] = 0x02;	/* a compressed-point prefix on 65 bytes */
	e[0] = ext_of(NULL, bad, len);
	tap_ok(attest_key_of(k, e, 1, q) == -EINVAL, "attest key: not an uncompressed point -> -EINVAL");
	OPENSSL_free(spki);
	OPENSSL_free(s384);
	EVP_PKEY_free(k);
	EVP_PKEY_free(qk);
	EVP_PKEY_free(p384);
}

/* pki_public_from_der's verdict as OpenSSL's generic decoder gives it */
static int generic_accepts(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)len);
	int ok = k && pki_is_p256(k);

	for (size_t i = (size_t)(p - der); ok && i < len; i++)
		ok = der[i] == 0;
	EVP_PKEY_free(k);
	return ok;
}

/* The P-256 SPKI read and written without OpenSSL's decoders and encoders
 * (common/pki.c): the same bytes, keys and verdicts as the generic way. */
static void test_spki_direct(void)
{
	int same = 0, n_keys = 300, agree = 0, n_mut = 3000, direct = 0, accepted = 0;
	uint8_t *der = NULL, *cder = NULL, m[120];
	size_t len = 0, clen = 0;
	EVP_PKEY *k = p256_keygen(), *kc = NULL, *back = NULL;
	unsigned char *ref = NULL;
	int rlen;

	for (int i = 0; i < n_keys; i++) {
		EVP_PKEY *t = p256_keygen(), *r = NULL;
		unsigned char *gen = NULL;
		uint8_t *mine = NULL;
		size_t mlen = 0;
		int glen = t ? i2d_PUBKEY(t, &gen) : -1;

		if (glen > 0 && pki_public_to_der(t, &mine, &mlen) == 0 &&
		    mlen == (size_t)glen && !memcmp(mine, gen, mlen) &&
		    pki_p256_spki_point(mine, mlen) && (r = pki_public_from_der(mine, mlen))) {
			unsigned char *again = NULL;
			int alen = i2d_PUBKEY(r, &again);

			same += EVP_PKEY_eq(t, r) == 1 && alen == glen && !memcmp(again, gen, mlen);
			OPENSSL_free(again);
		}
		EVP_PKEY_free(r);
		OPENSSL_free(mine);
		OPENSSL_free(gen);
		EVP_PKEY_free(t);
	}
	tap_eq_int(same, n_keys, "P-256 SPKI: the bytes i2d_PUBKEY writes, the key d2i_PUBKEY reads");

	if (!k || pki_public_to_der(k, &der, &len) || len != PKI_P256_SPKI_LEN) {
		tap_ok(0, "SPKI: test key");
		return;
	}
	/* changed bytes, padding (zero or not), truncation, points off the
	 * curve or out of range: accepted exactly when OpenSSL's own decoder
	 * accepts */
	srand(4242);
	for (int i = 0; i < n_mut; i++) {
		size_t at = (size_t)rand() % len, mlen = len;
		EVP_PKEY *r;

		memset(m, 0, sizeof(m));
		memcpy(m, der, len);
		switch (i % 5) {
		case 0:		/* one byte changed */
			m[at] ^= (uint8_t)(1 + rand() % 255);
			break;
		case 1:		/* ROM padding, sometimes with a byte in it */
			mlen = len + 1 + (size_t)(rand() % 20);
			if (rand() % 2)
				m[len + (size_t)rand() % (mlen - len)] = (uint8_t)(1 + rand() % 255);
			break;
		case 2:		/* truncated */
			mlen = len - 1 - (size_t)(rand() % 8);
			break;
		case 3:		/* coordinates out of range, or (0, 0) */
			memset(m + len - (rand() % 2 ? 32 : 64), rand() % 2 ? 0xff : 0, 32);
			break;
		default:	/* the point's prefix byte */
			m[len - 65] = (uint8_t)rand();
			break;
		}
		r = pki_public_from_der(m, mlen);
		agree += (r != NULL) == generic_accepts(m, mlen);
		accepted += r != NULL;
		direct += pki_p256_spki_point(m, len) != NULL;
		EVP_PKEY_free(r);
	}
	tap_eq_int(agree, n_mut, "SPKI changed byte by byte: accepted exactly when d2i_PUBKEY accepts");
	tap_ok(direct > n_mut / 4 && accepted > n_mut / 10 && accepted < n_mut / 2,
	       "SPKI changes: many read directly, some accepted, most refused");

	/* another form of the same key: OpenSSL's way, both directions */
	kc = EVP_PKEY_dup(k);
	ERR_clear_error();
	ERR_raise_data(ERR_LIB_USER, 4242, "the caller's error");
	if (kc && EVP_PKEY_set_utf8_string_param(kc, "point-format", "compressed") == 1 &&
	    pki_public_to_der(kc, &cder, &clen) == 0) {
		tap_ok(ERR_GET_REASON(ERR_peek_error()) == 4242,
		       "a key not read directly: the caller's queued error is still there");
		ERR_clear_error();
		rlen = i2d_PUBKEY(kc, &ref);
		back = pki_public_from_der(cder, clen);
		tap_ok(rlen == (int)clen && clen < len && !memcmp(ref, cder, clen) && back &&
		       EVP_PKEY_eq(back, k) == 1,
		       "a compressed point: written and read by OpenSSL's own coders");
	} else {
		tap_ok(0, "a compressed point: written and read by OpenSSL's own coders");
	}
	OPENSSL_free(ref);
	OPENSSL_free(cder);
	OPENSSL_free(der);
	EVP_PKEY_free(back);
	EVP_PKEY_free(kc);
	EVP_PKEY_free(k);
}

/* pki_cert_from_der_known: the known certificate of exactly these bytes,
 * else a decode */
static void test_cert_known(void)
{
	EVP_PKEY *k = p256_keygen();
	X509_NAME *name = X509_NAME_new();
	struct ck_x509_req r = { .pub = k, .signer = k, .days = 1 };
	STACK_OF(X509) *known = sk_X509_new_null();
	X509 *x = NULL, *got = NULL, *other = NULL;
	uint8_t *der = NULL;
	size_t len = 0;

	if (name && ck_x509_name_add(name, NID_commonName, "known test")) {
		r.subject = name;
		x = ck_x509_reparse(ck_x509_issue(&r));
	}
	if (!x || !known || !sk_X509_push(known, x) || pki_cert_to_der(x, &der, &len)) {
		tap_ok(0, "known certificates: set-up");
		return;
	}
	got = pki_cert_from_der_known(der, len, known);
	tap_ok(got == x, "known certificates: the same bytes give the certificate held");
	X509_free(got);
	der[len - 1] ^= 1;	/* the signature's last byte */
	other = pki_cert_from_der_known(der, len, known);
	tap_ok(other && other != x, "known certificates: other bytes are decoded as their own");
	X509_free(other);
	other = pki_cert_from_der_known(der, len, NULL);
	tap_ok(!pki_cert_from_der_known(der, len - 1, known) && other && other != x,
	       "known certificates: truncated bytes refused; no list: decoded");
	X509_free(other);
	OPENSSL_free(der);
	sk_X509_pop_free(known, X509_free);
	X509_NAME_free(name);
	EVP_PKEY_free(k);
}

/* A CRL of issuer CN=@cn, cRLNumber @num, signed by @key, with an
 * authorityKeyIdentifier of @akid (32 bytes) or without one (NULL). */
static X509_CRL *crl_of(const char *cn, long num, EVP_PKEY *key, const uint8_t *akid)
{
	X509_CRL *crl = X509_CRL_new();
	X509_NAME *name = X509_NAME_new();
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, time(NULL));
	int ok = crl && name && n && t && X509_CRL_set_version(crl, 1) &&
		 X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn,
					    -1, -1, 0) &&
		 X509_CRL_set_issuer_name(crl, name) && X509_CRL_set1_lastUpdate(crl, t) &&
		 ASN1_INTEGER_set(n, num) && X509_CRL_add1_ext_i2d(crl, NID_crl_number, n, 0, 0);

	if (ok && akid) {
		AUTHORITY_KEYID *a = AUTHORITY_KEYID_new();

		ok = a && (a->keyid = ASN1_OCTET_STRING_new()) &&
		     ASN1_OCTET_STRING_set(a->keyid, akid, 32) &&
		     X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, a, 0, 0);
		AUTHORITY_KEYID_free(a);
	}
	ok = ok && X509_CRL_sign(crl, key, EVP_sha256()) > 0;
	X509_NAME_free(name);
	ASN1_INTEGER_free(n);
	ASN1_TIME_free(t);
	if (!ok) {
		X509_CRL_free(crl);
		return NULL;
	}
	return crl;
}

/* The replay guards' notion of "the same issuing CA" (pki_crl_same_issuer,
 * pki_crl_older). */
static void test_crl_issuer(void)
{
	static const uint8_t ka[32] = { 1 }, kb[32] = { 2 };
	EVP_PKEY *key = p256_keygen();
	X509_CRL *a5 = crl_of("issuing CA", 5, key, ka), *a3 = crl_of("issuing CA", 3, key, ka);
	X509_CRL *b1 = crl_of("issuing CA", 1, key, kb), *n3 = crl_of("issuing CA", 3, key, NULL);
	X509_CRL *o1 = crl_of("other CA", 1, key, ka);

	tap_ok(a5 && a3 && b1 && n3 && o1, "CRLs made");
	tap_ok(a5 && a3 && pki_crl_same_issuer(a3, a5) && pki_crl_older(a3, a5) &&
	       !pki_crl_older(a5, a3),
	       "CRL replay: a lower number of the same name and key is older");
	tap_ok(a5 && b1 && !pki_crl_same_issuer(b1, a5) && !pki_crl_older(b1, a5),
	       "CRL replay: the same name, another key (a rotated issuing CA): not a replay");
	tap_ok(a5 && n3 && pki_crl_same_issuer(n3, a5) && pki_crl_older(n3, a5),
	       "CRL replay: an older CRL without authorityKeyIdentifier is still a replay of a newer one with it");
	tap_ok(a5 && o1 && !pki_crl_same_issuer(o1, a5) && !pki_crl_older(o1, a5),
	       "CRL replay: another issuer name: never compared");
	X509_CRL_free(a5);
	X509_CRL_free(a3);
	X509_CRL_free(b1);
	X509_CRL_free(n3);
	X509_CRL_free(o1);
	EVP_PKEY_free(key);
}

int main(void)
{
	test_keys();
	test_crl_issuer();
	test_attest_key();
	test_spki_direct();
	test_cert_known();
	return tap_exit_status();
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device-side PKI (docs/factory-pki.md): key and certificate encodings,
 * the identity and chip ID a device certificate names, and the checks a
 * device makes of certificates against the manufacturer key in its ROM.
 * Issuing them is the factory's (factory/pki-issue.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "common/attest.h"
#include "common/hex.h"
#include "common/identity.h"
#include "common/pki.h"

/* ---------------------------------------------------------------- keys */

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

/*
 * The PKCS#8 DER of a P-256 key pair with an uncompressed public key, the
 * bytes OpenSSL 3 writes (PrivateKeyInfo, RFC 5208, around an
 * ECPrivateKey, RFC 5915, with the public key and without parameters),
 * written directly: EVP_PKEY2PKCS8() sets up an OSSL_ENCODER for every key
 * (about 70 us).  test-pki compares the two.  1 and the DER, or 0: not
 * such a key, take the generic way.
 */
#define P256_PKCS8_LEN 138
static int p256_pkcs8(const EVP_PKEY *pkey, uint8_t **der, size_t *len)
{
	static const uint8_t head[] = {
		0x30, 0x81, 0x87, 0x02, 0x01, 0x00,		/* PrivateKeyInfo, v1 */
		0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
		0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01,	/* ECPrivateKey, 1 */
		0x04, 0x20,					/* d */
	};
	static const uint8_t pub_head[] = { 0xa1, 0x44, 0x03, 0x42, 0x00 };
	uint8_t point[65], *out;
	BIGNUM *d = NULL;
	size_t plen = 0;
	int ok;

	if (!pki_is_p256(pkey) ||
	    EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
					    sizeof(point), &plen) != 1 ||
	    plen != sizeof(point) || point[0] != 0x04 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) {
		BN_clear_free(d);
		ERR_clear_error();
		return 0;
	}
	out = OPENSSL_malloc(P256_PKCS8_LEN);
	ok = out && BN_bn2binpad(d, out + sizeof(head), 32) == 32;
	BN_clear_free(d);
	if (!ok) {
		OPENSSL_clear_free(out, P256_PKCS8_LEN);
		return 0;
	}
	memcpy(out, head, sizeof(head));
	memcpy(out + sizeof(head) + 32, pub_head, sizeof(pub_head));
	memcpy(out + sizeof(head) + 32 + sizeof(pub_head), point, sizeof(point));
	*der = out;
	*len = P256_PKCS8_LEN;
	return 1;
}

int pki_private_to_pkcs8_der(const EVP_PKEY *pkey, uint8_t **der, size_t *len)
{
	PKCS8_PRIV_KEY_INFO *p8;
	unsigned char *buf = NULL;
	int n;

	if (!pkey || !der || !len)
		return -EINVAL;
	if (p256_pkcs8(pkey, der, len))
		return 0;
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

/*
 * The DER SubjectPublicKeyInfo of a P-256 public key (RFC 5480:
 * id-ecPublicKey, namedCurve prime256v1, the uncompressed point) is this
 * head and the 65-byte point.  OpenSSL 3.0 decodes and encodes every SPKI
 * through an OSSL_DECODER / OSSL_ENCODER it sets up anew (about 110 us,
 * more than an ECDSA verification, and under its global locks): keys of
 * exactly this form are read and written directly, every other form the
 * generic way.  test-pki compares both ways.
 */
static const uint8_t p256_spki_head[] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};

void pki_p256_spki(const uint8_t point[CHIPKEY_EC_POINT_LEN], uint8_t out[PKI_P256_SPKI_LEN])
{
	memcpy(out, p256_spki_head, sizeof(p256_spki_head));
	memcpy(out + sizeof(p256_spki_head), point, CHIPKEY_EC_POINT_LEN);
}

const uint8_t *pki_p256_spki_point(const uint8_t *der, size_t len)
{
	if (!der || len != PKI_P256_SPKI_LEN ||
	    memcmp(der, p256_spki_head, sizeof(p256_spki_head)) ||
	    der[sizeof(p256_spki_head)] != 0x04)	/* uncompressed */
		return NULL;
	return der + sizeof(p256_spki_head);
}

/* 1 and the DER of @pkey if it is a P-256 key with a named curve and an
 * uncompressed point (what i2d_PUBKEY writes then), else 0 */
static int p256_spki(const EVP_PKEY *pkey, uint8_t **der, size_t *len)
{
	uint8_t point[CHIPKEY_EC_POINT_LEN], *out;
	char enc[32], form[32];
	int ok;

	if (!pki_is_p256(pkey))
		return 0;
	ERR_set_mark();		/* the caller's errors stay; ours go */
	ok = EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, enc,
					    sizeof(enc), NULL) == 1 &&
	     !strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) &&
	     EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
					    form, sizeof(form), NULL) == 1 &&
	     !strcmp(form, OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) &&
	     !ck_att_pkey_to_pub(pkey, point);
	ERR_pop_to_mark();
	if (!ok)
		return 0;
	out = OPENSSL_malloc(PKI_P256_SPKI_LEN);
	if (!out)
		return 0;
	pki_p256_spki(point, out);
	*der = out;
	*len = PKI_P256_SPKI_LEN;
	return 1;
}

int pki_public_to_der(const EVP_PKEY *pkey, uint8_t **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n;

	if (!pkey || !der || !len)
		return -EINVAL;
	if (p256_spki(pkey, der, len))
		return 0;
	n = i2d_PUBKEY(pkey, &buf);
	return der_out(buf, n, der, len);
}

EVP_PKEY *pki_public_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey;

	if (!der || len == 0 || len > 4096)
		return NULL;
	if (len >= PKI_P256_SPKI_LEN && pki_p256_spki_point(der, PKI_P256_SPKI_LEN)) {
		/* the point checked as d2i_PUBKEY checks it (on the curve,
		 * coordinates below p, not infinity) */
		p = der + PKI_P256_SPKI_LEN;
		if (ck_att_pub_to_pkey(der + sizeof(p256_spki_head), &pkey))
			return NULL;
	} else {
		pkey = d2i_PUBKEY(NULL, &p, (long)len);
	}
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

X509 *pki_cert_from_der_known(const uint8_t *der, size_t len, STACK_OF(X509) *known)
{
	if (!der || len == 0 || len > CK_DP_MAX_LEN)
		return NULL;
	for (int i = 0; i < sk_X509_num(known); i++) {
		X509 *x = sk_X509_value(known, i);
		unsigned char *enc = NULL;
		int n = i2d_X509(x, &enc);
		int same = n > 0 && (size_t)n == len && !memcmp(enc, der, len);

		OPENSSL_free(enc);
		if (same && X509_up_ref(x))
			return x;
	}
	return pki_cert_from_der(der, len);
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
	if (!ck_identity_valid(id) || !string_is(sn, id))
		return -EINVAL;
	memcpy(out, id, sizeof(id));
	return 0;
}

/*
 * The chip ID in @hex (2 * CHIPKEY_CHIP_ID_LEN digits, not NUL-terminated),
 * only in its canonical lowercase spelling.  0 or -EINVAL.
 */
static int chip_id_from_uri_hex(const unsigned char *hex,
				uint8_t out[CHIPKEY_CHIP_ID_LEN])
{
	char canon[2 * CHIPKEY_CHIP_ID_LEN + 1];

	if (ck_hex_decode_n((const char *)hex, out, CHIPKEY_CHIP_ID_LEN))
		return -EINVAL;
	ck_hex_encode(out, CHIPKEY_CHIP_ID_LEN, canon);
	return memcmp(canon, hex, 2 * CHIPKEY_CHIP_ID_LEN) ? -EINVAL : 0;
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
		if (chip_id_from_uri_hex(s + plen, id))
			goto out;
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

/* The validity period of @cert contains @now (not checked if PKI_TIME_IGNORE). */
static int check_validity(X509 *cert, time_t now)
{
	if (now == PKI_TIME_IGNORE)
		return 0;
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
		return 0;
	case -1:
		return -EKEYEXPIRED;
	default:
		return -EINVAL;
	}
}

int pki_check_validity(X509 *cert, time_t now)
{
	return cert ? check_validity(cert, now) : -EINVAL;
}

int pki_asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return -EINVAL;
	*out = timegm(&tm);
	return 0;
}

int pki_certs_sha256(X509 *first, STACK_OF(X509) *rest, uint8_t key[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 ? 0 : -EIO;

	if (!first)
		rc = -EINVAL;
	for (int i = -1; !rc && i < sk_X509_num(rest); i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(i < 0 ? first : sk_X509_value(rest, i), &der);
		uint8_t n[4] = { len >> 24, len >> 16, len >> 8, len };

		if (len <= 0)
			rc = -EINVAL;
		else if (EVP_DigestUpdate(md, n, 4) != 1 ||
			 EVP_DigestUpdate(md, der, (size_t)len) != 1)
			rc = -EIO;
		OPENSSL_free(der);
	}
	if (!rc && EVP_DigestFinal_ex(md, key, NULL) != 1)
		rc = -EIO;
	EVP_MD_CTX_free(md);
	return rc;
}

int pki_check_role(X509 *cert, const char *ou)
{
	uint32_t ku;

	if (!cert || !ou)
		return -EKEYREJECTED;
	ku = X509_get_key_usage(cert);
	if (X509_check_ca(cert) != 0 ||
	    !(X509_get_extension_flags(cert) & EXFLAG_KUSAGE) ||
	    !(ku & KU_DIGITAL_SIGNATURE) || (ku & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) ||
	    !pki_is_p256(X509_get0_pubkey(cert)) ||
	    !string_is(unique_entry(X509_get_subject_name(cert), NID_organizationalUnitName), ou))
		return -EKEYREJECTED;
	return 0;
}

/* 1 if @cert's signature verifies with @key. */
static int signed_by(X509 *cert, EVP_PKEY *key)
{
	int ok = key && X509_verify(cert, key) == 1;

	ERR_clear_error();
	return ok;
}

/*
 * Issuing CA certificates whose signature by a root key verified.  A device
 * checks the same issuing CA under its ROM key twice per provisioning (the
 * SPP's credential, then its own certificate) and again at every load and
 * recovery.  Remembered: only that the signature verified, keyed by the
 * SHA-256 of the root's P-256 point and the certificate as i2d_X509 gives
 * it (the signed part's bytes as decoded, the signature algorithm and
 * value: what X509_verify checks), never a refusal; the validity, the CA
 * rules and every other check still run each time.  One memo for the
 * process (the service's link threads share it), except in a thread that
 * called pki_sig_memo_forget(): it has its own from then on.
 */
#define SIG_MEMO 8
struct sig_memo {
	struct {
		uint8_t key[32];
		int used;
	} e[SIG_MEMO];
	unsigned int next;
};
static struct sig_memo sig_memo_shared;		/* under sig_memo_lock */
static pthread_mutex_t sig_memo_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local struct sig_memo sig_memo_own;
static _Thread_local int sig_memo_is_own;

void pki_sig_memo_forget(void)
{
	OPENSSL_cleanse(&sig_memo_own, sizeof(sig_memo_own));
	sig_memo_is_own = 1;
}

/* The calling thread's memo (its own, or the process's, then locked until
 * memo_put) */
static struct sig_memo *memo_get(void)
{
	if (sig_memo_is_own)
		return &sig_memo_own;
	pthread_mutex_lock(&sig_memo_lock);
	return &sig_memo_shared;
}

static void memo_put(struct sig_memo *m)
{
	if (m == &sig_memo_shared)
		pthread_mutex_unlock(&sig_memo_lock);
}

static int memo_has(const struct sig_memo *m, const uint8_t key[32])
{
	int found = 0;

	for (int i = 0; i < SIG_MEMO && !found; i++)
		found = m->e[i].used && !CRYPTO_memcmp(m->e[i].key, key, sizeof(m->e[i].key));
	return found;
}

static void memo_add(struct sig_memo *m, const uint8_t key[32])
{
	memcpy(m->e[m->next].key, key, sizeof(m->e[0].key));
	m->e[m->next].used = 1;
	m->next = (m->next + 1) % SIG_MEMO;
}

/* 0 and the memo key of @cert under @key, or -1 (not remembered then) */
static int sig_memo_key(X509 *cert, EVP_PKEY *key, uint8_t out[32])
{
	uint8_t point[CHIPKEY_EC_POINT_LEN];
	unsigned char *der = NULL;
	int n, rc = -1;
	EVP_MD_CTX *md;

	/* the point alone names a key only on a known curve: P-256 roots
	 * (ck_att_pkey_to_pub refuses any other) */
	ERR_set_mark();
	n = ck_att_pkey_to_pub(key, point);
	ERR_pop_to_mark();
	if (n)
		return -1;
	n = i2d_X509(cert, &der);
	md = EVP_MD_CTX_new();
	if (n > 0 && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, point, sizeof(point)) == 1 &&
	    EVP_DigestUpdate(md, der, (size_t)n) == 1 &&
	    EVP_DigestFinal_ex(md, out, NULL) == 1)
		rc = 0;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return rc;
}

/* signed_by() of an issuing CA by a root key, remembered when it verifies */
static int ca_signed_by(X509 *ica, EVP_PKEY *rom)
{
	uint8_t key[32];
	int have = !sig_memo_key(ica, rom, key), ok = 0;
	struct sig_memo *m;

	if (have) {
		m = memo_get();
		ok = memo_has(m, key);
		memo_put(m);
		if (ok)
			return 1;
	}
	ok = signed_by(ica, rom);
	if (ok && have) {
		m = memo_get();
		memo_add(m, key);
		memo_put(m);
	}
	return ok;
}

/* pki_verify_issuing_ca with the ROM key decoded (@rom); @sig_done: the
 * signature of @ica by @rom was verified already (pki_verify_device_cert_chained) */
static int verify_issuing_ca(X509 *ica, EVP_PKEY *rom, time_t now, int sig_done)
{
	int err;

	if (!sig_done && !ca_signed_by(ica, rom))
		return -EKEYREJECTED;
	err = check_validity(ica, now);
	if (err)
		return err;
	/* a CA that may issue end entities only */
	if (X509_check_ca(ica) != 1 || X509_get_pathlen(ica) != 0 ||
	    !(X509_get_extension_flags(ica) & EXFLAG_KUSAGE) ||
	    !(X509_get_key_usage(ica) & KU_KEY_CERT_SIGN) ||
	    !pki_is_p256(X509_get0_pubkey(ica)))
		return -EKEYREJECTED;
	return 0;
}

int pki_verify_issuing_ca(X509 *ica, const uint8_t *rom_key, size_t rom_key_len,
			  time_t now)
{
	EVP_PKEY *rom;
	int err;

	if (!ica || !rom_key)
		return -EINVAL;
	rom = pki_public_from_der(rom_key, rom_key_len);
	if (!rom)
		return -EINVAL;
	err = verify_issuing_ca(ica, rom, now, 0);
	EVP_PKEY_free(rom);
	return err;
}

/* @ica is a valid issuing CA under the ROM key @rom (a P-256 key), @cert
 * is issued and signed by it (@ica NULL: signed by the ROM key itself),
 * valid at @now (not if PKI_TIME_IGNORE), an end entity.  @sigs_done: the
 * signatures (of @cert by @ica, of @ica by @rom; of @cert by @rom without
 * @ica) were verified already; every other check is made. */
static int verify_common(X509 *cert, X509 *ica, EVP_PKEY *rom, time_t now, int sigs_done)
{
	int err;

	if (!cert || !rom)
		return -EINVAL;
	if (ica) {
		err = verify_issuing_ca(ica, rom, now, sigs_done);
		if (err)
			return err;
		if (X509_check_issued(ica, cert) != X509_V_OK ||
		    (!sigs_done && !signed_by(cert, X509_get0_pubkey(ica))))
			return -EKEYREJECTED;
	} else if (!sigs_done && !signed_by(cert, rom)) {
		/* issued by the root itself (before the key hierarchy) */
		return -EKEYREJECTED;
	}
	err = check_validity(cert, now);
	if (err)
		return err;
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

/* verify_common with the ROM key as DER SPKI */
static int verify_common_der(X509 *cert, X509 *ica, const uint8_t *rom_key,
			     size_t rom_key_len, time_t now)
{
	EVP_PKEY *rom;
	int err;

	if (!cert || !rom_key)
		return -EINVAL;
	rom = pki_public_from_der(rom_key, rom_key_len);
	if (!rom)
		return -EINVAL;
	err = verify_common(cert, ica, rom, now, 0);
	EVP_PKEY_free(rom);
	return err;
}

/* A TLS server role: exactly one OU, @role, and EKU serverAuth. */
static int has_server_role(X509 *cert, const char *role)
{
	const ASN1_STRING *ou = unique_entry(X509_get_subject_name(cert),
					     NID_organizationalUnitName);

	return string_is(ou, role) &&
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

/* The device role of pki_verify_device_cert, after verify_common. */
static int device_role(X509 *cert, const char *identity, const uint8_t *chip_id)
{
	char id[CK_DP_DEVICE_ID_LEN + 1];
	uint8_t chip[CHIPKEY_CHIP_ID_LEN];

	/* Neither the SPP role nor any OU=chipkey-spp. */
	if (has_server_role(cert, PKI_SPP_OU) ||
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

int pki_verify_device_cert(X509 *cert, X509 *ica, const uint8_t *rom_key,
			   size_t rom_key_len, const char *identity,
			   const uint8_t *chip_id, time_t now)
{
	int err = verify_common_der(cert, ica, rom_key, rom_key_len, now);

	return err ? err : device_role(cert, identity, chip_id);
}

int pki_verify_device_cert_key(X509 *cert, X509 *ica, EVP_PKEY *root,
			       const char *identity, const uint8_t *chip_id, time_t now)
{
	int err;

	/* what pki_public_from_der accepts of a ROM key: P-256 only */
	if (!root || !pki_is_p256(root))
		return -EINVAL;
	err = verify_common(cert, ica, root, now, 0);
	return err ? err : device_role(cert, identity, chip_id);
}

int pki_verify_device_cert_chained(STACK_OF(X509) *chain, const char *identity,
				   const uint8_t *chip_id, time_t now)
{
	int n = chain ? sk_X509_num(chain) : 0;
	X509 *cert, *root, *ica;
	int err;

	/* exactly leaf, issuing CA, root (or leaf, root): the chain whose
	 * signatures verify_common would verify, one by one */
	if (n != 2 && n != 3)
		return -EKEYREJECTED;
	cert = sk_X509_value(chain, 0);
	root = sk_X509_value(chain, n - 1);
	ica = n == 3 ? sk_X509_value(chain, 1) : NULL;
	if (!pki_is_p256(X509_get0_pubkey(root)))
		return -EINVAL;
	err = verify_common(cert, ica, X509_get0_pubkey(root), now, 1);
	return err ? err : device_role(cert, identity, chip_id);
}

/* A TLS server credential of the role @ou under an issuing CA. */
static int verify_server(X509 *cert, X509 *ica, const uint8_t *rom_key,
			 size_t rom_key_len, time_t now, const char *ou)
{
	int err;

	/* never signed by the root itself: a pre-hierarchy SPP certificate
	 * (its key online for years) could not be revoked by any CRL */
	if (!ica)
		return cert ? -EKEYREJECTED : -EINVAL;
	err = verify_common_der(cert, ica, rom_key, rom_key_len, now);
	if (err)
		return err;
	return has_server_role(cert, ou) ? 0 : -EKEYREJECTED;
}

int pki_verify_record_signer(X509 *cert, X509 *ica, const uint8_t *rom_key,
			     size_t rom_key_len, time_t now)
{
	int err;

	if (!ica)	/* one signed by the root itself could not be revoked */
		return cert ? -EKEYREJECTED : -EINVAL;
	err = verify_common_der(cert, ica, rom_key, rom_key_len, now);
	if (err)
		return err;
	return string_is(unique_entry(X509_get_subject_name(cert), NID_organizationalUnitName),
			 PKI_RECORD_OU) ? 0 : -EKEYREJECTED;
}

int pki_verify_spp_cert(X509 *cert, X509 *ica, const uint8_t *rom_key,
			size_t rom_key_len, time_t now)
{
	return verify_server(cert, ica, rom_key, rom_key_len, now, PKI_SPP_OU);
}

int pki_verify_service_cert(X509 *cert, X509 *ica, const uint8_t *rom_key,
			    size_t rom_key_len, time_t now)
{
	return verify_server(cert, ica, rom_key, rom_key_len, now, PKI_SERVICE_OU);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The attestation derivations (common/attest.h): both sides agree, bad
 * points are refused, and the published vectors of the independent Python
 * oracle (docs/test-vectors/attest-v1.txt, scripts/ck_attest_oracle.py) are
 * reproduced.  Usage: test-attest [VECTOR_FILE]
 * (default ../docs/test-vectors/attest-v1.txt, run from userspace/).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chipkey/backup_package.h>

#include "common/attest.h"
#include "common/hex.h"
#include "common/pki.h"
#include "common/tap.h"

static const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN] = {
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};
static uint8_t chip_key[CHIPKEY_CHIP_KEY_LEN];

/* P-256 field prime p and the base point G (SEC 2), big endian hex. */
static const char P_HEX[] =
	"ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
static const char GX_HEX[] =
	"6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";
static const char GY_HEX[] =
	"4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

/* (0, Y0) is on P-256 */
static const char ZERO_HEX[] =
	"0000000000000000000000000000000000000000000000000000000000000000";
static const char Y0_HEX[] =
	"66485c780e2f83d72433bd5d84a06bb6541c2af31dae871728bf856a174f93f4";

static void mkpoint(uint8_t pt[65], uint8_t prefix, const char *x, const char *y)
{
	pt[0] = prefix;
	ck_hex_decode(x, pt + 1, 32);
	ck_hex_decode(y, pt + 33, 32);
}

/* RFC 5869 test case 3 (salt empty = HashLen zero bytes, info empty). */
static void test_hkdf_rfc5869(void)
{
	uint8_t ikm[22], okm[32], want[32];

	memset(ikm, 0x0b, sizeof(ikm));
	ck_hex_decode("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d",
		      want, 32);
	tap_ok(ck_att_hkdf(ikm, sizeof(ikm), (const uint8_t *)"", 0, okm) == 0 &&
	       !memcmp(okm, want, 32), "HKDF-SHA256 with zero salt = RFC 5869 case 3");
}

/* The SubjectPublicKeyInfo of @k is the standard P-256 one of @pt. */
static int spki_is(EVP_PKEY *k, const uint8_t pt[65])
{
	uint8_t want[PKI_P256_SPKI_LEN];
	unsigned char *der = NULL;
	int n = k ? i2d_PUBKEY(k, &der) : -1, ok;

	pki_p256_spki(pt, want);
	ok = n == PKI_P256_SPKI_LEN && !memcmp(der, want, sizeof(want));
	OPENSSL_free(der);
	return ok;
}

static int has_private(EVP_PKEY *k)
{
	BIGNUM *d = NULL;
	int has = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1;

	BN_clear_free(d);
	return has;
}

/* Keys made from the P-256 template: a public key is exactly the point
 * given (no private half, the template untouched), a generated key is an
 * ordinary P-256 key pair, two never the same. */
static void test_template_keys(void)
{
	EVP_PKEY *ref1 = EVP_EC_gen("P-256"), *ref2 = EVP_EC_gen("P-256");
	EVP_PKEY *p1 = NULL, *p2 = NULL, *g1 = ck_att_p256_keygen(), *g2 = ck_att_p256_keygen();
	uint8_t pt1[65], pt2[65], out[65], q1[65], q2[65], z1[32], z2[32];
	char group[32];
	size_t glen = 0;

	tap_ok(ref1 && ref2 && !ck_att_pkey_to_pub(ref1, pt1) && !ck_att_pkey_to_pub(ref2, pt2),
	       "template: reference keys by EVP_EC_gen");
	tap_ok(!ck_att_pub_to_pkey(pt1, &p1) && !ck_att_pub_to_pkey(pt2, &p2),
	       "template: two public keys made");
	tap_ok(p1 && EVP_PKEY_eq(p1, ref1) == 1 && spki_is(p1, pt1) &&
	       !ck_att_pkey_to_pub(p1, out) && !memcmp(out, pt1, 65),
	       "template: the public key is the point given (equal to the reference key, same SPKI)");
	tap_ok(p2 && EVP_PKEY_eq(p2, ref2) == 1 && EVP_PKEY_eq(p1, p2) != 1 &&
	       !ck_att_pkey_to_pub(p1, out) && !memcmp(out, pt1, 65),
	       "template: a second key has its own point, the first keeps its own");
	tap_ok(p1 && !has_private(p1) && !has_private(p2), "template: a public key has no private half");
	tap_ok(g1 && g2 && has_private(g1) && has_private(g2) &&
	       !ck_att_pkey_to_pub(g1, q1) && !ck_att_pkey_to_pub(g2, q2) && memcmp(q1, q2, 65) &&
	       memcmp(q1 + 1, "\x6b\x17\xd1\xf2", 4) && spki_is(g1, q1) && spki_is(g2, q2),
	       "template keygen: two P-256 key pairs, different, neither the generator, standard SPKI");
	tap_ok(g1 && EVP_PKEY_get_utf8_string_param(g1, OSSL_PKEY_PARAM_GROUP_NAME, group,
						      sizeof(group), &glen) == 1 &&
	       !strcmp(group, "prime256v1"), "template keygen: named curve prime256v1");
	tap_ok(g1 && g2 && !ck_att_ecdh(g1, q2, z1) && !ck_att_ecdh(g2, q1, z2) &&
	       !memcmp(z1, z2, sizeof(z1)) && !ck_att_ecdh(ref1, q1, z2) && memcmp(z1, z2, sizeof(z1)),
	       "template keygen: ECDH agrees both ways, and differs with another key");
	EVP_PKEY_free(ref1);
	EVP_PKEY_free(ref2);
	EVP_PKEY_free(p1);
	EVP_PKEY_free(p2);
	EVP_PKEY_free(g1);
	EVP_PKEY_free(g2);
}

/* One thread of test_template_threads: @arg is its own point (65 bytes);
 * returns how many of its keys did not hold exactly that point.  It starts
 * when the main thread lets go of template_gate, and only if every thread
 * was made (a barrier would strand the others if one pthread_create failed). */
static pthread_rwlock_t template_gate = PTHREAD_RWLOCK_INITIALIZER;
static int template_go;

static void *template_thread(void *arg)
{
	const uint8_t *pt = arg;
	uintptr_t bad = 0;
	int go;

	pthread_rwlock_rdlock(&template_gate);
	go = template_go;
	pthread_rwlock_unlock(&template_gate);
	if (!go)
		return NULL;
	for (int i = 0; i < 2000; i++) {
		EVP_PKEY *k = NULL, *g = i % 50 ? NULL : ck_att_p256_keygen();
		uint8_t out[65];

		if (ck_att_pub_to_pkey(pt, &k) || ck_att_pkey_to_pub(k, out) ||
		    memcmp(out, pt, 65) || has_private(k) || (i % 50 == 0 && !g))
			bad++;
		EVP_PKEY_free(k);
		EVP_PKEY_free(g);
	}
	return (void *)bad;
}

/* The template is shared by every thread and never written: 4 threads, each
 * with its own point, all get exactly their point (a template written, then
 * copied, gave tens of thousands of wrong keys this way), and G is still G. */
static void test_template_threads(void)
{
	uint8_t pts[4][65], out[65];
	pthread_t th[4];
	uintptr_t bad = 0;
	EVP_PKEY *k = NULL;
	int made = 1, n = 0;

	for (int i = 0; i < 4; i++) {
		EVP_PKEY *r = EVP_EC_gen("P-256");

		made = made && r && !ck_att_pkey_to_pub(r, pts[i]);
		EVP_PKEY_free(r);
	}
	/* all four start together, once all four exist; those made are joined */
	if (made && !pthread_rwlock_wrlock(&template_gate)) {
		while (n < 4 && !pthread_create(&th[n], NULL, template_thread, pts[n]))
			n++;
		made = n == 4;
		template_go = made;
		pthread_rwlock_unlock(&template_gate);
	} else {
		made = 0;
	}
	for (int i = 0; i < n; i++) {
		void *b;

		pthread_join(th[i], &b);
		bad += (uintptr_t)b;
	}
	tap_ok(made && bad == 0, "template: 4 threads x 2000 public keys (and 40 key pairs each), "
	       "each key exactly its thread's point (%lu wrong)", (unsigned long)bad);
	mkpoint(pts[0], 0x04, GX_HEX, GY_HEX);
	tap_ok(!ck_att_pub_to_pkey(pts[0], &k) && !ck_att_pkey_to_pub(k, out) &&
	       !memcmp(out, pts[0], 65), "template: G after all of them is still G");
	EVP_PKEY_free(k);
}

static void test_bad_points(const struct ck_att_key *a)
{
	uint8_t pt[65], mac[32];
	EVP_PKEY *pk;
	int ret;

	mkpoint(pt, 0x04, GX_HEX, GY_HEX);
	ret = ck_att_pub_to_pkey(pt, &pk);
	tap_ok(ret == 0 && pk, "G is accepted");
	EVP_PKEY_free(pk);

	mkpoint(pt, 0x00, GX_HEX, GY_HEX);
	tap_eq_int(ck_att_pub_to_pkey(pt, &pk), -EINVAL, "0x00 prefix refused");
	mkpoint(pt, 0x02, GX_HEX, GY_HEX);
	tap_eq_int(ck_att_pub_to_pkey(pt, &pk), -EINVAL, "0x02 (compressed) prefix refused");
	memset(pt, 0, sizeof(pt));
	pt[0] = 0x04;
	tap_eq_int(ck_att_pub_to_pkey(pt, &pk), -EINVAL, "(0,0) refused");
	mkpoint(pt, 0x04, P_HEX, GY_HEX);
	tap_eq_int(ck_att_pub_to_pkey(pt, &pk), -EINVAL, "x = p refused");
	/* (0, y0) is on the curve, so (p, y0) is refused only for x >= p */
	mkpoint(pt, 0x04, ZERO_HEX, Y0_HEX);
	ret = ck_att_pub_to_pkey(pt, &pk);
	tap_ok(ret == 0 && pk, "(0, y0) is a point and is accepted");
	EVP_PKEY_free(pk);
	mkpoint(pt, 0x04, P_HEX, Y0_HEX);
	tap_eq_int(ck_att_pub_to_pkey(pt, &pk), -EINVAL, "(p, y0) refused: x >= p");
	/* x = Gx + p does not fit 32 bytes; y = Gy + p would: check y >= p */
	mkpoint(pt, 0x04, GX_HEX, P_HEX);
	tap_eq_int(ck_att_pub_to_pkey(pt, &pk), -EINVAL, "y = p refused");
	memset(pt + 1, 0xff, 64);
	tap_eq_int(ck_att_pub_to_pkey(pt, &pk), -EINVAL, "x, y = 2^256-1 refused");
	mkpoint(pt, 0x04, GX_HEX, GY_HEX);
	pt[64] ^= 1;
	tap_eq_int(ck_att_pub_to_pkey(pt, &pk), -EINVAL, "point off the curve refused");
	{
		EVP_PKEY *priv = EVP_EC_gen("P-256");
		uint8_t z[CK_ATT_SECRET_LEN], zero[65] = { 0x04 };

		tap_ok(priv && ck_att_ecdh(priv, pt, z) == -EINVAL &&
		       ck_att_ecdh(priv, zero, z) == -EINVAL,
		       "ECDH with a point off the curve or (0,0): EINVAL");
		EVP_PKEY_free(priv);
	}
	tap_eq_int(ck_att_attest(a, pt, "x", 1, mac), -EINVAL, "ATTEST with off-curve V: EINVAL");
	memset(pt, 0, sizeof(pt));
	pt[0] = 0x04;
	tap_eq_int(ck_att_attest(a, pt, "x", 1, mac), -EINVAL, "ATTEST with (0,0): EINVAL");
}

static void test_chip_key(struct ck_att_key *a)
{
	struct ck_att_key b;
	uint8_t k[32], pub[65];
	EVP_PKEY *pk;
	int ret;

	ret = ck_att_key_init(a, chip_id, chip_key);
	tap_ok(ret == 0, "attestation key derived (%d)", ret);
	tap_ok(ck_att_scalar(chip_id, chip_key, k) == 0 && ck_att_scalar_ok(k),
	       "scalar in range both ways");
	ret = ck_att_key_from_scalar(k, &pk, pub);
	tap_ok(ret == 0 && !memcmp(pub, a->pub, 65), "Q of the scalar = Q of the key");
	EVP_PKEY_free(pk);
	OPENSSL_cleanse(k, sizeof(k));
	tap_ok(ck_att_pkey_to_pub(a->priv, pub) == 0 && !memcmp(pub, a->pub, 65),
	       "private key's public point is Q");
	tap_ok(ck_att_key_init(&b, chip_id, chip_key) == 0 &&
	       !memcmp(b.pub, a->pub, 65), "derivation is deterministic");
	ck_att_key_free(&b);
	chip_key[0] ^= 1;
	tap_ok(ck_att_key_init(&b, chip_id, chip_key) == 0 &&
	       memcmp(b.pub, a->pub, 65), "another chip key, another Q");
	ck_att_key_free(&b);
	chip_key[0] ^= 1;
	memset(k, 0, sizeof(k));
	tap_eq_int(ck_att_key_from_scalar(k, &pk, pub), -EINVAL, "scalar 0 refused");
}

static void test_parse_pub(const struct ck_att_key *a)
{
	uint8_t pub[65], raw[65];
	char hex[131], *pem;
	size_t len;
	uint8_t *der = NULL;
	int ret;

	memcpy(raw, a->pub, 65);
	tap_ok(ck_att_parse_pub(raw, 65, pub) == 0 && !memcmp(pub, a->pub, 65),
	       "parse: 65 raw bytes");
	ck_hex_encode(a->pub, 65, hex);
	tap_ok(ck_att_parse_pub((uint8_t *)hex, 130, pub) == 0 &&
	       !memcmp(pub, a->pub, 65), "parse: 130 hex digits");
	ret = ck_att_pub_to_pem(a->pub, &pem, &len);
	tap_ok(ret == 0 && ck_att_parse_pub((uint8_t *)pem, len, pub) == 0 &&
	       !memcmp(pub, a->pub, 65), "parse: PEM SPKI");
	if (!ret) {
		EVP_PKEY *pk;

		ck_att_pub_to_pkey(a->pub, &pk);
		ret = i2d_PUBKEY(pk, &der);
		tap_ok(ret > 0 && ck_att_parse_pub(der, (size_t)ret, pub) == 0 &&
		       !memcmp(pub, a->pub, 65), "parse: DER SPKI");
		OPENSSL_free(der);
		EVP_PKEY_free(pk);
		free(pem);
	}
	raw[64] ^= 1;
	tap_eq_int(ck_att_parse_pub(raw, 65, pub), -EINVAL, "parse: off-curve raw point refused");
	tap_eq_int(ck_att_parse_pub((const uint8_t *)"hello", 5, pub), -EINVAL,
		   "parse: garbage refused");
}

static void test_attest(const struct ck_att_key *a)
{
	uint8_t v[65], chip_mac[32], want[32], ctx[CHIPKEY_MAX_CONTEXT + 1];
	EVP_PKEY *eph;

	memset(ctx, 'c', sizeof(ctx));
	tap_ok(ck_att_ephemeral(&eph, v) == 0, "ephemeral key");
	tap_ok(ck_att_attest(a, v, ctx, 256, chip_mac) == 0 &&
	       ck_att_expected_attest(eph, a->pub, chip_id, ctx, 256, want) == 0 &&
	       !memcmp(chip_mac, want, 32), "ATTEST: chip MAC = verifier's expected MAC");
	tap_ok(ck_att_attest(a, v, NULL, 0, chip_mac) == 0 &&
	       ck_att_expected_attest(eph, a->pub, chip_id, NULL, 0, want) == 0 &&
	       !memcmp(chip_mac, want, 32), "ATTEST: empty context");
	tap_ok(ck_att_expected_attest(eph, a->pub, chip_id, "x", 1, want) == 0 &&
	       memcmp(chip_mac, want, 32), "ATTEST: another context, another MAC");
	tap_eq_int(ck_att_attest(a, v, ctx, 257, chip_mac), -EMSGSIZE, "ATTEST: context 257 refused");
	EVP_PKEY_free(eph);
}

static void test_seal(const struct ck_att_key *a)
{
	static uint8_t in[1000], sealed[1000 + CHIPKEY_SEAL_OVERHEAD], plain[1000];
	static uint8_t backup[1000 + CHIPKEY_PKG_OVERHEAD];
	uint8_t k2[32], mac[32];
	struct ck_pkg_header bh = { .version = CK_PKG_VERSION,
				    .alg = CK_PKG_ALG_HKDF_SHA256_AES256GCM,
				    .generation = 5, .payload_len = 1000 };
	struct ck_seal_header h;
	EVP_PKEY *eph;
	size_t n = sizeof(in), i;
	int ret, bad = 0;

	for (i = 0; i < n; i++)
		in[i] = (uint8_t)(i * 7);
	/* a stand-in backup: a real header, any bytes after it */
	memset(backup, 0xbb, sizeof(backup));
	memcpy(bh.chip_id, chip_id, 16);
	ck_pkg_header_encode(&bh, backup);
	ret = ck_att_seal(a->pub, chip_id, in, n, sealed, &eph);
	tap_ok(ret == 0 && eph, "seal");
	tap_ok(ck_seal_header_parse(sealed, ck_seal_size(n), &h) == 0 &&
	       h.payload_len == n && !memcmp(h.chip_id, chip_id, 16),
	       "sealed header parses");
	ret = ck_att_seal_open(a, sealed, &h, plain, k2);
	tap_ok(ret == 0 && !memcmp(plain, in, n), "seal-open gives the plaintext back");
	tap_ok(ck_att_sealed_wrap_mac(k2, backup, sizeof(backup), plain, n, "ctx", 3, mac) == 0 &&
	       ck_att_sealed_wrap_verify(eph, a->pub, chip_id, backup, sizeof(backup),
					 5, in, n, "ctx", 3, mac) == 0,
	       "sealed-wrap MAC verifies on the sender's side");
	tap_eq_int(ck_att_sealed_wrap_verify(eph, a->pub, chip_id, backup, sizeof(backup),
					     5, in, n, "ctx", 2, mac), -EBADMSG,
		   "sealed-wrap MAC: another context refused");
	tap_eq_int(ck_att_sealed_wrap_verify(eph, a->pub, chip_id, backup, sizeof(backup),
					     6, in, n, "ctx", 3, mac), -EBADMSG,
		   "sealed-wrap: a backup of another generation refused");
	tap_eq_int(ck_att_sealed_wrap_verify(eph, a->pub, chip_id, backup, sizeof(backup) - 1,
					     5, in, n, "ctx", 3, mac), -EINVAL,
		   "sealed-wrap: a malformed backup refused");
	backup[CK_PKG_OFF_CHIP_ID] ^= 1;
	tap_eq_int(ck_att_sealed_wrap_verify(eph, a->pub, chip_id, backup, sizeof(backup),
					     5, in, n, "ctx", 3, mac), -EBADMSG,
		   "sealed-wrap: a backup naming another chip refused");
	backup[CK_PKG_OFF_CHIP_ID] ^= 1;
	backup[CHIPKEY_PKG_HEADER_LEN + 3] ^= 1;
	tap_eq_int(ck_att_sealed_wrap_verify(eph, a->pub, chip_id, backup, sizeof(backup),
					     5, in, n, "ctx", 3, mac), -EBADMSG,
		   "sealed-wrap MAC: another backup refused");
	backup[CHIPKEY_PKG_HEADER_LEN + 3] ^= 1;
	mac[31] ^= 0x80;
	tap_eq_int(ck_att_sealed_wrap_verify(eph, a->pub, chip_id, backup, sizeof(backup),
					     5, in, n, "ctx", 3, mac), -EBADMSG,
		   "sealed-wrap MAC: flipped MAC refused");
	OPENSSL_cleanse(k2, sizeof(k2));
	/* a flipped ciphertext, tag or AAD byte: EBADMSG and nothing released */
	for (i = 0; i < ck_seal_size(n); i += 37) {
		if (i >= CK_SEAL_OFF_EPH && i < CK_SEAL_OFF_EPH + 65)
			continue;	/* E: another ECDH, tested below */
		sealed[i] ^= 0x01;
		ret = ck_seal_header_parse(sealed, ck_seal_size(n), &h);
		if (!ret)
			ret = ck_att_seal_open(a, sealed, &h, plain, k2);
		if (ret != -EBADMSG && ret != -EINVAL)
			bad++;
		if (ret == -EBADMSG && !ck_att_all_zero(plain, h.payload_len))
			bad++;
		sealed[i] ^= 0x01;
	}
	tap_ok(!bad, "flipped sealed packages refused, plaintext wiped");
	ck_seal_header_parse(sealed, ck_seal_size(n), &h);
	h.eph[64] ^= 1;
	tap_eq_int(ck_att_seal_open(a, sealed, &h, plain, k2), -EINVAL, "off-curve E: EINVAL");
	EVP_PKEY_free(eph);
	tap_eq_int(ck_att_seal(a->pub, chip_id, in, CHIPKEY_MAX_PAYLOAD + 1, sealed, NULL),
		   -EMSGSIZE, "seal: too large");

	/* the sender keeping K2 of its seal (the SPP) instead of the
	 * ephemeral key: the chip's K2, and the same verdicts */
	{
		uint8_t sk2[32];

		memset(sk2, 0, sizeof(sk2));
		ret = ck_att_seal_k2(a->pub, chip_id, in, n, sealed, sk2);
		tap_ok(ret == 0 && ck_seal_header_parse(sealed, ck_seal_size(n), &h) == 0 &&
		       ck_att_seal_open(a, sealed, &h, plain, k2) == 0 && !memcmp(plain, in, n) &&
		       !memcmp(sk2, k2, sizeof(k2)),
		       "seal_k2: the chip opens it, and derives the sender's K2");
		tap_ok(ck_att_sealed_wrap_mac(k2, backup, sizeof(backup), plain, n, "ctx", 3,
					      mac) == 0 &&
		       ck_att_sealed_wrap_verify_key(sk2, chip_id, backup, sizeof(backup), 5, in, n,
						     "ctx", 3, mac) == 0,
		       "sealed-wrap MAC verifies with the sender's K2");
		tap_eq_int(ck_att_sealed_wrap_verify_key(sk2, chip_id, backup, sizeof(backup), 5,
							 in, n, "ctx", 2, mac), -EBADMSG,
			   "sealed-wrap MAC with K2: another context refused");
		tap_eq_int(ck_att_sealed_wrap_verify_key(sk2, chip_id, backup, sizeof(backup), 6,
							 in, n, "ctx", 3, mac), -EBADMSG,
			   "sealed-wrap with K2: a backup of another generation refused");
		tap_eq_int(ck_att_sealed_wrap_verify_key(sk2, chip_id, backup,
							 sizeof(backup) - 1, 5, in, n, "ctx", 3,
							 mac), -EINVAL,
			   "sealed-wrap with K2: a malformed backup refused");
		backup[CHIPKEY_PKG_HEADER_LEN + 3] ^= 1;
		tap_eq_int(ck_att_sealed_wrap_verify_key(sk2, chip_id, backup, sizeof(backup), 5,
							 in, n, "ctx", 3, mac), -EBADMSG,
			   "sealed-wrap MAC with K2: another backup refused");
		backup[CHIPKEY_PKG_HEADER_LEN + 3] ^= 1;
		mac[0] ^= 1;
		tap_eq_int(ck_att_sealed_wrap_verify_key(sk2, chip_id, backup, sizeof(backup), 5,
							 in, n, "ctx", 3, mac), -EBADMSG,
			   "sealed-wrap MAC with K2: flipped MAC refused");
		OPENSSL_cleanse(sk2, sizeof(sk2));
		OPENSSL_cleanse(k2, sizeof(k2));
	}
}

static void test_chip_mac(void)
{
	uint8_t m1[32], m2[32];

	tap_ok(ck_att_chip_mac(chip_id, chip_key, CHIPKEY_MAC_FLASH_MANIFEST, "abc", 3, m1) == 0 &&
	       ck_att_chip_mac(chip_id, chip_key, CHIPKEY_MAC_FLASH_MANIFEST, "abc", 3, m2) == 0 &&
	       !memcmp(m1, m2, 32), "chip MAC deterministic");
	tap_eq_int(ck_att_chip_mac(chip_id, chip_key, 0, "abc", 3, m1), -EINVAL, "purpose 0 refused");
	tap_eq_int(ck_att_chip_mac(chip_id, chip_key, 2, "abc", 3, m1), -EINVAL, "purpose 2 refused");
	tap_eq_int(ck_att_chip_mac(chip_id, chip_key, 1, NULL, CHIPKEY_MAX_MAC_INPUT + 1, m1),
		   -EMSGSIZE, "input 65537 refused");
}

/* ---- the published vectors: a minimal "name = hex" block parser */

#define MAXF 48
struct block {
	char key[MAXF][48];
	char *val[MAXF];
	int n;
};

static const char *bget(const struct block *b, const char *key)
{
	int i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->key[i], key))
			return b->val[i];
	return NULL;
}

/* Decode the hex value of @key into a new buffer; NULL if absent or bad. */
static uint8_t *bhex(const struct block *b, const char *key, size_t *len)
{
	const char *v = bget(b, key);
	uint8_t *out;

	if (!v || ck_hex_decode_alloc(v, &out, len))
		return NULL;
	if (!out)
		out = malloc(1);
	return out;
}

static int bhex_fixed(const struct block *b, const char *key, uint8_t *out, size_t n)
{
	const char *v = bget(b, key);

	return v && strlen(v) == 2 * n && ck_hex_decode(v, out, n) == 0;
}

/* The decimal value of @key. */
static int bu64(const struct block *b, const char *key, uint64_t *out)
{
	const char *v = bget(b, key);
	char *end;

	if (!v || !*v)
		return 0;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return !errno && !*end;
}

static void bfree(struct block *b)
{
	int i;

	for (i = 0; i < b->n; i++)
		free(b->val[i]);
	b->n = 0;
}

/* The vector chip: the first block with chip_key and chip_id. */
static uint8_t vchip_id[16], vchip_key[32];
static int vchip_ok;

static int vec_eph(const struct block *b, const char *priv_key, const char *pub_key,
		   EVP_PKEY **eph)
{
	uint8_t k[32], pub[65], want[65];
	int ok;

	*eph = NULL;
	ok = bhex_fixed(b, priv_key, k, 32) && bhex_fixed(b, pub_key, want, 65) &&
	     ck_att_key_from_scalar(k, eph, pub) == 0 && !memcmp(pub, want, 65);
	OPENSSL_cleanse(k, sizeof(k));
	return ok;
}

static void check_block(const struct block *b, int *checked)
{
	uint8_t want[65], got[65], mac[32], k[32];
	struct ck_att_key a;
	const char *name = bget(b, "name");
	char key[64];
	int i;

	if (!name)
		name = "?";
	if (!vchip_ok && bhex_fixed(b, "chip_id", vchip_id, 16) &&
	    bhex_fixed(b, "chip_key", vchip_key, 32))
		vchip_ok = 1;
	for (i = 0; i < b->n; i++) {
		int accept = !strncmp(b->key[i], "range_accept_", 13);

		if (!accept && strncmp(b->key[i], "range_refuse_", 13))
			continue;
		tap_ok(bhex_fixed(b, b->key[i], k, 32) && ck_att_scalar_ok(k) == accept,
		       "vector %s: %s", name, b->key[i]);
		(*checked)++;
	}
	if (!vchip_ok)
		return;
	if (bhex_fixed(b, "scalar", want, 32)) {
		tap_ok(ck_att_scalar(vchip_id, vchip_key, k) == 0 && !memcmp(k, want, 32),
		       "vector %s: scalar k", name);
		for (i = 1; i <= CK_ATT_SCALAR_TRIES; i++) {
			uint8_t info[CK_ATT_INFO_MAX];
			size_t n = ck_att_info_key(vchip_id, (uint8_t)i, info);

			snprintf(key, sizeof(key), "scalar_try_%d", i);
			if (!bhex_fixed(b, key, want, 32))
				break;
			tap_ok(ck_att_hkdf(vchip_key, 32, info, n, k) == 0 &&
			       !memcmp(k, want, 32), "vector %s: %s", name, key);
		}
		OPENSSL_cleanse(k, sizeof(k));
		(*checked)++;
	}
	if (ck_att_key_init(&a, vchip_id, vchip_key)) {
		tap_ok(0, "vector %s: key derivation", name);
		return;
	}
	if (bhex_fixed(b, "pub", want, 65)) {
		tap_ok(!memcmp(a.pub, want, 65), "vector %s: Q", name);
		(*checked)++;
	}
	if (bget(b, "verifier_priv")) {
		size_t cl = 0;
		uint8_t *ctx = bhex(b, "context", &cl);
		EVP_PKEY *eph;
		int ok = vec_eph(b, "verifier_priv", "verifier_pub", &eph);

		tap_ok(ok && ctx && bhex_fixed(b, "mac", want, 32) &&
		       bhex_fixed(b, "verifier_pub", got, 65) &&
		       ck_att_attest(&a, got, ctx, cl, mac) == 0 &&
		       !memcmp(mac, want, 32), "vector %s: ATTEST mac (chip side)", name);
		tap_ok(ok && ctx && ck_att_expected_attest(eph, a.pub, vchip_id, ctx, cl, mac) == 0 &&
		       !memcmp(mac, want, 32), "vector %s: ATTEST mac (verifier side)", name);
		(*checked) += 2;
		EVP_PKEY_free(eph);
		free(ctx);
	}
	if (bget(b, "sealed")) {
		size_t sl = 0, pl = 0;
		uint8_t *s = bhex(b, "sealed", &sl), *p = bhex(b, "plaintext", &pl);
		uint8_t *out = malloc(sl + 1), *re = malloc(sl + 1), k2[32], nonce[12];
		struct ck_seal_header h;
		EVP_PKEY *eph;
		int ret = -EINVAL, ok = vec_eph(b, "eph_priv", "eph_pub", &eph);

		if (s && p && out && ck_seal_header_parse(s, sl, &h) == 0)
			ret = ck_att_seal_open(&a, s, &h, out, k2);
		tap_ok(ret == 0 && p && h.payload_len == pl && !memcmp(out, p, pl),
		       "vector %s: sealed package opens to the plaintext", name);
		(*checked)++;
		if (!bget(b, "backup")) {
			tap_ok(ok && s && p && re && bhex_fixed(b, "nonce", nonce, 12) &&
			       ck_att_seal_with(eph, nonce, a.pub, vchip_id, p, pl, re) == 0 &&
			       ck_seal_size(pl) == sl && !memcmp(re, s, sl),
			       "vector %s: seal reproduces the package", name);
			(*checked)++;
		}
		if (!ret && bget(b, "backup")) {
			size_t bl = 0, cl = 0;
			uint8_t *bk = bhex(b, "backup", &bl), *ctx = bhex(b, "context", &cl);
			uint64_t gen = 0;

			tap_ok(bk && ctx && bhex_fixed(b, "mac", want, 32) &&
			       ck_att_sealed_wrap_mac(k2, bk, bl, out, pl, ctx, cl, mac) == 0 &&
			       !memcmp(mac, want, 32), "vector %s: sealed-wrap mac (chip side)", name);
			tap_ok(ok && bk && ctx &&
			       bu64(b, "generation", &gen) &&
			       ck_att_sealed_wrap_verify(eph, a.pub, vchip_id, bk, bl, gen, p, pl,
							 ctx, cl, want) == 0,
			       "vector %s: sealed-wrap mac (sender side)", name);
			(*checked) += 2;
			free(bk);
			free(ctx);
		}
		OPENSSL_cleanse(k2, sizeof(k2));
		EVP_PKEY_free(eph);
		free(s);
		free(p);
		free(out);
		free(re);
	}
	if (bget(b, "purpose") && bget(b, "input")) {
		size_t il = 0;
		uint8_t *in = bhex(b, "input", &il);
		unsigned long purpose = strtoul(bget(b, "purpose"), NULL, 10);

		tap_ok(in && bhex_fixed(b, "mac", want, 32) &&
		       ck_att_chip_mac(vchip_id, vchip_key, (uint32_t)purpose, in, il, mac) == 0 &&
		       !memcmp(mac, want, 32), "vector %s: chip MAC", name);
		(*checked)++;
		free(in);
	}
	ck_att_key_free(&a);
}

static void test_vectors(const char *path)
{
	struct block b = { .n = 0 };
	static char line[300000];
	int checked = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		tap_skip("no vector file", "published vectors %s", path);
		return;
	}
	for (;;) {
		char *l = fgets(line, sizeof(line), f), *eq, *e;

		if (!l || line[0] == '\n' || line[0] == '\r') {
			if (b.n)
				check_block(&b, &checked);
			bfree(&b);
			if (!l)
				break;
			continue;
		}
		if (line[0] == '#' || b.n >= MAXF)
			continue;
		eq = strchr(line, '=');
		if (!eq)
			continue;
		for (e = eq; e > line && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		snprintf(b.key[b.n], sizeof(b.key[0]), "%.*s", (int)(e - line), line);
		for (eq++; *eq == ' '; eq++)
			;
		for (e = eq + strlen(eq); e > eq && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '); e--)
			;
		b.val[b.n] = strndup(eq, (size_t)(e - eq));
		b.n++;
	}
	fclose(f);
	OPENSSL_cleanse(vchip_key, sizeof(vchip_key));
	tap_ok(checked >= 20, "published vectors: %d values checked", checked);
}

int main(int argc, char **argv)
{
	struct ck_att_key a;
	size_t i;

	for (i = 0; i < sizeof(chip_key); i++)
		chip_key[i] = (uint8_t)(0x40 + i);
	test_hkdf_rfc5869();
	test_chip_key(&a);
	test_bad_points(&a);
	test_template_keys();
	test_template_threads();
	test_parse_pub(&a);
	test_attest(&a);
	test_seal(&a);
	test_chip_mac();
	ck_att_key_free(&a);
	test_vectors(argc > 1 ? argv[1] : "../docs/test-vectors/attest-v1.txt");
	return tap_exit_status();
}

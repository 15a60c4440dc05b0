// SPDX-License-Identifier: GPL-2.0
/*
 * ck_bench_emu: chipkey-emu through libchipkey ("emu:" backend) versus
 * in-process OpenSSL, natively.  Not a test: prints a small table.
 *
 *   ck_bench_emu SOCKET
 *
 * One "op" is one wrap plus one unwrap of a payload of the given size.
 * emulator: chipkey_wrap + chipkey_unwrap over the Unix socket of a running
 *           chipkey-emu (each request: HKDF-SHA256 + AES-256-GCM in the
 *           emulator, plus the IPC round trip).
 * openssl:  in this process, per op: EVP_KDF HKDF-SHA256 (32-byte key from a
 *           32-byte IKM, 16-byte salt, 38-byte info) then AES-256-GCM
 *           encrypt with a 72-byte AAD and 16-byte tag; again HKDF then
 *           decrypt + verify.  No IPC, no randomness.
 *
 * Then the attestation table (issue 8): chipkey_attest (verifier point: the
 * base point G, 32-byte context) and chipkey_sealed_wrap of packages sealed
 * once, before timing, to the emulated chip's attestation key (ck_att_seal
 * of libck-common), against one in-process OpenSSL ECDH (EVP_PKEY_derive of
 * a P-256 key with the peer G, decoded once), all measured in this run.
 * Two more in-process rows show where the time goes: ck_att_ecdh (the
 * emulator's ECDH: point decoding and validation + derive) and
 * ck_att_attest (the emulator's whole ATTEST, without the IPC).  Each op's
 * result is checked once before timing (ATTEST MAC against the verifier
 * side with private key 1, SEALED_WRAP MAC with the sender's ephemeral key).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include "common/attest.h"
#include "libchipkey.h"

#include "ck_bench.h"

static EVP_KDF *kdf;
static EVP_CIPHER *gcm;

static int hkdf(const uint8_t ikm[32], const uint8_t salt[16], uint8_t key[32])
{
	static const char info[] = "chipkey v1 backup wrap0123456789abcdef";
	EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[5];
	int ok;

	if (!c)
		return -1;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, 32);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, 16);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
						 sizeof(info) - 1);
	p[4] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(c, key, 32, p) == 1;
	EVP_KDF_CTX_free(c);
	return ok ? 0 : -1;
}

static int gcm_op(int enc, const uint8_t key[32], const uint8_t iv[12],
		  const uint8_t *aad, const uint8_t *in, size_t len, uint8_t *out,
		  uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l, ok;

	ok = c && EVP_CipherInit_ex2(c, gcm, key, iv, enc, NULL) == 1 &&
	     EVP_CipherUpdate(c, NULL, &l, aad, AAD) == 1 &&
	     EVP_CipherUpdate(c, out, &l, in, (int)len) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(c, out + l, &l) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static struct chipkey *ck;
static uint8_t *in, *pkg, *out;

static int emu_op(uint64_t n, size_t len)
{
	size_t plen = CK_BENCH_MAX, olen = CK_BENCH_MAX;

	return chipkey_wrap(ck, in, len, n, pkg, &plen) ||
	       chipkey_unwrap(ck, pkg, plen, out, &olen, NULL) ||
	       olen != len || memcmp(in, out, len);
}

static int ossl_op(uint64_t n, size_t len)
{
	uint8_t *ct = pkg, *pt = out;
	uint8_t ikm[32], salt[16], iv[12], key[32], aad[AAD], tag[TAG];

	memset(ikm, 0x11, sizeof(ikm));
	memset(salt, 0, sizeof(salt));
	memcpy(salt, &n, sizeof(n));
	memset(iv, 0, sizeof(iv));
	memcpy(iv, &n, sizeof(n));
	memset(aad, 0x33, sizeof(aad));
	if (hkdf(ikm, salt, key) || gcm_op(1, key, iv, aad, in, len, ct, tag))
		return -1;
	if (hkdf(ikm, salt, key) || gcm_op(0, key, iv, aad, ct, len, pt, tag))
		return -1;
	return memcmp(in, pt, len) ? -1 : 0;
}

/* ---- attestation */

/* The P-256 base point G: a valid verifier point (private key 1). */
static uint8_t p256_g[CHIPKEY_EC_POINT_LEN];

__attribute__((constructor)) static void p256_g_init(void)
{
	ck_att_p256_generator(p256_g);
}
#define CTX_LEN 32
static const size_t seal_sizes[] = { 64, 4096, 65536 };
#define NSEAL (sizeof(seal_sizes) / sizeof(seal_sizes[0]))
static uint8_t context[CTX_LEN];
static uint8_t *sealed[NSEAL];
static EVP_PKEY *seal_eph[NSEAL];
/* the baseline: a P-256 key and the peer G */
static EVP_PKEY *ecdh_priv, *ecdh_peer;
/* an attestation key in this process (ck_att_attest row) */
static struct ck_att_key local_key;

static int attest_op(uint64_t n, size_t len)
{
	uint8_t mac[CHIPKEY_MAC_LEN];

	(void)n;
	(void)len;
	return chipkey_attest(ck, p256_g, context, CTX_LEN, mac);
}

static int sealed_wrap(uint64_t n, size_t len, size_t *out_len, uint8_t mac[CHIPKEY_MAC_LEN])
{
	size_t k;
	int r;

	for (k = 0; k < NSEAL && seal_sizes[k] != len; k++)
		;
	if (k == NSEAL)
		return -EINVAL;
	*out_len = CK_BENCH_MAX;
	r = chipkey_sealed_wrap(ck, sealed[k], ck_seal_size(len), n, context, CTX_LEN,
				pkg, out_len, mac);
	if (r)
		return r;
	return *out_len == len + AAD + TAG ? 0 : -EIO;
}

static int sealed_wrap_op(uint64_t n, size_t len)
{
	uint8_t mac[CHIPKEY_MAC_LEN];
	size_t out_len;

	return sealed_wrap(n, len, &out_len, mac);
}

/* One OpenSSL ECDH: a fresh derive context, peer G (decoded once), x(kG). */
static int ossl_ecdh_op(uint64_t n, size_t len)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, ecdh_priv, NULL);
	uint8_t z[CK_ATT_SECRET_LEN];
	size_t zlen = sizeof(z);
	int ok;

	(void)n;
	(void)len;
	ok = c && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, ecdh_peer) == 1 &&
	     EVP_PKEY_derive(c, z, &zlen) == 1 && zlen == sizeof(z);
	EVP_PKEY_CTX_free(c);
	OPENSSL_cleanse(z, sizeof(z));
	return ok ? 0 : -1;
}

static int att_ecdh_op(uint64_t n, size_t len)
{
	uint8_t z[CK_ATT_SECRET_LEN];
	int r;

	(void)n;
	(void)len;
	r = ck_att_ecdh(ecdh_priv, p256_g, z);
	OPENSSL_cleanse(z, sizeof(z));
	return r;
}

static int att_attest_op(uint64_t n, size_t len)
{
	uint8_t mac[CHIPKEY_MAC_LEN];

	(void)n;
	(void)len;
	return ck_att_attest(&local_key, p256_g, context, CTX_LEN, mac);
}

/* Keys, sealed packages, and one checked ATTEST and SEALED_WRAP of each. */
static int attest_setup(void)
{
	static const uint8_t one[CK_ATT_SCALAR_LEN] = { [CK_ATT_SCALAR_LEN - 1] = 1 };
	uint8_t q[CHIPKEY_EC_POINT_LEN], g[CHIPKEY_EC_POINT_LEN], k[CK_ATT_SCALAR_LEN];
	uint8_t mac[CHIPKEY_MAC_LEN], want[CHIPKEY_MAC_LEN];
	struct chipkey_info info;
	const char *step;
	EVP_PKEY *v = NULL;
	size_t i, out_len;
	int r;

	for (i = 0; i < CTX_LEN; i++)
		context[i] = (uint8_t)(0xc0 + i);
	r = chipkey_get_info(ck, &info);
	if (!r)
		r = chipkey_get_attest_key(ck, q);
	if (r) {
		printf("# INFO / ATTEST_KEY: %d\n", r);
		return -1;
	}
	/* the baseline's key pair, and a local attestation key from it */
	ecdh_priv = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	r = ecdh_priv ? ck_att_pub_to_pkey(p256_g, &ecdh_peer) : -ENOMEM;
	if (!r) {
		r = RAND_bytes(k, sizeof(k)) == 1 ? 0 : -EIO;
		k[0] &= 0x7f;	/* below n */
		k[CK_ATT_SCALAR_LEN - 1] |= 2;
	}
	if (!r)
		r = ck_att_key_from_scalar(k, &local_key.priv, local_key.pub);
	OPENSSL_cleanse(k, sizeof(k));
	memcpy(local_key.chip_id, info.chip_id, sizeof(local_key.chip_id));
	/* ATTEST against the verifier side */
	if (r) {
		printf("# baseline / local keys: %d\n", r);
		return -1;
	}
	step = "verifier key 1";
	r = ck_att_key_from_scalar(one, &v, g);
	if (!r && memcmp(g, p256_g, sizeof(g)))
		r = -EIO;
	if (!r) {
		step = "chipkey_attest";
		r = chipkey_attest(ck, p256_g, context, CTX_LEN, mac);
	}
	if (!r) {
		step = "expected MAC";
		r = ck_att_expected_attest(v, q, info.chip_id, context, CTX_LEN, want);
	}
	EVP_PKEY_free(v);
	if (!r && memcmp(want, mac, sizeof(want))) {
		step = "MAC differs from the verifier's";
		r = -EBADMSG;
	}
	if (r) {
		printf("# ATTEST check failed: %s: %s\n", step, strerror(-r));
		return -1;
	}
	for (i = 0; i < NSEAL; i++) {
		sealed[i] = malloc(ck_seal_size(seal_sizes[i]));
		r = sealed[i] ? ck_att_seal(q, info.chip_id, in, seal_sizes[i], sealed[i],
					    &seal_eph[i]) : -ENOMEM;
		if (!r)
			r = sealed_wrap(7, seal_sizes[i], &out_len, mac);
		if (!r)
			r = ck_att_sealed_wrap_verify(seal_eph[i], q, info.chip_id, pkg, out_len,
						      7, in, seal_sizes[i], context, CTX_LEN, mac);
		if (r) {
			printf("# SEALED_WRAP check failed (%zu B): %s\n", seal_sizes[i],
			       strerror(-r));
			return -1;
		}
	}
	return 0;
}

static int attest_table(void)
{
	static const struct ck_bench_row rows[] = {
		{ "ck_att_ecdh (in-process: decode + ECDH)", att_ecdh_op, 0 },
		{ "ck_att_attest (in-process ATTEST)", att_attest_op, 0 },
		{ "ATTEST (emu, 32-B context)", attest_op, 0 },
		{ "SEALED_WRAP 64 B (emu)", sealed_wrap_op, 64 },
		{ "SEALED_WRAP 4096 B (emu)", sealed_wrap_op, 4096 },
		{ "SEALED_WRAP 65536 B (emu)", sealed_wrap_op, 65536 },
	};
	int bad = 0;
	double r;

	if (attest_setup())
		return 1;
	r = ck_bench_rate(ossl_ecdh_op, 0, &bad);
	printf("# chipkey native attestation benchmark: chipkey-emu via libchipkey vs one\n");
	printf("# in-process OpenSSL ECDH (same run); time / base = time per op / time per ECDH\n");
	bad += ck_bench_ratio_table("OpenSSL ECDH (EVP_PKEY_derive, P-256)", 1e9 / r, rows,
				    sizeof(rows) / sizeof(rows[0]));
	printf("# expected: ATTEST ~ 1 ECDH + 3 HMAC + IPC round trip\n");
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	char dev[256];
	int bad, r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
		return 2;
	}
	in = malloc(CK_BENCH_MAX);
	pkg = malloc(CK_BENCH_MAX);
	out = malloc(CK_BENCH_MAX);
	snprintf(dev, sizeof(dev), "%s%s", CHIPKEY_EMU_PREFIX, argv[1]);
	r = chipkey_open(dev, &ck);
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (r || !kdf || !gcm || !in || !pkg || !out) {
		printf("# cannot open %s (%d) or OpenSSL HKDF/AES-256-GCM\n", dev, r);
		return 1;
	}
	for (size_t i = 0; i < CK_BENCH_MAX; i++)
		in[i] = (uint8_t)(i * 5 + 1);

	printf("# chipkey native benchmark: one op = wrap + unwrap (chipkey-emu via libchipkey)\n");
	printf("# or HKDF+encrypt+HKDF+decrypt (in-process OpenSSL EVP), %.1f s per cell\n",
	       MIN_SECONDS);
	bad = ck_bench_table("emu", emu_op, "openssl", ossl_op);
	printf("# target: emulator >= 0.3x OpenSSL at 4 KiB\n");
	bad |= attest_table();
	for (size_t k = 0; k < NSEAL; k++) {
		free(sealed[k]);
		EVP_PKEY_free(seal_eph[k]);
	}
	EVP_PKEY_free(ecdh_priv);
	EVP_PKEY_free(ecdh_peer);
	ck_att_key_free(&local_key);
	chipkey_close(ck);
	EVP_KDF_free(kdf);
	EVP_CIPHER_free(gcm);
	return bad ? 1 : 0;
}

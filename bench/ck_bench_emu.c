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
	chipkey_close(ck);
	EVP_KDF_free(kdf);
	EVP_CIPHER_free(gcm);
	return bad ? 1 : 0;
}

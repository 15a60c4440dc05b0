// SPDX-License-Identifier: GPL-2.0
/*
 * libchipkey's attestation calls over the emulator backend, against a
 * chipkey-emu playing the chip of docs/test-vectors/fuse-vectors.bin; the
 * expected values come from the independent oracle (attest-v1.txt).
 * Usage: test-lib-attest CHIPKEY_EMU [VECTOR_DIR]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <chipkey/backup_package.h>
#include "common/attest.h"
#include "common/file.h"
#include "common/tap.h"
#include "emu/tests/emu-helpers.h"
#include "lib/libchipkey.h"

static char vfile[4200];

static int vec(const char *name, const char *key, uint8_t **out, size_t *len)
{
	return th_vec_hex(vfile, name, key, out, len);
}

static int vec_fixed(const char *name, const char *key, uint8_t *out, size_t n)
{
	uint8_t *b;
	size_t len = 0;
	int ok = vec(name, key, &b, &len) == 0 && len == n;

	if (ok)
		memcpy(out, b, n);
	free(b);
	return ok;
}

static void test_attest(struct chipkey *ck, const uint8_t q[65])
{
	uint8_t pub[65], v[65], mac[32], want[32], ctx[CHIPKEY_MAX_CONTEXT + 1];
	uint8_t *vc = NULL;
	size_t vcl = 0;

	tap_ok(chipkey_get_attest_key(ck, pub) == 0 && !memcmp(pub, q, 65),
	       "chipkey_get_attest_key = the oracle's Q");
	tap_ok(vec_fixed("attest-context-256", "verifier_pub", v, 65) &&
	       vec_fixed("attest-context-256", "mac", want, 32) &&
	       vec("attest-context-256", "context", &vc, &vcl) == 0 &&
	       chipkey_attest(ck, v, vc, vcl, mac) == 0 && !memcmp(mac, want, 32),
	       "chipkey_attest: 256-byte context, MAC = the oracle's");
	free(vc);
	tap_ok(vec_fixed("attest-context-0", "verifier_pub", v, 65) &&
	       vec_fixed("attest-context-0", "mac", want, 32) &&
	       chipkey_attest(ck, v, NULL, 0, mac) == 0 && !memcmp(mac, want, 32),
	       "chipkey_attest: empty context, MAC = the oracle's");
	memset(ctx, 1, sizeof(ctx));
	tap_eq_int(chipkey_attest(ck, v, ctx, sizeof(ctx), mac), -EMSGSIZE,
		   "chipkey_attest: 257-byte context -> -EMSGSIZE");
	v[64] ^= 1;
	tap_eq_int(chipkey_attest(ck, v, ctx, 1, mac), -EINVAL,
		   "chipkey_attest: V off the curve -> -EINVAL");
	v[0] = 0x03;
	tap_eq_int(chipkey_attest(ck, v, ctx, 1, mac), -EINVAL,
		   "chipkey_attest: V prefix 0x03 -> -EINVAL");
}

static void test_chip_mac(struct chipkey *ck)
{
	static uint8_t big[CHIPKEY_MAX_MAC_INPUT + 1];
	uint8_t mac[32], want[32], *in = NULL;
	size_t il = 0;

	tap_ok(vec("chip-mac-input-100", "input", &in, &il) == 0 &&
	       vec_fixed("chip-mac-input-100", "mac", want, 32) &&
	       chipkey_chip_mac(ck, CHIPKEY_MAC_FLASH_MANIFEST, in, il, mac) == 0 &&
	       !memcmp(mac, want, 32), "chipkey_chip_mac: MAC = the oracle's");
	free(in);
	tap_eq_int(chipkey_chip_mac(ck, 2, "x", 1, mac), -EINVAL,
		   "chipkey_chip_mac: unknown purpose -> -EINVAL");
	tap_eq_int(chipkey_chip_mac(ck, 1, big, sizeof(big), mac), -EMSGSIZE,
		   "chipkey_chip_mac: 65537 bytes -> -EMSGSIZE");
	tap_eq_int(chipkey_chip_mac(ck, 1, big, CHIPKEY_MAX_MAC_INPUT, mac), 0,
		   "chipkey_chip_mac: 65536 bytes");
}

static void test_sealed_wrap(struct chipkey *ck, const uint8_t q[65], const uint8_t id[16])
{
	static uint8_t plain[CHIPKEY_MAX_PAYLOAD], sealed[CHIPKEY_MAX_SEALED + 1];
	static uint8_t out[CHIPKEY_MAX_PACKAGE], back[CHIPKEY_MAX_PAYLOAD];
	uint8_t mac[32], other_q[65], other_id[16];
	size_t pl = 1000, sl = ck_seal_size(pl), len, blen;
	uint64_t gen = 0;
	EVP_PKEY *eph = NULL, *k;
	int ret;

	RAND_bytes(plain, sizeof(plain));
	if (!tap_ok(ck_att_seal(q, id, plain, pl, sealed, &eph) == 0, "seal 1000 bytes to the chip"))
		return;
	len = 0;
	tap_ok(chipkey_sealed_wrap(ck, sealed, sl, 9, "ctx", 3, NULL, &len, mac) == -ENOSPC &&
	       len == ck_pkg_size(pl), "chipkey_sealed_wrap: no buffer -> -ENOSPC, size needed");
	len = sizeof(out);
	ret = chipkey_sealed_wrap(ck, sealed, sl, 9, "ctx", 3, out, &len, mac);
	tap_ok(ret == 0 && len == ck_pkg_size(pl), "chipkey_sealed_wrap: backup of %zu bytes", len);
	tap_ok(ck_att_sealed_wrap_verify(eph, q, id, out, len, 9, plain, pl, "ctx", 3, mac) == 0,
	       "chipkey_sealed_wrap: MAC verifies with the sender's key");
	tap_eq_int(ck_att_sealed_wrap_verify(eph, q, id, out, len, 8, plain, pl, "ctx", 3, mac),
		   -EBADMSG, "chipkey_sealed_wrap: the sender refuses another generation");
	blen = sizeof(back);
	tap_ok(chipkey_unwrap(ck, out, len, back, &blen, &gen) == 0 && blen == pl &&
	       gen == 9 && !memcmp(back, plain, pl),
	       "chipkey_unwrap of the backup: the data package, generation 9");
	sealed[CHIPKEY_SEAL_HEADER_LEN + 5] ^= 1;
	len = sizeof(out);
	tap_eq_int(chipkey_sealed_wrap(ck, sealed, sl, 9, NULL, 0, out, &len, mac), -EBADMSG,
		   "chipkey_sealed_wrap: flipped ciphertext -> -EBADMSG");
	EVP_PKEY_free(eph);
	len = sizeof(out);
	tap_eq_int(chipkey_sealed_wrap(ck, sealed, CHIPKEY_MAX_SEALED + 1, 9, NULL, 0, out, &len, mac),
		   -EMSGSIZE, "chipkey_sealed_wrap: MAX_SEALED + 1 -> -EMSGSIZE");
	/* sealed to another chip */
	if (ck_att_ephemeral(&k, other_q) == 0) {
		memcpy(other_id, id, 16);
		other_id[0] ^= 0xff;
		ck_att_seal(other_q, other_id, plain, 10, sealed, NULL);
		len = sizeof(out);
		tap_eq_int(chipkey_sealed_wrap(ck, sealed, ck_seal_size(10), 9, NULL, 0, out, &len, mac),
			   -ENOKEY, "chipkey_sealed_wrap: package sealed to another chip -> -ENOKEY");
		EVP_PKEY_free(k);
	}
	/* the largest */
	if (ck_att_seal(q, id, plain, CHIPKEY_MAX_PAYLOAD, sealed, &eph) == 0) {
		uint8_t ctx[CHIPKEY_MAX_CONTEXT];

		memset(ctx, 7, sizeof(ctx));
		len = sizeof(out);
		ret = chipkey_sealed_wrap(ck, sealed, CHIPKEY_MAX_SEALED, 1, ctx, sizeof(ctx),
					  out, &len, mac);
		tap_ok(ret == 0 && len == CHIPKEY_MAX_PACKAGE &&
		       ck_att_sealed_wrap_verify(eph, q, id, out, len, 1, plain, CHIPKEY_MAX_PAYLOAD,
						 ctx, sizeof(ctx), mac) == 0,
		       "chipkey_sealed_wrap: largest package and context");
		EVP_PKEY_free(eph);
	}
}

int main(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[2] : "../docs/test-vectors";
	char tmp[] = "/tmp/ck-lib-attest-XXXXXX", state[300], sock[300], log[300], dev[310];
	char src[4200];
	uint8_t *img = NULL, q[65], id[16];
	struct chipkey *ck = NULL;
	size_t len = 0;
	pid_t pid;
	int st;

	if (argc < 2) {
		fprintf(stderr, "usage: test-lib-attest CHIPKEY_EMU [VECTOR_DIR]\n");
		return 2;
	}
	snprintf(vfile, sizeof(vfile), "%s/attest-v1.txt", dir);
	snprintf(src, sizeof(src), "%s/fuse-vectors.bin", dir);
	if (!tap_ok(mkdtemp(tmp) && vec_fixed("attestation-key", "pub", q, 65) &&
		    vec_fixed("attestation-key", "chip_id", id, 16),
		    "vectors %s", vfile))
		return 1;
	snprintf(state, sizeof(state), "%s/state", tmp);
	snprintf(sock, sizeof(sock), "%s/sock", tmp);
	snprintf(log, sizeof(log), "%s/log", tmp);
	snprintf(dev, sizeof(dev), "emu:%s", sock);
	st = ck_file_read(src, &img, &len, 512) || ck_file_write_atomic(state, img, len, 0600, 0);
	free(img);
	pid = st ? -1 : th_start_emu(argv[1], state, sock, log, NULL, NULL, &st);
	if (tap_ok(pid > 0, "chipkey-emu on the vector chip") &&
	    tap_ok(chipkey_open(dev, &ck) == 0, "chipkey_open(%s)", dev)) {
		test_attest(ck, q);
		test_chip_mac(ck);
		test_sealed_wrap(ck, q, id);
		chipkey_close(ck);
	}
	if (pid > 0)
		th_stop_emu(pid);
	unlink(state);
	unlink(sock);
	unlink(log);
	rmdir(tmp);
	return tap_exit_status();
}

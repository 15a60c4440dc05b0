// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator's attestation requests (emu/attest.c): ATTEST_KEY, ATTEST,
 * SEALED_WRAP and CHIP_MAC, every check in the kernel's order with its
 * errno, answered in-process by ck_emu_handle() on the chip of
 * docs/test-vectors/fuse-vectors.bin, whose expected values come from the
 * independent Python oracle (docs/test-vectors/attest-v1.txt).  Then the
 * largest frames over the socket of a real chipkey-emu.
 *
 * Usage: test-emu-attest [VECTOR_DIR [CHIPKEY_EMU]]
 * (defaults ../docs/test-vectors, no socket part).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/attest.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/tap.h"
#include "emu/emu.h"
#include "emu/tests/emu-helpers.h"

static struct ck_emu_chip chip, other;
static uint8_t reply[CK_EMU_REPLY_BUF];
static uint8_t req[CK_EMU_MAX_PAYLOAD];
static const uint8_t *rpay;	/* reply payload */
static size_t rlen;		/* its length */
static char vfile[4096];

/* One request in-process; returns the reply status. */
static int call(const struct ck_emu_chip *c, int priv, uint32_t cmd, size_t len)
{
	struct ck_emu_reply_hdr h;
	size_t n = ck_emu_handle(c, priv, cmd, req, len, reply);

	ck_emu_reply_hdr_decode(reply, &h);
	rpay = reply + CK_EMU_HDR_LEN;
	rlen = h.len;
	if (n != CK_EMU_HDR_LEN + h.len || h.magic != CK_EMU_REPLY_MAGIC)
		return 1;
	return h.status;
}

static int vec_hex(const char *name, const char *key, uint8_t **out, size_t *len)
{
	return th_vec_hex(vfile, name, key, out, len);
}

static int vec_fixed(const char *name, const char *key, uint8_t *out, size_t n)
{
	uint8_t *b;
	size_t len = 0;
	int ok = vec_hex(name, key, &b, &len) == 0 && len == n;

	if (ok)
		memcpy(out, b, n);
	free(b);
	return ok;
}

/* ---- ATTEST_KEY */

static void test_attest_key(void)
{
	struct chipkey_attest_key k;
	uint8_t want[65];

	tap_eq_int(call(&chip, 0, CHIPKEY_IOC_ATTEST_KEY, 0), 0,
		   "ATTEST_KEY: unprivileged, empty request -> 0");
	ck_emu_attest_key_decode(rpay, &k);
	tap_ok(rlen == CK_EMU_ATTEST_KEY_LEN && vec_fixed("attestation-key", "pub", want, 65) &&
	       !memcmp(k.pub, want, 65), "ATTEST_KEY: Q = the oracle's pub of the vector chip");
	tap_ok(!memcmp(k.pub, chip.att.pub, 65) && ck_att_all_zero(k.pad, 7) && !k.flags &&
	       !ck_emu_reserved_nonzero(k.reserved, 5), "ATTEST_KEY: pad, flags, reserved zero");
	memset(req, 0xee, CK_EMU_ATTEST_KEY_LEN);
	tap_eq_int(call(&chip, 0, CHIPKEY_IOC_ATTEST_KEY, CK_EMU_ATTEST_KEY_LEN), 0,
		   "ATTEST_KEY: a full (ignored) structure -> 0");
	tap_eq_int(call(&chip, 0, CHIPKEY_IOC_ATTEST_KEY, 5), -EINVAL,
		   "ATTEST_KEY: a 5-byte payload -> EINVAL");
	tap_eq_int(call(&other, 1, CHIPKEY_IOC_ATTEST_KEY, 0), 0, "ATTEST_KEY: other chip");
	ck_emu_attest_key_decode(rpay, &k);
	tap_ok(memcmp(k.pub, chip.att.pub, 65) != 0, "ATTEST_KEY: another chip, another Q");
}

/* ---- ATTEST */

static size_t put_attest(const struct chipkey_attest *a, const void *ctx, size_t n)
{
	ck_emu_attest_encode(a, req);
	memcpy(req + CK_EMU_ATTEST_LEN, ctx, n);
	return CK_EMU_ATTEST_LEN + n;
}

static void test_attest_errors(const uint8_t v[65])
{
	struct chipkey_attest a, base;
	uint8_t ctx[CHIPKEY_MAX_CONTEXT + 8];
	int i, bad;

	memset(ctx, 'c', sizeof(ctx));
	memset(&base, 0, sizeof(base));
	memcpy(base.verifier_pub, v, 65);
	base.context_len = 4;

	a = base;
	a.flags = 1;
	a.context_len = 0xffffffffu;
	tap_eq_int(call(&chip, 0, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, 0)), -EPERM,
		   "ATTEST: unprivileged, malformed -> EPERM first");
	tap_eq_int(call(&chip, 0, CHIPKEY_IOC_ATTEST, 0), -EPERM,
		   "ATTEST: unprivileged, empty frame -> EPERM");
	tap_ok(rlen == 0, "ATTEST: an error reply is empty");
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, CK_EMU_ATTEST_LEN - 1), -EINVAL,
		   "ATTEST: frame shorter than the structure -> EINVAL");
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, 0)), -EINVAL,
		   "ATTEST: flags checked before context_len (EINVAL before EMSGSIZE)");
	a = base;
	a.context_ptr = 0x1000;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, 4)), -EINVAL,
		   "ATTEST: non-zero context_ptr -> EINVAL");
	for (bad = 0, i = 0; i < 7; i++) {
		a = base;
		a.pad[i] = 0x80;
		bad += call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, 4)) != -EINVAL;
	}
	for (i = 0; i < 4; i++) {
		a = base;
		a.reserved[i] = 1u << (i * 9);
		bad += call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, 4)) != -EINVAL;
	}
	tap_eq_int(bad, 0, "ATTEST: each pad byte and reserved word -> EINVAL");
	a = base;
	a.mac[0] = 1;	/* an output field: ignored on input */
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, 4)), 0,
		   "ATTEST: garbage in the mac field is ignored");
	a = base;
	a.context_len = CHIPKEY_MAX_CONTEXT + 1;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, CHIPKEY_MAX_CONTEXT + 1)),
		   -EMSGSIZE, "ATTEST: context of 257 bytes -> EMSGSIZE");
	a.verifier_pub[0] = 0;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, CHIPKEY_MAX_CONTEXT + 1)),
		   -EMSGSIZE, "ATTEST: EMSGSIZE before the point prefix");
	a = base;
	a.verifier_pub[0] = 0x00;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, 4)), -EINVAL,
		   "ATTEST: point prefix 0x00 -> EINVAL");
	a.verifier_pub[0] = 0x02;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, 4)), -EINVAL,
		   "ATTEST: point prefix 0x02 -> EINVAL");
	a = base;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, 3)), -EINVAL,
		   "ATTEST: frame carries fewer context bytes than context_len -> EINVAL");
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, 5)), -EINVAL,
		   "ATTEST: frame carries more bytes than context_len -> EINVAL");
	memset(a.verifier_pub + 1, 0, 64);
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, 4)), -EINVAL,
		   "ATTEST: V = (0,0) -> EINVAL");
	memset(a.verifier_pub + 1, 0xff, 64);
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, 4)), -EINVAL,
		   "ATTEST: V coordinates >= p -> EINVAL");
	a = base;
	a.verifier_pub[64] ^= 1;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, 4)), -EINVAL,
		   "ATTEST: V not on the curve -> EINVAL");
}

static void test_attest(void)
{
	static const char *names[] = { "attest-context-0", "attest-context-1",
				       "attest-context-256" };
	struct chipkey_attest a;
	uint8_t v[65], want[32], first[32];
	EVP_PKEY *eph;
	size_t i;

	for (i = 0; i < 3; i++) {
		uint8_t *ctx = NULL;
		size_t cl = 0;
		int st = 1;

		memset(&a, 0, sizeof(a));
		if (vec_fixed(names[i], "verifier_pub", a.verifier_pub, 65) &&
		    vec_fixed(names[i], "mac", want, 32) &&
		    vec_hex(names[i], "context", &ctx, &cl) == 0) {
			a.context_len = (uint32_t)cl;
			st = call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, ctx, cl));
			ck_emu_attest_decode(rpay, &a);
		}
		tap_ok(st == 0 && rlen == CK_EMU_ATTEST_LEN && !memcmp(a.mac, want, 32),
		       "ATTEST: %s MAC = the oracle's", names[i]);
		free(ctx);
	}
	if (!tap_ok(ck_att_ephemeral(&eph, v) == 0, "ephemeral verifier key"))
		return;
	memset(&a, 0, sizeof(a));
	memcpy(a.verifier_pub, v, 65);
	a.context_len = 5;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, "nonce", 5)), 0,
		   "ATTEST: fresh verifier key");
	ck_emu_attest_decode(rpay, &a);
	memcpy(first, a.mac, 32);
	tap_ok(ck_att_expected_attest(eph, chip.att.pub, chip.fuses.chip_id, "nonce", 5,
				      want) == 0 && !memcmp(first, want, 32),
	       "ATTEST: MAC = the verifier side's expected MAC");
	call(&chip, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, "nonce", 5));
	ck_emu_attest_decode(rpay, &a);
	tap_ok(!memcmp(first, a.mac, 32), "ATTEST: deterministic (same V, same context)");
	memset(a.mac, 0, 32);
	call(&other, 1, CHIPKEY_IOC_ATTEST, put_attest(&a, "nonce", 5));
	ck_emu_attest_decode(rpay, &a);
	tap_ok(memcmp(first, a.mac, 32) != 0, "ATTEST: another chip, another MAC");
	test_attest_errors(v);
	EVP_PKEY_free(eph);
}

/* ---- SEALED_WRAP */

static size_t put_sw(const struct chipkey_sealed_wrap *w, const uint8_t *in, size_t in_n,
		     const void *ctx, size_t ctx_n)
{
	ck_emu_sealed_wrap_encode(w, req);
	memcpy(req + CK_EMU_SEALED_WRAP_LEN, in, in_n);
	memcpy(req + CK_EMU_SEALED_WRAP_LEN + in_n, ctx, ctx_n);
	return CK_EMU_SEALED_WRAP_LEN + in_n + ctx_n;
}

static void sw_init(struct chipkey_sealed_wrap *w, size_t in_len, size_t ctx_len)
{
	memset(w, 0, sizeof(*w));
	w->in_len = (uint32_t)in_len;
	w->context_len = (uint32_t)ctx_len;
	w->out_len = CHIPKEY_MAX_PACKAGE;
	w->generation = 42;
}

/*
 * A successful SEALED_WRAP of @sealed: the backup unwraps with UNWRAP to
 * @plain and generation 42, and the MAC verifies with the sender's @eph.
 */
static int sw_ok(const uint8_t *sealed, size_t sl, EVP_PKEY *eph, const uint8_t *plain,
		 size_t pl, const char *ctx, const char *what)
{
	struct chipkey_sealed_wrap w;
	struct chipkey_xfer x;
	static uint8_t backup[CHIPKEY_MAX_PACKAGE];
	size_t cl = strlen(ctx), bl;
	int st, ok;

	sw_init(&w, sl, cl);
	st = call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, sealed, sl, ctx, cl));
	ck_emu_sealed_wrap_decode(rpay, &w);
	bl = w.out_len;
	ok = st == 0 && bl == ck_pkg_size(pl) && rlen == CK_EMU_SEALED_WRAP_LEN + bl;
	tap_ok(ok, "SEALED_WRAP %s: backup of %zu bytes", what, ok ? bl : 0);
	if (!ok)
		return 0;
	memcpy(backup, rpay + CK_EMU_SEALED_WRAP_LEN, bl);
	tap_ok(ck_att_sealed_wrap_verify(eph, chip.att.pub, chip.fuses.chip_id, backup, bl,
					 42, plain, pl, ctx, cl, w.mac) == 0,
	       "SEALED_WRAP %s: MAC verifies on the sender's side", what);
	memset(&x, 0, sizeof(x));
	x.in_len = (uint32_t)bl;
	x.out_len = CHIPKEY_MAX_PAYLOAD;
	ck_emu_xfer_encode(&x, req);
	memcpy(req + CK_EMU_XFER_LEN, backup, bl);
	st = call(&chip, 1, CHIPKEY_IOC_UNWRAP, CK_EMU_XFER_LEN + bl);
	ck_emu_xfer_decode(rpay, &x);
	tap_ok(st == 0 && x.out_len == pl && x.generation == 42 &&
	       !memcmp(rpay + CK_EMU_XFER_LEN, plain, pl),
	       "SEALED_WRAP %s: UNWRAP gives the data package and generation back", what);
	return 1;
}

static void test_sealed_wrap_errors(const uint8_t *sealed, size_t sl)
{
	static uint8_t copy[CHIPKEY_MAX_SEALED + 1];
	struct chipkey_sealed_wrap w;
	size_t pl = sl - CHIPKEY_SEAL_OVERHEAD, i;
	int bad, st;

	sw_init(&w, CHIPKEY_MAX_SEALED + 1, 0);
	w.flags = 4;
	tap_eq_int(call(&chip, 0, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, sealed, 0, "", 0)), -EPERM,
		   "SEALED_WRAP: unprivileged, malformed -> EPERM first");
	tap_eq_int(call(&chip, 0, CHIPKEY_IOC_SEALED_WRAP, 0), -EPERM,
		   "SEALED_WRAP: unprivileged, empty frame -> EPERM");
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, 10), -EINVAL,
		   "SEALED_WRAP: frame shorter than the structure -> EINVAL");
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, sealed, 0, "", 0)), -EINVAL,
		   "SEALED_WRAP: flags checked before in_len (EINVAL before EMSGSIZE)");
	for (bad = 0, i = 0; i < 7; i++) {
		sw_init(&w, sl, 1);
		if (i < 4)
			w.reserved[i] = 1;
		else if (i == 4)
			w.in_ptr = 8;
		else if (i == 5)
			w.out_ptr = 8;
		else
			w.context_ptr = 8;
		bad += call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, sealed, sl, "x", 1)) != -EINVAL;
	}
	tap_eq_int(bad, 0, "SEALED_WRAP: each reserved word and pointer field -> EINVAL");
	sw_init(&w, CHIPKEY_MAX_SEALED + 1, 0);
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, copy, CHIPKEY_MAX_SEALED + 1, "", 0)),
		   -EMSGSIZE, "SEALED_WRAP: in_len MAX_SEALED + 1 -> EMSGSIZE");
	sw_init(&w, sl, CHIPKEY_MAX_CONTEXT + 1);
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, sealed, sl, copy, CHIPKEY_MAX_CONTEXT + 1)),
		   -EMSGSIZE, "SEALED_WRAP: context 257 -> EMSGSIZE");
	sw_init(&w, sl, 2);
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, sealed, sl, "x", 1)), -EINVAL,
		   "SEALED_WRAP: frame shorter than declared -> EINVAL");
	sw_init(&w, sl - 1, 0);
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, sealed, sl, "", 0)), -EINVAL,
		   "SEALED_WRAP: frame longer than declared -> EINVAL");
	sw_init(&w, CHIPKEY_SEAL_OVERHEAD - 1, 0);
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, sealed, CHIPKEY_SEAL_OVERHEAD - 1, "", 0)),
		   -EINVAL, "SEALED_WRAP: in_len below the overhead -> EINVAL");
	sw_init(&w, sl - 1, 0);
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, sealed, sl - 1, "", 0)), -EINVAL,
		   "SEALED_WRAP: truncated package (payload length mismatch) -> EINVAL");
	/* ENOSPC: the structure comes back with the size needed, nothing else */
	sw_init(&w, sl, 0);
	w.out_len = (uint32_t)ck_pkg_size(pl) - 1;
	st = call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, sealed, sl, "", 0));
	ck_emu_sealed_wrap_decode(rpay, &w);
	tap_ok(st == -ENOSPC && rlen == CK_EMU_SEALED_WRAP_LEN && w.out_len == ck_pkg_size(pl),
	       "SEALED_WRAP: out_len one short -> ENOSPC, out_len = %zu needed", ck_pkg_size(pl));
	/* another chip: ENOKEY, before ENOSPC and before any ECDH */
	sw_init(&w, sl, 0);
	w.out_len = 0;
	tap_eq_int(call(&other, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, sealed, sl, "", 0)), -ENOKEY,
		   "SEALED_WRAP: package sealed to another chip -> ENOKEY (before ENOSPC)");
	/* ENOSPC before the ECDH on E */
	memcpy(copy, sealed, sl);
	copy[CK_SEAL_OFF_EPH + 64] ^= 1;
	sw_init(&w, sl, 0);
	w.out_len = 0;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, copy, sl, "", 0)), -ENOSPC,
		   "SEALED_WRAP: ENOSPC before the ECDH on E");
	sw_init(&w, sl, 0);
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, copy, sl, "", 0)), -EINVAL,
		   "SEALED_WRAP: E not on the curve -> EINVAL");
	memset(copy + CK_SEAL_OFF_EPH + 1, 0, 64);
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, copy, sl, "", 0)), -EINVAL,
		   "SEALED_WRAP: E = (0,0) -> EINVAL");
	/* every single-byte flip is refused, and nothing comes back */
	memcpy(copy, sealed, sl);
	for (bad = 0, i = 0; i < sl; i++) {
		copy[i] ^= 0x01;
		sw_init(&w, sl, 0);
		st = call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, copy, sl, "", 0));
		if (st == 0 || rlen != 0) {
			if (bad++ < 3)
				tap_diag("flip of byte %zu: status %d, %zu reply bytes", i, st, rlen);
		}
		if (i >= CHIPKEY_SEAL_HEADER_LEN && st != -EBADMSG)
			bad++;
		copy[i] ^= 0x01;
	}
	tap_eq_int(bad, 0, "SEALED_WRAP: each of the %zu single-byte flips refused, no output", sl);
	sw_init(&w, sl, 0);
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_SEALED_WRAP, put_sw(&w, copy, sl, "", 0)), 0,
		   "SEALED_WRAP: the unflipped package still opens");
}

static void test_sealed_wrap(void)
{
	static uint8_t plain[CHIPKEY_MAX_PAYLOAD], sealed[CHIPKEY_MAX_SEALED];
	static const char ctx256[] =
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	uint8_t *vs = NULL, *vp = NULL, *vk = NULL, pub[65];
	size_t vsl = 0, vpl = 0, vkl = 0;
	EVP_PKEY *eph = NULL;

	/* the oracle's sealed package, sender's key from the vectors */
	if (tap_ok(vec_hex("seal-payload-300", "sealed", &vs, &vsl) == 0 &&
		   vec_hex("seal-payload-300", "plaintext", &vp, &vpl) == 0 &&
		   vec_hex("seal-payload-300", "eph_priv", &vk, &vkl) == 0 && vkl == 32 &&
		   ck_att_key_from_scalar(vk, &eph, pub) == 0,
		   "vectors: the oracle's seal-payload-300")) {
		sw_ok(vs, vsl, eph, vp, vpl, "", "oracle package");
		sw_ok(vs, vsl, eph, vp, vpl, "some context", "oracle package, context");
		test_sealed_wrap_errors(vs, vsl);
	}
	EVP_PKEY_free(eph);
	if (vk)
		OPENSSL_cleanse(vk, vkl);
	free(vs);
	free(vp);
	free(vk);
	/* empty and largest payloads, sealed by the sender side (common/attest-sender.c) */
	if (ck_att_seal(chip.att.pub, chip.fuses.chip_id, plain, 0, sealed, &eph) == 0) {
		sw_ok(sealed, ck_seal_size(0), eph, plain, 0, "", "empty data package");
		EVP_PKEY_free(eph);
	}
	RAND_bytes(plain, sizeof(plain));
	if (ck_att_seal(chip.att.pub, chip.fuses.chip_id, plain, sizeof(plain), sealed, &eph) == 0) {
		sw_ok(sealed, sizeof(sealed), eph, plain, sizeof(plain), ctx256,
		      "largest package, 256-byte context");
		EVP_PKEY_free(eph);
	}
}

/* ---- CHIP_MAC */

static size_t put_mac(const struct chipkey_chip_mac *m, const uint8_t *in, size_t n)
{
	ck_emu_chip_mac_encode(m, req);
	memcpy(req + CK_EMU_CHIP_MAC_LEN, in, n);
	return CK_EMU_CHIP_MAC_LEN + n;
}

static void test_chip_mac(void)
{
	static const char *names[] = { "chip-mac-input-0", "chip-mac-input-100" };
	static uint8_t big[CHIPKEY_MAX_MAC_INPUT + 1];
	struct chipkey_chip_mac m, base;
	uint8_t want[32], first[32];
	size_t i;
	int bad;

	for (i = 0; i < 2; i++) {
		uint8_t *in = NULL;
		size_t il = 0;
		int st = 1;

		memset(&m, 0, sizeof(m));
		m.purpose = CHIPKEY_MAC_FLASH_MANIFEST;
		if (vec_hex(names[i], "input", &in, &il) == 0 && vec_fixed(names[i], "mac", want, 32)) {
			m.in_len = (uint32_t)il;
			st = call(&chip, 1, CHIPKEY_IOC_CHIP_MAC, put_mac(&m, in, il));
			ck_emu_chip_mac_decode(rpay, &m);
		}
		tap_ok(st == 0 && rlen == CK_EMU_CHIP_MAC_LEN && !memcmp(m.mac, want, 32),
		       "CHIP_MAC: %s = the oracle's", names[i]);
		free(in);
	}
	memset(&base, 0, sizeof(base));
	base.purpose = CHIPKEY_MAC_FLASH_MANIFEST;
	base.in_len = CHIPKEY_MAX_MAC_INPUT;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_CHIP_MAC, put_mac(&base, big, CHIPKEY_MAX_MAC_INPUT)), 0,
		   "CHIP_MAC: largest input (65536 bytes)");
	ck_emu_chip_mac_decode(rpay, &m);
	memcpy(first, m.mac, 32);
	call(&chip, 1, CHIPKEY_IOC_CHIP_MAC, put_mac(&base, big, CHIPKEY_MAX_MAC_INPUT));
	ck_emu_chip_mac_decode(rpay, &m);
	tap_ok(!memcmp(first, m.mac, 32) &&
	       ck_att_chip_mac(chip.fuses.chip_id, chip.fuses.chip_key, 1, big,
			       CHIPKEY_MAX_MAC_INPUT, want) == 0 && !memcmp(want, first, 32),
	       "CHIP_MAC: deterministic, = common/attest-chip.c");
	call(&other, 1, CHIPKEY_IOC_CHIP_MAC, put_mac(&base, big, CHIPKEY_MAX_MAC_INPUT));
	ck_emu_chip_mac_decode(rpay, &m);
	tap_ok(memcmp(first, m.mac, 32) != 0, "CHIP_MAC: another chip, another MAC");

	m = base;
	m.flags = 1;
	m.in_len = CHIPKEY_MAX_MAC_INPUT + 1;
	tap_eq_int(call(&chip, 0, CHIPKEY_IOC_CHIP_MAC, put_mac(&m, big, 0)), -EPERM,
		   "CHIP_MAC: unprivileged, malformed -> EPERM first");
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_CHIP_MAC, 3), -EINVAL,
		   "CHIP_MAC: frame shorter than the structure -> EINVAL");
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_CHIP_MAC, put_mac(&m, big, 0)), -EINVAL,
		   "CHIP_MAC: flags checked before in_len");
	for (bad = 0, i = 0; i < 6; i++) {
		m = base;
		m.in_len = 1;
		if (i < 5)
			m.reserved[i] = 2;
		else
			m.in_ptr = 64;
		bad += call(&chip, 1, CHIPKEY_IOC_CHIP_MAC, put_mac(&m, big, 1)) != -EINVAL;
	}
	tap_eq_int(bad, 0, "CHIP_MAC: each reserved word and in_ptr -> EINVAL");
	m = base;
	m.purpose = 0;
	m.in_len = CHIPKEY_MAX_MAC_INPUT + 1;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_CHIP_MAC, put_mac(&m, big, 0)), -EINVAL,
		   "CHIP_MAC: purpose 0 -> EINVAL, before EMSGSIZE");
	m.purpose = 2;
	m.in_len = 1;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_CHIP_MAC, put_mac(&m, big, 1)), -EINVAL,
		   "CHIP_MAC: purpose 2 -> EINVAL");
	m = base;
	m.in_len = CHIPKEY_MAX_MAC_INPUT + 1;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_CHIP_MAC, put_mac(&m, big, CHIPKEY_MAX_MAC_INPUT + 1)),
		   -EMSGSIZE, "CHIP_MAC: input 65537 -> EMSGSIZE");
	m.in_len = 10;
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_CHIP_MAC, put_mac(&m, big, 9)), -EINVAL,
		   "CHIP_MAC: frame shorter than in_len -> EINVAL");
	tap_eq_int(call(&chip, 1, CHIPKEY_IOC_CHIP_MAC, put_mac(&m, big, 11)), -EINVAL,
		   "CHIP_MAC: frame longer than in_len -> EINVAL");
}

static void test_wire_sizes(void)
{
	struct chipkey_info info;

	tap_ok(sizeof(struct chipkey_attest_key) == CK_EMU_ATTEST_KEY_LEN &&
	       sizeof(struct chipkey_attest) == CK_EMU_ATTEST_LEN &&
	       sizeof(struct chipkey_sealed_wrap) == CK_EMU_SEALED_WRAP_LEN &&
	       sizeof(struct chipkey_chip_mac) == CK_EMU_CHIP_MAC_LEN,
	       "wire sizes = sizeof (96, 136, 96, 72)");
	tap_eq_int(call(&chip, 0, CHIPKEY_IOC_INFO, 0), 0, "INFO");
	ck_emu_info_decode(rpay, &info);
	tap_eq_int(info.abi_version, CHIPKEY_ABI_VERSION, "INFO: abi_version = CHIPKEY_ABI_VERSION");
	tap_eq_int(CHIPKEY_ABI_VERSION, 2, "CHIPKEY_ABI_VERSION is 2");
}

/* ---- many threads on one chip: the emulator serves each connection in a thread */

struct worker {
	pthread_t t;
	uint8_t v[65];
	uint8_t want[32];
	int bad;
};

static void *attest_worker(void *arg)
{
	struct worker *w = arg;
	uint8_t *rq = malloc(CK_EMU_ATTEST_LEN + 8), *rp = malloc(CK_EMU_REPLY_BUF);
	struct chipkey_attest a;
	struct ck_emu_reply_hdr h;
	int i;

	if (!rq || !rp) {
		w->bad = 1;
		goto out;
	}
	for (i = 0; i < 50; i++) {
		memset(&a, 0, sizeof(a));
		memcpy(a.verifier_pub, w->v, 65);
		a.context_len = 8;
		ck_emu_attest_encode(&a, rq);
		memcpy(rq + CK_EMU_ATTEST_LEN, "parallel", 8);
		ck_emu_handle(&chip, 1, CHIPKEY_IOC_ATTEST, rq, CK_EMU_ATTEST_LEN + 8, rp);
		ck_emu_reply_hdr_decode(rp, &h);
		ck_emu_attest_decode(rp + CK_EMU_HDR_LEN, &a);
		if (h.status || memcmp(a.mac, w->want, 32))
			w->bad++;
	}
out:
	free(rq);
	free(rp);
	return NULL;
}

static void test_threads(void)
{
	struct worker w[8];
	EVP_PKEY *eph;
	int i, bad = 0, started = 0;

	for (i = 0; i < 8; i++) {
		w[i].bad = 0;
		if (ck_att_ephemeral(&eph, w[i].v) ||
		    ck_att_expected_attest(eph, chip.att.pub, chip.fuses.chip_id, "parallel", 8,
					   w[i].want))
			w[i].bad = 1;
		EVP_PKEY_free(eph);
	}
	for (i = 0; i < 8; i++)
		if (!pthread_create(&w[i].t, NULL, attest_worker, &w[i]))
			started |= 1 << i;
	for (i = 0; i < 8; i++) {
		if (started & (1 << i))
			pthread_join(w[i].t, NULL);
		else
			bad++;
		bad += w[i].bad;
	}
	tap_eq_int(bad, 0, "ATTEST: 8 threads x 50 requests on one chip, every MAC right");
}

/* ---- the largest frames over the socket of a real chipkey-emu */

static void test_socket(const char *bin, const char *dir)
{
	static uint8_t plain[CHIPKEY_MAX_PAYLOAD], sealed[CHIPKEY_MAX_SEALED];
	static uint8_t frame[CK_EMU_MAX_PAYLOAD], rbuf[CK_EMU_MAX_PAYLOAD];
	char tmp[] = "/tmp/ck-emu-attest-XXXXXX", state[300], sock[300], log[300], src[4200];
	struct chipkey_sealed_wrap w;
	struct chipkey_attest_key k;
	uint8_t ctx[CHIPKEY_MAX_CONTEXT], *img = NULL;
	size_t len = 0, n;
	EVP_PKEY *eph = NULL;
	pid_t pid;
	int fd, st;

	if (!mkdtemp(tmp))
		return;
	snprintf(state, sizeof(state), "%s/state", tmp);
	snprintf(sock, sizeof(sock), "%s/sock", tmp);
	snprintf(log, sizeof(log), "%s/log", tmp);
	snprintf(src, sizeof(src), "%s/fuse-vectors.bin", dir);
	if (ck_file_read(src, &img, &len, CK_FUSE_IMAGE_SIZE) ||
	    ck_file_write_atomic(state, img, len, 0600, 0)) {
		tap_ok(0, "socket: state file");
		free(img);
		return;
	}
	free(img);
	pid = th_start_emu(bin, state, sock, log, NULL, NULL, &st);
	if (!tap_ok(pid > 0, "socket: chipkey-emu started"))
		goto out;
	fd = th_raw_connect(sock);
	st = fd < 0 ? 1 : th_raw_send(fd, CK_EMU_REQ_MAGIC, CHIPKEY_IOC_ATTEST_KEY, NULL, 0);
	st = st ? 1 : th_raw_recv(fd, rbuf, sizeof(rbuf), &n);
	ck_emu_attest_key_decode(rbuf, &k);
	tap_ok(st == 0 && n == CK_EMU_ATTEST_KEY_LEN && !memcmp(k.pub, chip.att.pub, 65),
	       "socket: ATTEST_KEY (uid %u)", (unsigned int)getuid());
	/* the largest request of the protocol: 65672-byte package + 256-byte context */
	RAND_bytes(plain, sizeof(plain));
	memset(ctx, 'x', sizeof(ctx));
	if (ck_att_seal(chip.att.pub, chip.fuses.chip_id, plain, sizeof(plain), sealed, &eph) == 0) {
		sw_init(&w, sizeof(sealed), sizeof(ctx));
		ck_emu_sealed_wrap_encode(&w, frame);
		memcpy(frame + CK_EMU_SEALED_WRAP_LEN, sealed, sizeof(sealed));
		memcpy(frame + CK_EMU_SEALED_WRAP_LEN + sizeof(sealed), ctx, sizeof(ctx));
		n = 0;
		st = th_raw_send(fd, CK_EMU_REQ_MAGIC, CHIPKEY_IOC_SEALED_WRAP, frame,
				 CK_EMU_MAX_PAYLOAD);
		st = st ? 1 : th_raw_recv(fd, rbuf, sizeof(rbuf), &n);
		ck_emu_sealed_wrap_decode(rbuf, &w);
		/* a privileged peer is whoever runs the emulator, or root */
		if (st == -EPERM)
			tap_skip("peer not privileged", "socket: largest SEALED_WRAP frame");
		else
			tap_ok(st == 0 && w.out_len == CHIPKEY_MAX_PACKAGE &&
			       n == CK_EMU_SEALED_WRAP_LEN + CHIPKEY_MAX_PACKAGE &&
			       ck_att_sealed_wrap_verify(eph, chip.att.pub, chip.fuses.chip_id,
							 rbuf + CK_EMU_SEALED_WRAP_LEN, w.out_len,
							 42, plain, sizeof(plain), ctx, sizeof(ctx),
							 w.mac) == 0,
			       "socket: largest SEALED_WRAP frame (%d payload bytes) answered",
			       CK_EMU_MAX_PAYLOAD);
		EVP_PKEY_free(eph);
	}
	/* one byte more than the largest frame: refused */
	st = th_raw_send(fd, CK_EMU_REQ_MAGIC, CHIPKEY_IOC_SEALED_WRAP, frame, 0) ? 1 : 0;
	if (fd >= 0)
		close(fd);
	fd = th_raw_connect(sock);
	{
		uint8_t hdr[CK_EMU_HDR_LEN];
		struct ck_emu_req_hdr h = { CK_EMU_REQ_MAGIC, CK_EMU_PROTO_VERSION,
					    CHIPKEY_IOC_SEALED_WRAP, CK_EMU_MAX_PAYLOAD + 1 };

		ck_emu_req_hdr_encode(&h, hdr);
		st = fd < 0 || write(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) ? 1 :
		     th_raw_recv(fd, rbuf, sizeof(rbuf), &n);
		tap_eq_int(st, -EINVAL, "socket: a frame of CK_EMU_MAX_PAYLOAD + 1 -> EINVAL");
	}
	if (fd >= 0)
		close(fd);
	th_stop_emu(pid);
out:
	unlink(state);
	unlink(sock);
	unlink(log);
	rmdir(tmp);
}

/* The power-on self-test (emu/selftest.c): passes on a sound chip, fails
 * on one whose attestation key does not answer to its Q. */
static void test_self_test(void)
{
	struct ck_emu_chip bad = chip;

	tap_ok(ck_emu_self_test(&chip) == 0 && ck_emu_self_test(&other) == 0,
	       "self-test: both chips pass");
	memcpy(bad.att.pub, other.att.pub, sizeof(bad.att.pub));
	tap_ok(ck_emu_self_test(&bad) == -EBADMSG,
	       "self-test: a chip whose Q is not its attestation key's fails (-EBADMSG)");
	OPENSSL_cleanse(&bad, sizeof(bad));
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../docs/test-vectors";
	uint8_t *img = NULL;
	size_t len = 0;
	char path[4200], err[256];
	int ret;

	snprintf(vfile, sizeof(vfile), "%s/attest-v1.txt", dir);
	snprintf(path, sizeof(path), "%s/fuse-vectors.bin", dir);
	ret = ck_file_read(path, &img, &len, CK_FUSE_IMAGE_SIZE);
	if (!tap_ok(ret == 0 && len == CK_FUSE_IMAGE_SIZE &&
		    ck_chip_parse(img, &chip, err, sizeof(err)) == 0,
		    "the vector chip (%s) loads, attestation key derived", path))
		return 1;
	img[CK_FUSE_OFF_CHIP_ID] ^= 0x5a;
	img[CK_FUSE_OFF_CHIP_KEY] ^= 0x5a;
	ret = ck_chip_parse(img, &other, err, sizeof(err));
	OPENSSL_cleanse(img, len);
	free(img);
	if (!tap_ok(ret == 0, "another chip loads"))
		return 1;
	test_wire_sizes();
	test_attest_key();
	test_attest();
	test_sealed_wrap();
	test_chip_mac();
	test_self_test();
	test_threads();
	if (argc > 2)
		test_socket(argv[2], dir);
	ck_chip_wipe(&chip);
	ck_chip_wipe(&other);
	tap_ok(ck_att_all_zero((const uint8_t *)&chip, sizeof(chip)),
	       "ck_chip_wipe leaves only zeros");
	return tap_exit_status();
}

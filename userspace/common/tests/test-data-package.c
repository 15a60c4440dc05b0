// SPDX-License-Identifier: GPL-2.0
/*
 * Data package codec tests.  Packages are built here byte by byte from the
 * layout in docs/data-package.md (not with the encoder under test), and every
 * decode runs on an exact-size heap copy so ASan catches any over-read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <chipkey/byteorder.h>
#include <chipkey/data_package.h>
#include "common/identity.h"
#include "common/tap.h"

#define IMEI "352099001761481"	/* Luhn digit 1 */
static const uint8_t chip[16] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};
static const uint8_t der_small[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };

struct tb {
	uint8_t b[CK_DP_MAX_LEN + 64];
	size_t n;
	size_t ends[32];	/* offset just past each entry */
	int nends;
};

static void tb_start(struct tb *t)
{
	memcpy(t->b, "CKDATA01", 8);
	ck_put_be16(t->b + 8, 1);
	ck_put_be16(t->b + 10, 0);
	ck_put_be32(t->b + 12, 0);
	t->n = 16;
	t->nends = 0;
}

static void tb_entry(struct tb *t, unsigned int type, unsigned int flags,
		     const void *v, size_t len)
{
	ck_put_be16(t->b + t->n, type);
	ck_put_be16(t->b + t->n + 2, flags);
	ck_put_be32(t->b + t->n + 4, (uint32_t)len);
	memcpy(t->b + t->n + 8, v, len);
	t->n += 8 + len;
	if (t->nends < 32)
		t->ends[t->nends++] = t->n;
}

static void tb_finish(struct tb *t)
{
	ck_put_be32(t->b + 12, (uint32_t)t->n);
}

/* The two required entries. */
static void tb_minimal(struct tb *t)
{
	tb_start(t);
	tb_entry(t, 0x0001, 1, IMEI, 15);
	tb_entry(t, 0x0002, 1, chip, 16);
}

static int dec(const uint8_t *b, size_t n, struct ck_dp **out)
{
	uint8_t *copy = malloc(n ? n : 1);
	struct ck_dp *dp = NULL;
	int err;

	memcpy(copy, b, n);
	err = ck_dp_decode(copy, n, &dp);
	free(copy);
	if (out)
		*out = dp;
	else
		ck_dp_free(dp);
	return err;
}

static int full_package(struct tb *t)
{
	uint8_t gen[8] = { 0, 0, 0, 0, 0, 0, 0, 7 }, created[8] = { 0, 0, 0, 0, 0x66, 0, 0, 1 };
	uint8_t key[32], big[300];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0xa0 + i);
	big[0] = 0x30;
	big[1] = 0x82;
	big[2] = 0x01;
	big[3] = 0x28;	/* 296 content bytes */
	memset(big + 4, 0x5a, sizeof(big) - 4);
	tb_start(t);
	tb_entry(t, 0x0001, 1, IMEI, 15);
	tb_entry(t, 0x0002, 1, chip, 16);
	tb_entry(t, 0x0003, 0, gen, 8);
	tb_entry(t, 0x0004, 0, created, 8);
	tb_entry(t, 0x0010, 1, key, 32);
	tb_entry(t, 0x0011, 1, der_small, sizeof(der_small));
	tb_entry(t, 0x0012, 1, big, sizeof(big));
	tb_entry(t, 0x0013, 0, der_small, sizeof(der_small));
	tb_entry(t, 0x7000, 0, "future", 6);	/* unknown, not critical */
	tb_finish(t);
	return 9;
}

static void test_roundtrip(void)
{
	struct tb t;
	struct ck_dp *dp = NULL;
	uint8_t *enc = NULL, cid[16];
	size_t enc_len = 0;
	char id[16];
	uint64_t g = 0;
	const uint8_t *v;
	size_t vlen;
	int n = full_package(&t);

	tap_ok(dec(t.b, t.n, &dp) == 0, "hand-built package with every entry type decodes");
	if (!dp) {
		tap_ok(0, "round trip (no package)");
		return;
	}
	tap_ok(ck_dp_count(dp) == (size_t)n, "all %d entries kept, including the unknown one", n);
	tap_ok(ck_dp_device_id(dp, id) == 0 && strcmp(id, IMEI) == 0, "device identity accessor");
	tap_ok(ck_dp_chip_id(dp, cid) == 0 && memcmp(cid, chip, 16) == 0, "chip ID accessor");
	tap_ok(ck_dp_u64(dp, CK_DP_GENERATION, &g) == 0 && g == 7, "generation accessor");
	tap_ok(ck_dp_get(dp, CK_DP_CHANNEL_KEY, &v, &vlen) == 0 && vlen == 32 && v[31] == 0xbf,
	       "channel key accessor");
	tap_ok(ck_dp_get(dp, CK_DP_CUSTOMER_CERT, &v, &vlen) == -ENOENT,
	       "absent entry gives -ENOENT");
	tap_ok(ck_dp_encode(dp, &enc, &enc_len) == 0 && enc_len == t.n &&
	       memcmp(enc, t.b, t.n) == 0, "decode then encode gives the same bytes");
	ck_dp_buf_free(enc, enc_len);
	ck_dp_free(dp);
}

static void test_encoder_vector(void)
{
	struct tb t;
	struct ck_dp *dp = ck_dp_new();
	uint8_t *enc = NULL;
	size_t len = 0;
	int ok;

	/* Set in non-canonical order; encoder must sort. */
	ok = ck_dp_set(dp, 0x7001, 0, "x", 1) == 0 &&
	     ck_dp_set_chip_id(dp, chip) == 0 &&
	     ck_dp_set_device_id(dp, IMEI) == 0;
	tb_minimal(&t);
	tb_entry(&t, 0x7001, 0, "x", 1);
	tb_finish(&t);
	ok = ok && ck_dp_encode(dp, &enc, &len) == 0;
	tap_ok(ok && len == t.n && memcmp(enc, t.b, len) == 0,
	       "encoder output equals the hand-built canonical bytes");
	ck_dp_buf_free(enc, len);
	/* Replacing an entry keeps one copy. */
	ck_dp_set_device_id(dp, "490154203237518");
	tap_ok(ck_dp_count(dp) == 3, "setting an entry twice replaces it");
	tap_ok(ck_dp_remove(dp, CK_DP_DEVICE_ID) == 0 &&
	       ck_dp_encode(dp, &enc, &len) == -EINVAL,
	       "encoder refuses a package without device identity");
	ck_dp_free(dp);

	dp = ck_dp_new();
	tap_ok(ck_dp_set_device_id(dp, "352099001761482") == -EINVAL &&
	       ck_dp_set_device_id(dp, "35209900176148") == -EINVAL &&
	       ck_dp_set_device_id(dp, "35209900176148a") == -EINVAL &&
	       ck_dp_set(dp, CK_DP_CHIP_ID, 0, chip, 15) == -EINVAL &&
	       ck_dp_set(dp, CK_DP_CHANNEL_KEY, 0, chip, 16) == -EINVAL &&
	       ck_dp_set(dp, CK_DP_DEVICE_CERT, 0, "\x31\x00", 2) == -EINVAL &&
	       ck_dp_set(dp, 0x7000, 0x0002, "x", 1) == -EINVAL &&
	       ck_dp_set(dp, 0, 0, "x", 1) == -EINVAL,
	       "setters refuse invalid values, flags and type 0");
	/* Oversize package. */
	{
		size_t big = CK_DP_MAX_LEN - 16 - 8 - 8 - 15 - 8 - 16 + 1;
		uint8_t *z = calloc(1, big);

		ck_dp_set_device_id(dp, IMEI);
		ck_dp_set_chip_id(dp, chip);
		ck_dp_set(dp, 0x7000, 0, z, big);
		tap_ok(ck_dp_encode(dp, &enc, &len) == -EMSGSIZE,
		       "encoder refuses a package one byte over the limit");
		ck_dp_set(dp, 0x7000, 0, z, big - 1);
		tap_ok(ck_dp_encode(dp, &enc, &len) == 0 && len == CK_DP_MAX_LEN &&
		       dec(enc, len, NULL) == 0,
		       "a package of exactly CK_DP_MAX_LEN bytes encodes and decodes");
		ck_dp_buf_free(enc, len);
		free(z);
	}
	ck_dp_free(dp);
}

static void test_truncation(void)
{
	struct tb t;
	int bad_plain = 0, bad_patched = 0, bad_prefix = 0;

	full_package(&t);
	for (size_t n = 0; n < t.n; n++) {
		uint8_t *c = malloc(t.n);

		memcpy(c, t.b, t.n);
		if (dec(c, n, NULL) != -EINVAL)
			bad_plain++;
		/* Also make the header claim the truncated size. */
		if (n >= 16) {
			struct ck_dp *dp = NULL;
			int k = -1, err;

			ck_put_be32(c + 12, (uint32_t)n);
			for (int i = 0; i < t.nends; i++)
				if (t.ends[i] == n)
					k = i + 1;
			err = dec(c, n, &dp);
			/*
			 * Cut at an entry boundary (after the two required
			 * entries) with the total length rewritten, this is
			 * a valid shorter package: it must decode to exactly
			 * those first k entries.  Anywhere else: -EINVAL.
			 */
			if (k >= 2) {
				if (err || ck_dp_count(dp) != (size_t)k)
					bad_prefix++;
			} else if (err != -EINVAL) {
				bad_patched++;
			}
			ck_dp_free(dp);
		}
		free(c);
	}
	tap_ok(bad_plain == 0, "truncation at each of %zu bytes refused", t.n);
	tap_ok(bad_patched == 0,
	       "truncation with a rewritten total length refused inside every entry");
	tap_ok(bad_prefix == 0,
	       "cut at an entry boundary with a rewritten total: decodes to that prefix");
}

static void test_header(void)
{
	struct tb t;
	int bad = 0;

	tb_minimal(&t);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == 0, "minimal package (identity + chip ID) decodes");
	for (int i = 0; i < 8; i++) {
		t.b[i] ^= 0x20;
		bad += dec(t.b, t.n, NULL) != -EINVAL;
		t.b[i] ^= 0x20;
	}
	tap_ok(bad == 0, "bad magic refused (each byte)");
	ck_put_be16(t.b + 8, 0);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "version 0 refused");
	ck_put_be16(t.b + 8, 2);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "version 2 refused");
	ck_put_be16(t.b + 8, 1);
	ck_put_be16(t.b + 10, 1);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "non-zero header flags refused");
	ck_put_be16(t.b + 10, 0);
	ck_put_be32(t.b + 12, (uint32_t)t.n + 1);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "total length larger than the buffer refused");
	ck_put_be32(t.b + 12, (uint32_t)t.n - 1);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "total length smaller than the buffer refused");
	tb_finish(&t);
	t.b[t.n] = 0;
	tap_ok(dec(t.b, t.n + 1, NULL) == -EINVAL, "trailing byte refused");
	tap_ok(dec(t.b, 0, NULL) == -EINVAL && ck_dp_decode(NULL, 0, NULL) == -EINVAL,
	       "empty input refused");
}

static void test_entries(void)
{
	struct tb t;
	uint8_t key31[31] = { 0 };
	struct ck_dp *dp = NULL;
	const uint8_t *v;
	size_t vlen;

	tb_minimal(&t);
	tb_entry(&t, 0x0002, 1, chip, 16);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "duplicate entry refused");

	tb_start(&t);
	tb_entry(&t, 0x0002, 1, chip, 16);
	tb_entry(&t, 0x0001, 1, IMEI, 15);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "entries out of canonical order refused");

	tb_minimal(&t);
	tb_entry(&t, 0x7000, 1, "future", 6);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "unknown critical entry refused");

	tb_minimal(&t);
	tb_entry(&t, 0x0030, 0, "", 0);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "pairing-records with an empty value refused");
	tb_minimal(&t);
	tb_entry(&t, 0x0030, 0, "\x01", 1);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == 0 && ck_dp_type_is_secret(0x0030) &&
	       !strcmp(ck_dp_type_name(0x0030), "pairing-records"),
	       "pairing-records decoded (its list is checked by the pairing codec), secret");

	/* the customer entries of chipkey enroll are known: checked as DER */
	tb_minimal(&t);
	tb_entry(&t, 0x0021, 0, "not DER", 7);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "customer-cert that is not one DER SEQUENCE refused");
	tb_minimal(&t);
	tb_entry(&t, 0x0020, 0, der_small, sizeof(der_small));
	tb_entry(&t, 0x0021, 0, der_small, sizeof(der_small));
	tb_entry(&t, 0x0022, 0, der_small, sizeof(der_small));
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == 0 && ck_dp_type_is_secret(0x0020) &&
	       !ck_dp_type_is_secret(0x0021) && !strcmp(ck_dp_type_name(0x0022), "customer-ca-cert"),
	       "customer-key (secret), customer-cert, customer-ca-cert decoded");

	tb_minimal(&t);
	tb_entry(&t, 0x7000, 0, "future", 6);
	tb_entry(&t, 0xffff, 0, "", 0);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, &dp) == 0 && ck_dp_count(dp) == 4 &&
	       ck_dp_get(dp, 0x7000, &v, &vlen) == 0 && vlen == 6 &&
	       memcmp(v, "future", 6) == 0,
	       "unknown non-critical entries accepted and kept");
	ck_dp_free(dp);

	tb_minimal(&t);
	tb_entry(&t, 0x7000, 0x0002, "x", 1);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "reserved entry flag bit refused");

	tb_start(&t);
	tb_entry(&t, 0x0000, 0, "x", 1);
	tb_entry(&t, 0x0001, 1, IMEI, 15);
	tb_entry(&t, 0x0002, 1, chip, 16);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "type 0 refused");

	/* Entry length pointing past the end. */
	tb_minimal(&t);
	tb_entry(&t, 0x7000, 0, "abcd", 4);
	tb_finish(&t);
	ck_put_be32(t.b + t.n - 8, 0xffffffffu);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "entry length 0xffffffff refused");
	ck_put_be32(t.b + t.n - 8, 5);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "entry length one past the end refused");
	ck_put_be32(t.b + t.n - 8, 3);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "entry length one short (dangling byte) refused");

	/* Oversize total. */
	{
		size_t n = CK_DP_MAX_LEN + 1;
		uint8_t *b = calloc(1, n);

		tb_minimal(&t);
		memcpy(b, t.b, t.n);
		ck_put_be16(b + t.n, 0x7000);
		ck_put_be32(b + t.n + 4, (uint32_t)(n - t.n - 8));
		ck_put_be32(b + 12, (uint32_t)n);
		tap_ok(dec(b, n, NULL) == -EINVAL,
		       "package larger than CHIPKEY_MAX_PAYLOAD refused");
		free(b);
	}

	/* Known entries with invalid values. */
	tb_start(&t);
	tb_entry(&t, 0x0001, 1, "352099001761482", 15);
	tb_entry(&t, 0x0002, 1, chip, 16);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "identity with a wrong check digit refused");
	tb_start(&t);
	tb_entry(&t, 0x0001, 1, "35209900176148", 14);
	tb_entry(&t, 0x0002, 1, chip, 16);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "14-digit identity refused");
	tb_start(&t);
	tb_entry(&t, 0x0001, 1, IMEI, 15);
	tb_entry(&t, 0x0002, 1, chip, 15);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "15-byte chip ID refused");
	tb_minimal(&t);
	tb_entry(&t, 0x0010, 1, key31, 31);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "31-byte channel key refused");
	tb_minimal(&t);
	tb_entry(&t, 0x0003, 0, key31, 4);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "4-byte generation refused");
	{
		static const uint8_t bad_der[][6] = {
			{ 0x31, 0x03, 0x02, 0x01, 0x05 },	/* SET, not SEQUENCE */
			{ 0x30, 0x04, 0x02, 0x01, 0x05 },	/* length too long */
			{ 0x30, 0x02, 0x02, 0x01, 0x05 },	/* trailing byte */
			{ 0x30, 0x81, 0x03, 0x02, 0x01, 0x05 },	/* non-minimal */
			{ 0x30, 0x80, 0x02, 0x01, 0x05, 0x00 },	/* indefinite */
		};
		static const size_t lens[] = { 5, 5, 5, 6, 6 };
		int bad = 0;

		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			tb_minimal(&t);
			tb_entry(&t, 0x0012, 1, bad_der[i], lens[i]);
			tb_finish(&t);
			bad += dec(t.b, t.n, NULL) != -EINVAL;
		}
		tap_ok(bad == 0, "malformed DER values refused (5 cases)");
	}
	tb_start(&t);
	tb_entry(&t, 0x0001, 1, IMEI, 15);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "package without chip ID refused");
	tb_start(&t);
	tb_entry(&t, 0x0002, 1, chip, 16);
	tb_finish(&t);
	tap_ok(dec(t.b, t.n, NULL) == -EINVAL, "package without identity refused");
}

/*
 * Random byte mutations: never a crash or over-read (ASan); accepted input
 * re-encodes to exactly the same bytes (the format is canonical).
 */
static void test_mutations(void)
{
	struct tb t;
	unsigned int seed = 12345;
	int accepted = 0, noncanon = 0, weird = 0;

	full_package(&t);
	for (int iter = 0; iter < 20000; iter++) {
		uint8_t *c = malloc(t.n);
		struct ck_dp *dp = NULL;
		int err, k;

		memcpy(c, t.b, t.n);
		k = 1 + (int)(rand_r(&seed) % 4);
		for (int j = 0; j < k; j++)
			c[rand_r(&seed) % t.n] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
		err = ck_dp_decode(c, t.n, &dp);
		if (err == 0) {
			uint8_t *e = NULL;
			size_t el = 0;

			accepted++;
			if (ck_dp_encode(dp, &e, &el) || el != t.n || memcmp(e, c, el))
				noncanon++;
			ck_dp_buf_free(e, el);
		} else if (err != -EINVAL) {
			weird++;
		}
		ck_dp_free(dp);
		free(c);
	}
	tap_diag("mutations: %d of 20000 still valid (e.g. flips inside opaque values)", accepted);
	tap_ok(weird == 0, "every refused mutation is -EINVAL");
	tap_ok(noncanon == 0, "every accepted mutation re-encodes to the same bytes");
}

static void test_luhn(void)
{
	/* Well-known published examples of valid IMEIs / Luhn numbers. */
	tap_ok(ck_identity_valid("490154203237518") && ck_identity_valid("352099001761481") &&
	       !ck_identity_valid("490154203237519") && !ck_identity_valid("49015420323751") &&
	       !ck_identity_valid("4901542032375180") && !ck_identity_valid(NULL),
	       "identity validation (good and bad examples)");
	tap_ok(ck_luhn_digit("7992739871", 10) == 3, "Luhn digit of 7992739871 is 3");
}

int main(void)
{
	test_roundtrip();
	test_encoder_vector();
	test_truncation();
	test_header();
	test_entries();
	test_mutations();
	test_luhn();
	return tap_exit_status();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit test of the provisioning protocol codec (proto/): every message
 * encodes to the bytes tabled in docs/provisioning-protocol.md and decodes
 * back; decoders refuse wrong types, sizes and lengths; the frame header
 * codec; the proof binds every input.  TAP on stdout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <chipkey/data_package.h>
#include "common/hex.h"
#include "common/tap.h"
#include "proto/messages.h"
#include "proto/proof.h"

static struct spp_frame frame(uint16_t type, uint8_t *body, size_t len)
{
	struct spp_frame f = { .type = type, .version = CK_SPP_VERSION, .body = body, .len = len };

	return f;
}

static int hex_is(const uint8_t *b, size_t n, const char *want)
{
	char *h = malloc(2 * n + 1);
	int ok;

	if (!h)
		return 0;
	ck_hex_encode(b, n, h);
	ok = !strcmp(h, want);
	if (!ok)
		tap_diag("got  %s\n# want %s", h, want);
	free(h);
	return ok;
}

static void test_header(void)
{
	struct ck_spp_header h = { .body_len = 0x01020304, .type = CK_SPP_ERROR, .version = 1 };
	struct ck_spp_header g;
	uint8_t raw[CK_SPP_FRAME_HDR_LEN];

	spp_header_encode(&h, raw);
	tap_ok(hex_is(raw, sizeof(raw), "0102030400ff0001"), "frame header: length, type, version");
	spp_header_decode(raw, &g);
	tap_ok(g.body_len == h.body_len && g.type == h.type && g.version == h.version,
	       "frame header decodes back");
}

static void test_hello(void)
{
	struct ck_spp_hello m = { .flags = 0 }, d;
	uint8_t body[CK_SPP_HELLO_LEN + 1];
	struct spp_frame f;

	memset(m.chip_id, 0x11, sizeof(m.chip_id));
	memset(m.rom_fp, 0x22, sizeof(m.rom_fp));
	spp_hello_encode(&m, body);
	tap_ok(hex_is(body, CK_SPP_HELLO_LEN,
		      "11111111111111111111111111111111"
		      "2222222222222222222222222222222222222222222222222222222222222222"
		      "00000000"), "HELLO: chip ID, fingerprint, flags (52 bytes)");
	f = frame(CK_SPP_HELLO, body, CK_SPP_HELLO_LEN);
	tap_ok(!spp_hello_decode(&f, &d) && !memcmp(&d, &m, sizeof(m)), "HELLO decodes back");
	f.len = CK_SPP_HELLO_LEN - 1;
	tap_eq_int(spp_hello_decode(&f, &d), -EINVAL, "HELLO one byte short: malformed");
	f.len = CK_SPP_HELLO_LEN + 1;
	tap_eq_int(spp_hello_decode(&f, &d), -EINVAL, "HELLO one byte long: malformed");
	f.len = CK_SPP_HELLO_LEN;
	body[CK_SPP_HELLO_LEN - 1] = 1;
	tap_eq_int(spp_hello_decode(&f, &d), -EINVAL, "HELLO with flags != 0: malformed");
	f.type = CK_SPP_BACKUP;
	tap_eq_int(spp_hello_decode(&f, &d), -EBADMSG, "HELLO decoder refuses another type");
}

static void test_offer(void)
{
	uint8_t dp[3] = { 0xaa, 0xbb, 0xcc }, *body = NULL;
	struct ck_spp_offer m = { .dp = dp, .dp_len = sizeof(dp) }, d;
	struct spp_frame f;
	size_t len = 0;

	memset(m.nonce, 0x5a, sizeof(m.nonce));
	tap_ok(!spp_offer_encode(&m, &body, &len) && len == CK_SPP_OFFER_FIXED + 3 &&
	       hex_is(body, len, "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
		      "00000003aabbcc"), "OFFER: nonce, length, data package");
	f = frame(CK_SPP_OFFER, body, len);
	tap_ok(!spp_offer_decode(&f, &d) && d.dp_len == 3 && !memcmp(d.dp, dp, 3) &&
	       !memcmp(d.nonce, m.nonce, sizeof(d.nonce)), "OFFER decodes back");
	f.len--;
	tap_eq_int(spp_offer_decode(&f, &d), -EINVAL, "OFFER shorter than its length: malformed");
	spp_body_free(body, len);
	m.dp_len = 0;
	tap_eq_int(spp_offer_encode(&m, &body, &len), -EINVAL,
		   "OFFER with an empty package: refused");
}

static void test_backup(void)
{
	uint8_t bk[2] = { 0x01, 0x02 }, *body = NULL;
	struct ck_spp_backup m = { .backup = bk, .backup_len = sizeof(bk) }, d;
	struct spp_frame f;
	size_t len = 0;

	memset(m.proof, 0x33, sizeof(m.proof));
	tap_ok(!spp_backup_encode(&m, &body, &len) && len == CK_SPP_BACKUP_FIXED + 2 &&
	       hex_is(body, len, "000000020102"
		      "3333333333333333333333333333333333333333333333333333333333333333"),
	       "BACKUP: length, backup package, proof");
	f = frame(CK_SPP_BACKUP, body, len);
	tap_ok(!spp_backup_decode(&f, &d) && d.backup_len == 2 && !memcmp(d.backup, bk, 2) &&
	       !memcmp(d.proof, m.proof, sizeof(d.proof)), "BACKUP decodes back");
	body[3] = 3;
	tap_eq_int(spp_backup_decode(&f, &d), -EINVAL,
		   "BACKUP whose length runs into the proof: malformed");
	spp_body_free(body, len);
}

static void test_done(void)
{
	struct ck_spp_done m = { .identity = "357777000000018", .generation = 0x0102 }, d;
	uint8_t body[CK_SPP_DONE_LEN];
	struct spp_frame f;

	tap_ok(!spp_done_encode(&m, body) &&
	       hex_is(body, sizeof(body), "3335373737373030303030303031380000000000000102"),
	       "DONE: identity, generation (23 bytes)");
	f = frame(CK_SPP_DONE, body, sizeof(body));
	tap_ok(!spp_done_decode(&f, &d) && !strcmp(d.identity, m.identity) &&
	       d.generation == m.generation, "DONE decodes back");
	strcpy(m.identity, "1234");
	tap_eq_int(spp_done_encode(&m, body), -EINVAL, "DONE with a short identity: refused");
}

static void test_already(void)
{
	uint8_t bk[1] = { 0xb0 }, cert[2] = { 0xc0, 0xc1 }, *body = NULL;
	struct ck_spp_already m = {
		.identity = "357777000000018", .generation = 1,
		.backup = bk, .backup_len = 1, .cert = cert, .cert_len = 2,
	}, d;
	struct spp_frame f;
	size_t len = 0;

	tap_ok(!spp_already_encode(&m, &body, &len) && len == CK_SPP_ALREADY_FIXED + 3 &&
	       hex_is(body, len, "333537373737303030303030303138" "0000000000000001"
		      "00000001b0" "00000002c0c1"),
	       "ALREADY: identity, generation, backup, certificate");
	f = frame(CK_SPP_ALREADY, body, len);
	tap_ok(!spp_already_decode(&f, &d) && !strcmp(d.identity, m.identity) &&
	       d.generation == 1 && d.backup_len == 1 && d.backup[0] == 0xb0 &&
	       d.cert_len == 2 && !memcmp(d.cert, cert, 2), "ALREADY decodes back");
	f.len++;
	tap_eq_int(spp_already_decode(&f, &d), -EINVAL, "ALREADY with a trailing byte: malformed");
	spp_body_free(body, len);
}

static void test_error(void)
{
	struct ck_spp_error m = { .code = CK_SPP_E_BAD_PROOF }, d;
	uint8_t *body = NULL;
	struct spp_frame f;
	size_t len = 0;

	strcpy(m.text, "no\x01");
	tap_ok(!spp_error_encode(&m, &body, &len) && hex_is(body, len, "000a00036e6f01"),
	       "ERROR: code, text length, text");
	f = frame(CK_SPP_ERROR, body, len);
	tap_ok(!spp_error_decode(&f, &d) && d.code == CK_SPP_E_BAD_PROOF &&
	       !strcmp(d.text, "no?"), "ERROR decodes back, unprintable text replaced");
	f.len--;
	tap_ok(spp_error_decode(&f, &d) == -EINVAL && d.code == CK_SPP_E_BAD_PROOF,
	       "ERROR with a short text: malformed, code still read");
	spp_body_free(body, len);
	memset(m.text, 'x', CK_SPP_MAX_ERROR_TEXT);
	m.text[CK_SPP_MAX_ERROR_TEXT] = 0;
	tap_ok(!spp_error_encode(&m, &body, &len) &&
	       len == CK_SPP_ERROR_FIXED + CK_SPP_MAX_ERROR_TEXT,
	       "ERROR text of the maximum length");
	spp_body_free(body, len);
	tap_ok(!strcmp(spp_err_name(CK_SPP_E_WRONG_CHIP), "WRONG_CHIP") &&
	       !strcmp(spp_type_name(CK_SPP_ALREADY), "ALREADY"), "error and type names");
}

static void test_proof(void)
{
	uint8_t key[32], nonce[CK_SPP_NONCE_LEN] = { 1 }, chip[CHIPKEY_CHIP_ID_LEN] = { 2 };
	uint8_t bk[4] = { 9, 8, 7, 6 }, p1[CK_SPP_PROOF_LEN], p2[CK_SPP_PROOF_LEN];
	uint8_t *dpb = NULL;
	size_t dpl = 0;
	struct ck_dp *dp = ck_dp_new();
	struct spp_proof_input in;

	memset(key, 0x42, sizeof(key));
	if (!dp || ck_dp_set_device_id(dp, "357777000000010") ||
	    ck_dp_set_chip_id(dp, chip) ||
	    ck_dp_set(dp, CK_DP_CHANNEL_KEY, 0, key, sizeof(key)) ||
	    ck_dp_encode(dp, &dpb, &dpl)) {
		tap_ok(0, "a data package with a channel key for the proof");
		ck_dp_free(dp);
		return;
	}
	in = (struct spp_proof_input) {
		.nonce = nonce, .chip_id = chip, .dp = dpb, .dp_len = dpl,
		.backup = bk, .backup_len = sizeof(bk),
	};
	tap_ok(!spp_proof_compute(&in, p1) && !spp_proof_check(&in, p1),
	       "proof: computed, and checks");
	nonce[0] ^= 1;
	tap_eq_int(spp_proof_check(&in, p1), -EBADMSG, "proof: another nonce fails");
	nonce[0] ^= 1;
	bk[0] ^= 1;
	tap_eq_int(spp_proof_check(&in, p1), -EBADMSG, "proof: another backup fails");
	bk[0] ^= 1;
	chip[0] ^= 1;
	tap_eq_int(spp_proof_check(&in, p1), -EBADMSG, "proof: another chip fails");
	chip[0] ^= 1;
	tap_ok(!spp_proof_compute(&in, p2) && !memcmp(p1, p2, sizeof(p1)),
	       "proof: deterministic");
	ck_dp_buf_free(dpb, dpl);
	ck_dp_free(dp);
}

int main(void)
{
	test_header();
	test_hello();
	test_offer();
	test_backup();
	test_done();
	test_already();
	test_error();
	test_proof();
	return tap_exit_status();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit test of the provisioning protocol codec (proto/): every message
 * encodes to the bytes tabled in docs/provisioning-protocol.md and decodes
 * back; decoders refuse wrong types, sizes and lengths; the frame header
 * codec; the SEALED_WRAP context.  TAP on stdout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/tap.h"
#include "proto/messages.h"
#include "proto/context.h"

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
	memset(m.attest_pub, 0x44, sizeof(m.attest_pub));
	m.attest_pub[0] = 0x04;
	spp_hello_encode(&m, body);
	tap_ok(CK_SPP_HELLO_LEN == 117 &&
	       hex_is(body, CK_SPP_HELLO_LEN,
		      "11111111111111111111111111111111"
		      "2222222222222222222222222222222222222222222222222222222222222222"
		      "044444444444444444444444444444444444444444444444444444444444444444"
		      "4444444444444444444444444444444444444444444444444444444444444444"
		      "00000000"), "HELLO: chip ID, fingerprint, Q, flags (117 bytes)");
	f = frame(CK_SPP_HELLO, body, CK_SPP_HELLO_LEN);
	memset(&d, 0, sizeof(d));
	tap_ok(!spp_hello_decode(&f, &d) && !memcmp(d.chip_id, m.chip_id, sizeof(m.chip_id)) &&
	       !memcmp(d.rom_fp, m.rom_fp, sizeof(m.rom_fp)) &&
	       !memcmp(d.attest_pub, m.attest_pub, sizeof(m.attest_pub)) && !d.flags,
	       "HELLO decodes back");
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
	uint8_t cert[2] = { 0x30, 0x00 }, ca[3] = { 0x30, 0x01, 0x05 };
	uint8_t sealed[CHIPKEY_SEAL_OVERHEAD + 1], *body = NULL;
	struct ck_spp_offer m = {
		.cert = cert, .cert_len = sizeof(cert),
		.ca_cert = ca, .ca_cert_len = sizeof(ca),
		.sealed = sealed, .sealed_len = sizeof(sealed),
	}, d;
	struct spp_frame f;
	size_t len = 0;

	memset(m.nonce, 0x5a, sizeof(m.nonce));
	memset(sealed, 0xcc, sizeof(sealed));
	tap_ok(!spp_offer_encode(&m, &body, &len) &&
	       len == 32 + 4 + 2 + 4 + 3 + 4 + sizeof(sealed) &&
	       hex_is(body, 49, "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
		      "00000002" "3000" "00000003" "300105" "00000089") && body[len - 1] == 0xcc,
	       "OFFER: nonce, certificate length, certificate, issuing CA length, issuing CA, "
	       "sealed length, sealed");
	f = frame(CK_SPP_OFFER, body, len);
	tap_ok(!spp_offer_decode(&f, &d) && d.cert_len == 2 && !memcmp(d.cert, cert, 2) &&
	       d.ca_cert_len == 3 && !memcmp(d.ca_cert, ca, 3) && d.sealed_len == sizeof(sealed) && !memcmp(d.sealed, sealed, sizeof(sealed)) &&
	       !memcmp(d.nonce, m.nonce, sizeof(d.nonce)), "OFFER decodes back");
	f.len--;
	tap_eq_int(spp_offer_decode(&f, &d), -EINVAL, "OFFER shorter than its length: malformed");
	spp_body_free(body, len);
	m.sealed_len = CHIPKEY_SEAL_OVERHEAD;
	tap_eq_int(spp_offer_encode(&m, &body, &len), -EINVAL,
		   "OFFER with an empty sealed package: refused");
	m.sealed_len = sizeof(sealed);
	m.cert_len = 0;
	tap_eq_int(spp_offer_encode(&m, &body, &len), -EINVAL,
		   "OFFER without a certificate: refused");
	m.cert_len = CK_SPP_MAX_CERT + 1;
	tap_eq_int(spp_offer_encode(&m, &body, &len), -EINVAL,
		   "OFFER with a certificate over the limit: refused");
	m.cert_len = sizeof(cert);
	m.ca_cert_len = 0;
	tap_eq_int(spp_offer_encode(&m, &body, &len), -EINVAL,
		   "OFFER without an issuing CA certificate: refused");
}

static void test_backup(void)
{
	uint8_t bk[2] = { 0x01, 0x02 }, *body = NULL;
	struct ck_spp_backup m = { .backup = bk, .backup_len = sizeof(bk) }, d;
	struct spp_frame f;
	size_t len = 0;

	memset(m.mac, 0x33, sizeof(m.mac));
	tap_ok(!spp_backup_encode(&m, &body, &len) && len == CK_SPP_BACKUP_FIXED + 2 &&
	       hex_is(body, len, "000000020102"
		      "3333333333333333333333333333333333333333333333333333333333333333"),
	       "BACKUP: length, backup package, chip MAC");
	f = frame(CK_SPP_BACKUP, body, len);
	tap_ok(!spp_backup_decode(&f, &d) && d.backup_len == 2 && !memcmp(d.backup, bk, 2) &&
	       !memcmp(d.mac, m.mac, sizeof(d.mac)), "BACKUP decodes back");
	body[3] = 3;
	tap_eq_int(spp_backup_decode(&f, &d), -EINVAL,
		   "BACKUP whose length runs into the MAC: malformed");
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

static void test_context(void)
{
	uint8_t nonce[CK_SPP_NONCE_LEN], ctx[CK_SPP_WRAP_CTX_LEN];

	memset(nonce, 0xa5, sizeof(nonce));
	spp_wrap_context(nonce, ctx);
	/* "chipkey v2 provisioning" (printf | od), then the nonce */
	tap_ok(sizeof(ctx) == 55 &&
	       hex_is(ctx, sizeof(ctx), "636869706b65792076322070726f766973696f6e696e67"
		      "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5"),
	       "SEALED_WRAP context: label, nonce (55 bytes)");
	tap_ok(!strcmp(spp_err_name(CK_SPP_E_NOT_IN_BATCH), "NOT_IN_BATCH") &&
	       CK_SPP_E_NOT_IN_BATCH == 15, "NOT_IN_BATCH is error 15");
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
	test_context();
	return tap_exit_status();
}

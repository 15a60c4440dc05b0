// SPDX-License-Identifier: GPL-2.0
/*
 * The small helpers of userspace/common: hex encodings, the Luhn check
 * digit of device identities, HOST:PORT.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/hostport.h"
#include "common/identity.h"
#include "common/tap.h"

static void test_luhn(void)
{
	/* published-format example */
	const char *imei = "490154203237518";
	char buf[16];
	int i, d, caught = 1;

	tap_ok(ck_luhn_valid(imei), "luhn: 490154203237518 valid");
	tap_ok(ck_luhn_digit(imei, 14) == 8, "luhn: check digit of 49015420323751 is 8");
	/* by hand: 1 2 3 4 5 6 7 8 9 0 1 2 3 4, doubling from the right:
	 * 8+3+4+1+0+9+7+7+3+5+8+3+4+1 = 63 -> check digit 7 */
	tap_ok(ck_luhn_digit("12345678901234", 14) == 7, "luhn: hand-computed 12345678901234 -> 7");
	tap_ok(ck_luhn_valid("123456789012347") && !ck_luhn_valid("123456789012348"),
	       "luhn: 123456789012347 valid, ...348 not");
	tap_ok(ck_luhn_valid("000000000000000"), "luhn: all zeros valid");
	/* the classic example: 7992739871 -> 3 */
	tap_ok(ck_luhn_digit("7992739871", 10) == 3 && ck_luhn_valid("79927398713"),
	       "luhn: 7992739871 -> 3");
	tap_ok(ck_luhn_digit("12a4", 4) == -EINVAL && !ck_luhn_valid("49015420323751x") &&
	       !ck_luhn_valid("") && !ck_luhn_valid("5") && !ck_luhn_valid(NULL) &&
	       ck_luhn_digit("", 0) == -EINVAL,
	       "luhn: non-digits and short input rejected");
	/* every single-digit error is detected */
	for (i = 0; i < 15; i++) {
		for (d = 0; d < 10; d++) {
			memcpy(buf, imei, 16);
			if (buf[i] == '0' + d)
				continue;
			buf[i] = (char)('0' + d);
			if (ck_luhn_valid(buf))
				caught = 0;
		}
	}
	tap_ok(caught, "luhn: all 135 single-digit substitutions of 490154203237518 detected");
	/* adjacent transpositions (except 09 <-> 90) detected */
	caught = 1;
	for (i = 0; i < 14; i++) {
		char a = imei[i], b = imei[i + 1];

		if (a == b || (a == '0' && b == '9') || (a == '9' && b == '0'))
			continue;
		memcpy(buf, imei, 16);
		buf[i] = b;
		buf[i + 1] = a;
		if (ck_luhn_valid(buf))
			caught = 0;
	}
	tap_ok(caught, "luhn: adjacent transpositions detected");
	tap_ok(ck_identity_complete("49015420323751", buf) == 0 && !strcmp(buf, imei) &&
	       ck_identity_complete("4901542032375", buf) == -EINVAL &&
	       ck_identity_complete("4901542032375a", buf) == -EINVAL &&
	       ck_identity_valid(imei) && !ck_identity_valid("79927398713") &&
	       !ck_identity_valid("4901542032375180") && !ck_identity_valid(NULL),
	       "identity: complete and validate (15 digits, Luhn)");
	tap_ok(ck_identity_valid_n("490154203237518xyz", 15) &&
	       !ck_identity_valid_n("490154203237519", 15) &&
	       !ck_identity_valid_n("49015420323751", 14),
	       "identity: counted (not NUL-terminated) form");
}

static void test_hex(void)
{
	static const uint8_t c[16] = { 0xab, 0xc5, 0xc5, 0xc5, 0xc5, 0xc5, 0xc5, 0xc5,
				       0xc5, 0xc5, 0xc5, 0xc5, 0x01, 0x02, 0x03, 0x04 };
	uint8_t c2[16], *p;
	char hex[33];
	size_t n;

	ck_hex_encode(c, sizeof(c), hex);
	tap_ok(!strcmp(hex, "abc5c5c5c5c5c5c5c5c5c5c501020304"), "hex: encode is lowercase");
	tap_ok(ck_hex_decode(hex, c2, 16) == 0 && !memcmp(c, c2, 16) &&
	       ck_hex_decode("ABC5C5C5C5C5C5C5C5C5C5C501020304", c2, 16) == 0 &&
	       !memcmp(c, c2, 16),
	       "hex: decode either case");
	tap_ok(ck_hex_decode("abc5c5c5c5c5c5c5c5c5c5c50102030", c2, 16) == -EINVAL &&
	       ck_hex_decode("abc5c5c5c5c5c5c5c5c5c5c50102030g", c2, 16) == -EINVAL &&
	       ck_hex_decode("abc5c5c5c5c5c5c5c5c5c5c5010203040", c2, 16) == -EINVAL &&
	       ck_hex_decode(NULL, c2, 16) == -EINVAL,
	       "hex: wrong length, bad digit, NULL refused");
	tap_ok(ck_hex_decode_alloc("00ff10", &p, &n) == 0 && n == 3 && p[0] == 0 &&
	       p[1] == 0xff && p[2] == 0x10, "hex: decode into a new buffer");
	free(p);
	tap_ok(ck_hex_decode_alloc("0", &p, &n) == -EINVAL && !p && n == 0 &&
	       ck_hex_decode_alloc("zz", &p, &n) == -EINVAL && !p,
	       "hex: odd length and bad digits refused (nothing allocated)");
	tap_ok(ck_hex_decode_alloc("", &p, &n) == 0 && n == 0, "hex: empty string is zero bytes");
	free(p);
}

static int hp(const char *s, enum ck_hostport_use use, const char *want_host,
	      const char *want_port)
{
	char host[16], port[6];
	int err = ck_hostport_parse(s, use, host, sizeof(host), port);

	if (!want_host)
		return tap_ok(err == -EINVAL, "hostport: %s refused", s);
	return tap_ok(!err && !strcmp(host, want_host) && !strcmp(port, want_port),
		      "hostport: %s -> host '%s', port %s", s, want_host, want_port);
}

static void test_hostport(void)
{
	const enum ck_hostport_use D = CK_HOSTPORT_DIAL, L = CK_HOSTPORT_LISTEN;

	hp("127.0.0.1:8443", D, "127.0.0.1", "8443");
	hp("[::1]:1", D, "::1", "1");
	hp("localhost:65535", D, "localhost", "65535");
	/* getaddrinfo() would take these as 34463, 0, 22 */
	hp("127.0.0.1:99999", D, NULL, NULL);
	hp("127.0.0.1:65536", D, NULL, NULL);
	hp("127.0.0.1:ssh", D, NULL, NULL);
	hp("127.0.0.1:7x", D, NULL, NULL);
	hp("127.0.0.1:-1", D, NULL, NULL);
	hp("127.0.0.1:+80", D, NULL, NULL);
	hp("127.0.0.1: 80", D, NULL, NULL);
	hp("127.0.0.1:000080", D, NULL, NULL);
	hp("127.0.0.1:", D, NULL, NULL);
	hp("127.0.0.1", D, NULL, NULL);
	hp("127.0.0.1:0", D, NULL, NULL);
	hp(":80", D, NULL, NULL);
	hp("[]:80", D, NULL, NULL);
	hp("a-host-name-too-long:80", D, NULL, NULL);
	hp(NULL, D, NULL, NULL);
	/* a listener: every address, any free port */
	hp(":80", L, "", "80");
	hp("127.0.0.1:0", L, "127.0.0.1", "0");
	hp("0.0.0.0:99999", L, NULL, NULL);
	hp("0.0.0.0:http", L, NULL, NULL);
	tap_ok(ck_hostport_ok("127.0.0.1:1", D) && !ck_hostport_ok("127.0.0.1:99999", D) &&
	       ck_hostport_ok(":0", L) && !ck_hostport_ok(":0", D),
	       "hostport: ck_hostport_ok says the same");
}

int main(void)
{
	test_luhn();
	test_hex();
	test_hostport();
	return tap_exit_status();
}

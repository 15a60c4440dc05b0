// SPDX-License-Identifier: GPL-2.0
/*
 * The licence content codec and the state file codec against the byte
 * examples of docs/software-update.md (typed in from the doc, not produced
 * by the encoder), and the clock rule's cases.  TAP.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/pki.h"
#include "common/tap.h"
#include "update/update.h"

/* docs/software-update.md "Licence content", the example */
static const char class_example[] =
	"3059" "020101" "020107" "020203e8"
	"0420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	"180f32303236313230313030303030305a" "180f32303237313230313030303030305a"
	"800973656e736f722d7632";
/* the same with the identities audience in place of the class */
static const char ids_tail[] =
	"a122130f333530303030303030303030303036130f333530303030303030303030303134";

static int from_hex(const char *h, uint8_t **b, size_t *n)
{
	return ck_hex_decode_alloc(h, b, n);
}

static void test_example(void)
{
	struct ck_licence l;
	uint8_t *der, *enc = NULL;
	size_t n, enc_len = 0;
	char why[200], hex[400];
	int ok = 1;

	from_hex(class_example, &der, &n);
	tap_ok(!ck_licence_decode(der, n, &l, why, sizeof(why)), "the doc's example decodes");
	for (int i = 0; i < 32; i++)
		ok &= l.image_digest[i] == i;
	tap_ok(l.sequence == 7 && l.image_size == 1000 && ok &&
	       l.not_before == 1796083200 && l.not_after == 1827619200 &&
	       l.audience == CK_LICENCE_FOR_CLASS && !strcmp(l.device_class, "sensor-v2"),
	       "... to sequence 7, 1000 bytes, digest 00..1f, 2026-12-01..2027-12-01, class sensor-v2");
	tap_ok(!ck_licence_encode(&l, &enc, &enc_len) && enc_len == n && !memcmp(enc, der, n),
	       "... and encodes back to the same bytes");
	ck_licence_free(&l);
	free(enc);
	/* swap the audience: SEQUENCE length 89 - 11 + 36 = 114 = 0x72 */
	snprintf(hex, sizeof(hex), "3072%.*s%s", (int)(strlen(class_example) - 4 - 22),
		 class_example + 4, ids_tail);
	free(der);
	from_hex(hex, &der, &n);
	tap_ok(!ck_licence_decode(der, n, &l, why, sizeof(why)) &&
	       l.audience == CK_LICENCE_FOR_IDENTITIES && l.n_targets == 2 &&
	       !strcmp(l.identities[1], "350000000000014"), "the identities audience decodes");
	ck_licence_free(&l);
	/* not DER: the length of the version INTEGER in long form */
	free(der);
	from_hex("305a02810101" "020107" "020203e8"
		 "0420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		 "180f32303236313230313030303030305a" "180f32303237313230313030303030305a"
		 "800973656e736f722d7632", &der, &n);
	tap_ok(ck_licence_decode(der, n, &l, why, sizeof(why)) == -EINVAL,
	       "BER (a long-form length) is refused: %s", why);
	ck_licence_free(&l);
	/* version 2 */
	free(der);
	from_hex(class_example, &der, &n);
	der[4] = 2;
	tap_ok(ck_licence_decode(der, n, &l, why, sizeof(why)) == -EINVAL,
	       "version 2 is refused: %s", why);
	ck_licence_free(&l);
	der[4] = 1;
	tap_ok(ck_licence_decode(der, n - 1, &l, why, sizeof(why)) == -EINVAL,
	       "a truncated content is refused: %s", why);
	ck_licence_free(&l);
	free(der);
}

static void test_clock_rule(void)
{
	struct ck_licence l = { .not_before = 2000000000, .not_after = 2100000000 };
	char why[200];

	tap_ok(!ck_licence_check_time(&l, PKI_TIME_IGNORE, 0, why, sizeof(why)),
	       "clock not set, no high-water: valid");
	tap_ok(!ck_licence_check_time(&l, PKI_TIME_IGNORE, 2099999999, why, sizeof(why)),
	       "clock not set, high-water before notAfter: valid");
	tap_ok(ck_licence_check_time(&l, PKI_TIME_IGNORE, 2100000001, why, sizeof(why)) ==
	       -EKEYEXPIRED, "clock not set, high-water after notAfter: expired");
	tap_ok(ck_licence_check_time(&l, (time_t)1999999999, 0, why, sizeof(why)) ==
	       -EKEYEXPIRED, "set clock before notBefore: not yet valid");
	tap_ok(ck_licence_check_time(&l, (time_t)2100000001, 0, why, sizeof(why)) ==
	       -EKEYEXPIRED, "set clock after notAfter: expired");
	tap_ok(ck_licence_check_time(&l, (time_t)2050000000, 2100000001, why, sizeof(why)) ==
	       -EKEYEXPIRED, "set clock behind the high-water mark: the high-water mark counts");
}

static void test_state(void)
{
	/* docs/software-update.md "State file", the example */
	static const char ex[] = "chipkey-update-state 1\nslot b\nsequence 7\nhigh-water 1796083200\n"
		"size 1000\ndigest 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
	struct ck_update_state s;
	char out[CK_UPDATE_STATE_MAX];
	size_t n;

	tap_ok(!ck_update_state_decode(ex, strlen(ex), &s) && s.slot == 'b' && s.sequence == 7 &&
	       s.high_water == 1796083200 && s.image_size == 1000 && s.image_digest[31] == 0x1f,
	       "the doc's state file example decodes");
	tap_ok(!ck_update_state_encode(&s, out, sizeof(out), &n) && n == strlen(ex) &&
	       !memcmp(out, ex, n), "... and encodes to the same text");
	tap_ok(ck_update_state_decode(ex, strlen(ex) - 1, &s) == -EINVAL,
	       "a state file without its last newline is refused");
	tap_ok(ck_update_state_decode("chipkey-update-state 1\nslot c\n", 30, &s) == -EINVAL,
	       "a state file naming slot c is refused");
	memcpy(out, ex, sizeof(ex));
	memcpy(strstr(out, "1e1f"), "1E1F", 4);
	tap_ok(ck_update_state_decode(out, strlen(out), &s) == -EINVAL,
	       "a state file with an uppercase digest is refused (lowercase only)");
}

int main(void)
{
	test_example();
	test_clock_rule();
	test_state();
	return tap_exit_status();
}

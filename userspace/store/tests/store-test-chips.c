// SPDX-License-Identifier: GPL-2.0
/*
 * Store tests of the chip batch (chip_batch): loading is all or nothing, a
 * chip loaded again with the same attestation key is skipped, with another
 * one refused (-EEXIST) and nothing of that load stored; lookups and the
 * count.
 */
#include <errno.h>
#include <string.h>

#include "store-test.h"

static void make_chip(struct store_chip *c, uint32_t i, uint8_t qfill)
{
	static const uint8_t cert[] = "\x30\x03\x02\x01\x07";

	memset(c, 0, sizeof(*c));
	chip(c->chip_id, 0x0c, i);
	c->attest_pub[0] = 0x04;
	memset(c->attest_pub + 1, qfill, STORE_ATTEST_PUB_LEN - 1);
	c->attest_pub[STORE_ATTEST_PUB_LEN - 1] = (uint8_t)i;
	c->cert = cert;
	c->cert_len = sizeof(cert) - 1;
}

void test_chips(void)
{
	struct store *st = open_or_die();
	struct store_chip v[4];
	uint8_t q[STORE_ATTEST_PUB_LEN], other[16];
	uint64_t n = 99;
	size_t added = 99;
	int i, rc;

	tap_ok(store_chip_count(st, &n) == 0 && n == 0, "chips: the batch starts empty");
	for (i = 0; i < 3; i++)
		make_chip(&v[i], (uint32_t)i, 0x11);
	rc = store_load_chips(st, v, 3, &added);
	tap_ok(rc == 0 && added == 3 && store_chip_count(st, &n) == 0 && n == 3,
	       "chips: 3 chips loaded (%s)", store_error(st));
	tap_ok(store_chip_get(st, v[1].chip_id, q) == 0 &&
	       !memcmp(q, v[1].attest_pub, sizeof(q)), "chips: chip 1's Q read back");
	chip(other, 0x0c, 77);
	tap_ok(store_chip_get(st, other, q) == -ENOENT, "chips: a chip not in the batch -> -ENOENT");
	rc = store_load_chips(st, v, 3, &added);
	tap_ok(rc == 0 && added == 0 && store_chip_count(st, &n) == 0 && n == 3,
	       "chips: loading the same chips again adds none");

	/* a new chip next to a loaded chip with another Q: nothing loaded */
	make_chip(&v[3], 3, 0x11);
	make_chip(&v[0], 0, 0x22);
	rc = store_load_chips(st, &v[0], 4, &added);
	tap_ok(rc == -EEXIST && added == 0 && strstr(store_error(st), "another attestation key"),
	       "chips: a loaded chip with another Q -> -EEXIST (%s)", store_error(st));
	tap_ok(store_chip_count(st, &n) == 0 && n == 3 && store_chip_get(st, v[3].chip_id, q) == -ENOENT,
	       "chips: ... and the new chip of that load was not stored");
	make_chip(&v[0], 0, 0x11);
	tap_ok(store_chip_get(st, v[0].chip_id, q) == 0 && !memcmp(q, v[0].attest_pub, sizeof(q)),
	       "chips: the loaded chip keeps its first Q");
	v[3].attest_pub[0] = 0x02;
	tap_ok(store_load_chips(st, &v[3], 1, NULL) == -EINVAL,
	       "chips: a compressed (or any non-0x04) point is refused");
	v[3].attest_pub[0] = 0x04;
	v[3].cert_len = 0;
	tap_ok(store_load_chips(st, &v[3], 1, NULL) == -EINVAL, "chips: a chip without certificate is refused");
	store_close(st);
}

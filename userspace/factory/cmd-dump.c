// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory dump FILE: decode a data package and list its entries;
 * secret values are never printed.
 */
#include <inttypes.h>
#include <stdio.h>

#include <chipkey/data_package.h>
#include "common/exit.h"
#include "common/hex.h"
#include "subcommands.h"

/* The printable part of one entry's value. */
static void print_value(const struct ck_dp *dp, uint16_t type,
			const uint8_t *v, size_t vlen)
{
	char hex[2 * CHIPKEY_CHIP_ID_LEN + 1];
	uint64_t x;

	if (ck_dp_type_is_secret(type)) {
		printf("(secret)");
	} else if (type == CK_DP_DEVICE_ID) {
		printf("%.*s", (int)vlen, (const char *)v);
	} else if ((type == CK_DP_GENERATION || type == CK_DP_CREATED) &&
		   !ck_dp_u64(dp, type, &x)) {
		printf("%" PRIu64, x);
	} else if (type == CK_DP_CHIP_ID && vlen == CHIPKEY_CHIP_ID_LEN) {
		ck_hex_encode(v, vlen, hex);
		printf("%s", hex);
	} else {
		printf("(DER)");
	}
}

int cmd_dump(const struct factory_args *a)
{
	uint8_t *buf;
	size_t len;
	struct ck_dp *dp;
	int err;

	if (a->npos != 1)
		return factory_usage_error();
	err = factory_read_file(a->pos[0], &buf, &len);
	if (err)
		return factory_fail(a->pos[0], err);
	err = ck_dp_decode(buf, len, &dp);
	ck_dp_buf_free(buf, len);
	if (err)
		return factory_fail("not a valid data package", err);
	printf("data package v%d, %zu bytes, %zu entries\n", CK_DP_VERSION, len,
	       ck_dp_count(dp));
	for (size_t i = 0; i < ck_dp_count(dp); i++) {
		uint16_t type, flags;
		const uint8_t *v;
		size_t vlen;
		const char *name;

		ck_dp_entry(dp, i, &type, &flags, &v, &vlen);
		name = ck_dp_type_name(type);
		printf("  0x%04x %-15s %s %6zu bytes  ", type, name ? name : "(unknown)",
		       flags & CK_DP_F_CRITICAL ? "critical" : "        ", vlen);
		print_value(dp, type, v, vlen);
		printf("\n");
	}
	ck_dp_free(dp);
	return CK_EXIT_OK;
}

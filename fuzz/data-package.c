// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the data package decoder (userspace/common/data-package.c,
 * include/chipkey/data_package.h), what a device gets in an OFFER and what
 * chipkey unwrap / recovery read back out of a backup.  Whatever decodes
 * must encode, decode again and encode to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/data-package.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_dp *dp = NULL, *dp2 = NULL;
	uint8_t *enc = NULL, *enc2 = NULL;
	size_t enc_len, enc2_len, i, n;
	char id[CK_DP_DEVICE_ID_LEN + 1];
	uint8_t chip[CHIPKEY_CHIP_ID_LEN];
	uint64_t v;

	if (ck_dp_decode(data, size, &dp))
		return 0;
	if (ck_dp_device_id(dp, id) || ck_dp_chip_id(dp, chip))
		abort();	/* the decoder requires both */
	n = ck_dp_count(dp);
	for (i = 0; i < n; i++) {
		uint16_t type, flags;
		const uint8_t *val;
		size_t len;

		if (ck_dp_entry(dp, i, &type, &flags, &val, &len))
			abort();
		ck_dp_type_name(type);
		ck_dp_type_is_secret(type);
		ck_dp_u64(dp, type, &v);
	}
	if (ck_dp_encode(dp, &enc, &enc_len))
		abort();
	if (ck_dp_decode(enc, enc_len, &dp2))
		abort();
	if (ck_dp_encode(dp2, &enc2, &enc2_len) || enc2_len != enc_len ||
	    memcmp(enc, enc2, enc_len))
		abort();
	ck_dp_buf_free(enc, enc_len);
	ck_dp_buf_free(enc2, enc2_len);
	ck_dp_free(dp);
	ck_dp_free(dp2);
	return 0;
}

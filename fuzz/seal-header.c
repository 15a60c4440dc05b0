// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the sealed package header (include/chipkey/attest.h,
 * ck_seal_header_parse), what SEALED_WRAP parses first.  A header that
 * parses must encode back to the same bytes (reserved bytes are zero).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <chipkey/attest.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_seal_header h;
	uint8_t again[CHIPKEY_SEAL_HEADER_LEN];

	if (ck_seal_header_parse(data, size, &h))
		return 0;
	if (ck_seal_size(h.payload_len) != size || h.eph[0] != 0x04)
		abort();
	ck_seal_header_encode(&h, again);
	if (memcmp(again, data, sizeof(again)))
		abort();
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the header of a key sealed to the chip
 * (include/chipkey/sealed_key.h, ck_skey_header_parse), what
 * CHIPKEY_IOC_KEY_LOAD parses in the kernel before it opens the blob
 * (docs/sealed-keys.md).  A blob whose header parses is exactly as long as
 * its key length says, and its header encodes back to the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <chipkey/sealed_key.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t again[CHIPKEY_SKEY_HEADER_LEN];
	struct ck_skey_header h;

	if (ck_skey_header_parse(data, size, &h))
		return 0;
	if (ck_skey_size(h.key_len) != size || h.key_len < CHIPKEY_SKEY_MIN_LEN ||
	    h.key_len > CHIPKEY_SKEY_MAX_LEN)
		abort();
	ck_skey_header_encode(&h, again);
	if (memcmp(again, data, sizeof(again)))
		abort();
	return 0;
}

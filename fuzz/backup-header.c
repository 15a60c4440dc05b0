// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the backup package header (include/chipkey/backup_package.h,
 * ck_pkg_header_parse), as the kernel module and the emulator parse what a
 * caller hands to UNWRAP.  A header that parses must encode back to the
 * same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <chipkey/backup_package.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_pkg_header h;
	uint8_t again[CHIPKEY_PKG_HEADER_LEN];

	if (ck_pkg_header_parse(data, size, &h))
		return 0;
	if (ck_pkg_size(h.payload_len) != size)
		abort();
	ck_pkg_header_encode(&h, again);
	if (memcmp(again, data, sizeof(again)))
		abort();
	return 0;
}

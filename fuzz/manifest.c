// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the flash store manifest, store.json
 * (userspace/flash/manifest.c, jansson), read from flash at every boot and
 * recovery.  Whatever decodes must encode and decode to the same manifest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flash/manifest.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flash_manifest m, m2;
	char out[FLASH_MANIFEST_MAX];
	int n;

	memset(&m, 0, sizeof(m));
	if (flash_manifest_decode((const char *)data, size, &m))
		return 0;
	n = flash_manifest_encode(&m, out, sizeof(out));
	if (n < 0)
		abort();
	memset(&m2, 0, sizeof(m2));
	if (flash_manifest_decode(out, (size_t)n, &m2) || memcmp(&m, &m2, sizeof(m)))
		abort();
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the fuse image decoder (userspace/common/fuse-image.c), the
 * state file chipkey-emu loads and chipkey-fuse reads, with the ROM region
 * check of include/chipkey/fuse_image.h, then the emulator's own refusals
 * (ck_chip_parse: unprogrammed key, malformed ROM key, no attestation
 * scalar).  A decoded image must encode back to the same 512 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/fuse-image.c"
#include "emu/emu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_fuse_image f;
	struct ck_emu_chip chip;
	uint8_t again[CK_FUSE_IMAGE_SIZE];
	char err[256];

	ck_rom_key_der_len(data, size);
	if (ck_fuse_image_decode(data, size, &f))
		return 0;
	ck_fuse_key_state(&f);
	if (f.rom_key_len && !ck_fuse_image_encode(&f, again) &&
	    memcmp(again, data, sizeof(again)))
		abort();
	ck_fuse_image_wipe(&f);
	if (ck_chip_parse(data, &chip, err, sizeof(err)) == 0)
		ck_chip_wipe(&chip);
	return 0;
}

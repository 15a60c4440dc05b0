// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Another chip's store is never deleted (docs/flash-store.md, "Another
 * chip's store"): when a write by this chip replaces it, it is kept aside
 * as DIR/other-chip-<chip id>, one per chip ID.  Such a store may be a
 * good store read with the wrong device, or one forged in the flash from
 * another device's public record; this chip cannot tell the two apart, so
 * it neither trusts nor destroys it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "common/hex.h"
#include "aside.h"
#include "flash.h"
#include "manifest.h"

int flash_keep_other_chip(int dfd, const char *name, const uint8_t chip_id[16])
{
	char aside[sizeof(FLASH_OTHER_CHIP_PREFIX) + 2 * FLASH_MANIFEST_CHIP_LEN];
	struct flash_manifest m;
	uint8_t *man = NULL;
	size_t len = 0;
	int sfd, err;

	sfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return 0;
	err = ck_file_read_at(sfd, FLASH_MANIFEST, FLASH_MANIFEST_MAX, &man, &len);
	close(sfd);
	if (err)
		return 0;
	err = flash_manifest_decode((const char *)man, len, &m);
	free(man);
	if (err || !memcmp(m.chip_id, chip_id, sizeof(m.chip_id)))
		return 0;
	memcpy(aside, FLASH_OTHER_CHIP_PREFIX, sizeof(FLASH_OTHER_CHIP_PREFIX) - 1);
	ck_hex_encode(m.chip_id, sizeof(m.chip_id), aside + sizeof(FLASH_OTHER_CHIP_PREFIX) - 1);
	/* the newest store seen of that chip replaces an older one */
	fs_rm_tree_at(dfd, aside);
	if (renameat(dfd, name, dfd, aside))
		return -errno;
	return 1;
}

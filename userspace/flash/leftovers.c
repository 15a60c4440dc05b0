// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a write of the store leaves behind (docs/flash-store.md): unfinished
 * directories and temporary links of interrupted writes and old stores are
 * removed, but another chip's store is never deleted ("Another chip's
 * store"): it is kept aside as DIR/other-chip-<chip id>, one per chip ID.
 * Such a store may be a good store read with the wrong device, or one
 * forged in the flash from another device's public record; this chip
 * cannot tell the two apart, so it neither trusts nor destroys it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "common/hex.h"
#include "flash.h"
#include "leftovers.h"
#include "manifest.h"

/*
 * If the store directory DIR/@name (@dfd: DIR) has a manifest that parses
 * and names a chip other than @chip_id, rename it to
 * DIR/other-chip-<that chip ID> (replacing an older one of the same chip).
 * 1 if it was kept aside, 0 if it is not another chip's (or has no
 * manifest that parses), -errno if the rename failed (it is then left
 * where it is).
 */
static int keep_other_chip(int dfd, const char *name, const uint8_t *chip_id)
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

void flash_remove_leftovers(int dfd, const char *keep, const uint8_t *chip_id)
{
	DIR *d = fs_opendir_at(dfd);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *n = e->d_name;

		if (!strncmp(n, "store-", 6) && strcmp(n, keep) &&
		    keep_other_chip(dfd, n, chip_id))
			continue;	/* kept aside, or left if that failed */
		if (!strncmp(n, ".new-", 5) ||
		    (!strncmp(n, "store-", 6) && strcmp(n, keep)) ||
		    (n[0] == '.' && strstr(n, ".tmp")))
			fs_rm_tree_at(dfd, n);
	}
	closedir(d);
}

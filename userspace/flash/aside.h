/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Another chip's store, kept aside instead of deleted (aside.c). */
#ifndef CHIPKEY_FLASH_ASIDE_H
#define CHIPKEY_FLASH_ASIDE_H

#include <stdint.h>

#define FLASH_OTHER_CHIP_PREFIX "other-chip-"	/* + the chip ID, 32 hex */

/*
 * If the store directory DIR/@name (@dfd: DIR) has a manifest that parses
 * and names a chip other than @chip_id, rename it to
 * DIR/other-chip-<that chip ID> (replacing an older one of the same chip).
 * 1 if it was kept aside, 0 if it is not another chip's (or has no
 * manifest that parses), -errno if the rename failed (it is then left
 * where it is).
 */
int flash_keep_other_chip(int dfd, const char *name, const uint8_t chip_id[16]);

#endif /* CHIPKEY_FLASH_ASIDE_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a write of the flash store leaves behind (leftovers.c). */
#ifndef CHIPKEY_FLASH_LEFTOVERS_H
#define CHIPKEY_FLASH_LEFTOVERS_H

#include <stdint.h>

#define FLASH_OTHER_CHIP_PREFIX "other-chip-"	/* + the chip ID, 32 hex */

/*
 * In the store directory @dfd, after the store DIR/@keep became current:
 * remove unfinished .new-* directories, temporary links and old store-*
 * directories, except that an old store whose manifest names a chip other
 * than @chip_id (16 bytes) is renamed to other-chip-<its chip ID>
 * (replacing an older one of that chip), or left where it is if that
 * fails.  Best effort: errors are not reported.
 */
void flash_remove_leftovers(int dfd, const char *keep, const uint8_t *chip_id);

#endif /* CHIPKEY_FLASH_LEFTOVERS_H */

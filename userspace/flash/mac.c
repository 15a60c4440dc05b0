// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The chip MAC of a flash store manifest (docs/flash-store.md, "The chip
 * MAC"): HMAC-SHA256 under the chip's CHIPKEY_MAC_FLASH_MANIFEST key over
 * the canonical encoding of the manifest (flash_manifest_mac_input()).
 * Only this chip can make it; a reader asks the chip to recompute it and
 * compares in constant time.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "lib/libchipkey.h"
#include "manifest.h"

/* @chip's MAC of @m into @mac, after checking that @m names @chip. */
static int chip_mac(struct chipkey *chip, const struct flash_manifest *m,
		    uint8_t mac[FLASH_MANIFEST_MAC_LEN])
{
	uint8_t in[FLASH_MAC_INPUT_LEN];
	struct chipkey_info info;
	int err;

	err = chipkey_get_info(chip, &info);
	if (err)
		return err;
	if (memcmp(info.chip_id, m->chip_id, FLASH_MANIFEST_CHIP_LEN))
		return -EXDEV;
	flash_manifest_mac_input(m, in);
	return chipkey_chip_mac(chip, CHIPKEY_MAC_FLASH_MANIFEST, in, sizeof(in), mac);
}

int flash_manifest_sign(struct chipkey *chip, struct flash_manifest *m)
{
	return chip_mac(chip, m, m->mac);
}

int flash_manifest_verify(struct chipkey *chip, const struct flash_manifest *m)
{
	uint8_t mac[FLASH_MANIFEST_MAC_LEN];
	int err;

	if (m->format != FLASH_MANIFEST_FORMAT)
		return -ENOKEY;
	err = chip_mac(chip, m, mac);
	if (!err && CRYPTO_memcmp(mac, m->mac, sizeof(mac)))
		err = -EBADMSG;
	OPENSSL_cleanse(mac, sizeof(mac));
	return err;
}

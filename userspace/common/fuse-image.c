// SPDX-License-Identifier: GPL-2.0
/*
 * The fuse image codec: struct ck_fuse_image <-> the 512 bytes of
 * include/chipkey/fuse_image.h.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/fuse-image.h"

int ck_fuse_image_encode(const struct ck_fuse_image *f,
			 uint8_t out[CK_FUSE_IMAGE_SIZE])
{
	if (f->rom_key_len > CK_FUSE_ROM_KEY_SIZE)
		return -EINVAL;
	memset(out, 0, CK_FUSE_IMAGE_SIZE);
	memcpy(out, CK_FUSE_MAGIC, CK_FUSE_MAGIC_LEN);
	memcpy(out + CK_FUSE_OFF_CHIP_ID, f->chip_id, CHIPKEY_CHIP_ID_LEN);
	memcpy(out + CK_FUSE_OFF_CHIP_KEY, f->chip_key, CHIPKEY_CHIP_KEY_LEN);
	memcpy(out + CK_FUSE_OFF_ROM_KEY, f->rom_key, f->rom_key_len);
	return 0;
}

int ck_fuse_image_decode(const uint8_t *img, size_t len,
			 struct ck_fuse_image *f)
{
	const uint8_t *rom = img + CK_FUSE_OFF_ROM_KEY;

	memset(f, 0, sizeof(*f));
	if (len != CK_FUSE_IMAGE_SIZE ||
	    memcmp(img, CK_FUSE_MAGIC, CK_FUSE_MAGIC_LEN) ||
	    !ck_fuse_reserved_clear(img))
		return -EINVAL;
	memcpy(f->chip_id, img + CK_FUSE_OFF_CHIP_ID, CHIPKEY_CHIP_ID_LEN);
	memcpy(f->chip_key, img + CK_FUSE_OFF_CHIP_KEY, CHIPKEY_CHIP_KEY_LEN);
	/* The kernel's own check (kmod/fuses.c): both accept the same ROMs. */
	f->rom_key_len = ck_rom_key_der_len(rom, CK_FUSE_ROM_KEY_SIZE);
	memcpy(f->rom_key, rom, f->rom_key_len);
	return 0;
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

enum ck_fuse_key_state ck_fuse_key_state(const struct ck_fuse_image *f)
{
	if (all_bytes(f->chip_key, CHIPKEY_CHIP_KEY_LEN, 0x00))
		return CK_FUSE_KEY_ZEROS;
	if (all_bytes(f->chip_key, CHIPKEY_CHIP_KEY_LEN, 0xff))
		return CK_FUSE_KEY_ONES;
	return CK_FUSE_KEY_PROGRAMMED;
}

void ck_fuse_image_wipe(struct ck_fuse_image *f)
{
	OPENSSL_cleanse(f, sizeof(*f));
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fuse image codec: the one encoder/decoder pair of the 512-byte virtual
 * fuse image (layout: include/chipkey/fuse_image.h, docs/fuse-image.md),
 * used by chipkey-emu (its state file) and chipkey-fuse.  No policy: whether
 * an unprogrammed chip or a malformed ROM key is refused is the caller's.
 */
#ifndef CHIPKEY_COMMON_FUSE_IMAGE_H
#define CHIPKEY_COMMON_FUSE_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/chipkey.h>
#include <chipkey/fuse_image.h>

/* A decoded fuse image. */
struct ck_fuse_image {
	uint8_t chip_id[CHIPKEY_CHIP_ID_LEN];
	uint8_t chip_key[CHIPKEY_CHIP_KEY_LEN];	/* secret */
	uint8_t rom_key[CK_FUSE_ROM_KEY_SIZE];	/* DER SubjectPublicKeyInfo */
	size_t rom_key_len;	/* decode: 0 if the ROM holds no well-formed key */
};

/* What the chip key fuses hold. */
enum ck_fuse_key_state {
	CK_FUSE_KEY_PROGRAMMED,
	CK_FUSE_KEY_ZEROS,	/* unprogrammed: all 0x00 */
	CK_FUSE_KEY_ONES,	/* unprogrammed: all 0xff */
};

/*
 * Write @f as a 512-byte image into @out: magic, chip ID, chip key, zeros,
 * rom_key_len bytes of ROM key and zero padding.  0, or -EINVAL if the ROM
 * key does not fit the ROM region.
 */
int ck_fuse_image_encode(const struct ck_fuse_image *f,
			 uint8_t out[CK_FUSE_IMAGE_SIZE]);

/*
 * Decode the @len bytes at @img into @f.  0, or -EINVAL if @len is not
 * CK_FUSE_IMAGE_SIZE or the magic is wrong (then @f is zeroed).  The ROM
 * region is checked as chipkey.ko checks it (ck_rom_key_der_len()): a
 * malformed one decodes with rom_key_len = 0.
 */
int ck_fuse_image_decode(const uint8_t *img, size_t len,
			 struct ck_fuse_image *f);

/* Is the chip key programmed, or all 0x00 / all 0xff? */
enum ck_fuse_key_state ck_fuse_key_state(const struct ck_fuse_image *f);

/* Wipe @f (it holds the chip key). */
void ck_fuse_image_wipe(struct ck_fuse_image *f);

#endif /* CHIPKEY_COMMON_FUSE_IMAGE_H */

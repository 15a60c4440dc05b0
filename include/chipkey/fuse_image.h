/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * chipkey virtual fuse image: the 512-byte file that stands in for a chip's
 * one-time-programmable fuses in VMs and tests.
 *
 * Read by chipkey_vfuse.ko (through request_firmware, default name
 * "chipkey/fuse.bin"), by the userspace emulator, and written by
 * `chipkey-fuse create`.  Documented in docs/fuse-image.md.
 *
 *   off  len  field
 *     0    8  magic "CKFUSE01"
 *     8   16  chip ID              -> nvmem cell "chip-id"
 *    24   32  chip key (secret)    -> nvmem cell "chip-key"
 *    56    8  reserved, must be zero (an image with any of them set is
 *             refused by chipkey_vfuse.ko and the emulator)
 *    64  448  manufacturer public key, DER SubjectPublicKeyInfo, padded
 *             with zero bytes      -> nvmem cell "rom-key"
 *
 * The DER encoding carries its own length, so the ROM cell is a fixed-size
 * region as it would be on silicon.  A chip key that is all 0x00 or all 0xff
 * is an unprogrammed chip and is refused by chipkey.ko and the emulator.
 */
#ifndef _CHIPKEY_FUSE_IMAGE_H
#define _CHIPKEY_FUSE_IMAGE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#endif
#include <linux/chipkey.h>

#define CK_FUSE_MAGIC		"CKFUSE01"
#define CK_FUSE_MAGIC_LEN	8
#define CK_FUSE_IMAGE_SIZE	512

#define CK_FUSE_OFF_CHIP_ID	8
#define CK_FUSE_OFF_CHIP_KEY	24
#define CK_FUSE_OFF_RESERVED	56
#define CK_FUSE_RESERVED_SIZE	8
#define CK_FUSE_OFF_ROM_KEY	64
#define CK_FUSE_ROM_KEY_SIZE	448

/* nvmem cell names: the same names a devicetree uses (nvmem-cell-names). */
#define CK_CELL_CHIP_ID		"chip-id"
#define CK_CELL_CHIP_KEY	"chip-key"
#define CK_CELL_ROM_KEY		"rom-key"

#define CK_FUSE_DEFAULT_FIRMWARE	"chipkey/fuse.bin"

/**
 * ck_rom_key_der_len() - length of the DER key at the start of a ROM region
 * @buf: the ROM region (a DER SEQUENCE followed by zero padding)
 * @len: size of the region
 *
 * Shared by chipkey.ko and the emulator so both accept exactly the same ROM
 * contents.  Only the outer SEQUENCE header is checked here (definite,
 * minimal length encoding, one or two length bytes, non-empty body, fits the
 * region and CHIPKEY_MAX_ROM_KEY, nothing but zero bytes after it); the key
 * itself is parsed by whoever uses it (OpenSSL in userspace).
 *
 * Return: the DER length, or 0 if the region does not hold a well-formed key.
 */
static inline size_t ck_rom_key_der_len(const __u8 *buf, size_t len)
{
	size_t hdr, body, i;

	if (len < 2 || buf[0] != 0x30)
		return 0;
	if (buf[1] < 0x80) {
		hdr = 2;
		body = buf[1];
	} else if (buf[1] == 0x81) {
		if (len < 3 || buf[2] < 0x80)	/* DER: minimal length */
			return 0;
		hdr = 3;
		body = buf[2];
	} else if (buf[1] == 0x82) {
		if (len < 4 || buf[2] == 0)	/* DER: minimal length */
			return 0;
		hdr = 4;
		body = ((size_t)buf[2] << 8) | buf[3];
	} else {
		return 0;
	}
	if (!body || hdr + body > len || hdr + body > CHIPKEY_MAX_ROM_KEY)
		return 0;
	for (i = hdr + body; i < len; i++)
		if (buf[i])
			return 0;
	return hdr + body;
}

/**
 * ck_fuse_reserved_clear() - whether the reserved bytes of an image are zero
 * @img: a whole fuse image (CK_FUSE_IMAGE_SIZE bytes)
 *
 * Shared by chipkey_vfuse.ko and the emulator: both refuse an image whose
 * reserved bytes (CK_FUSE_OFF_RESERVED, CK_FUSE_RESERVED_SIZE) are not all
 * zero, so that a later format can give them a meaning.
 *
 * Return: 1 if every reserved byte is zero, else 0.
 */
static inline int ck_fuse_reserved_clear(const __u8 *img)
{
	size_t i;

	for (i = 0; i < CK_FUSE_RESERVED_SIZE; i++)
		if (img[CK_FUSE_OFF_RESERVED + i])
			return 0;
	return 1;
}

#endif /* _CHIPKEY_FUSE_IMAGE_H */

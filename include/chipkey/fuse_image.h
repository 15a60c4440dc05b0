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
 *    56    8  zero
 *    64  448  manufacturer public key, DER SubjectPublicKeyInfo, padded
 *             with zero bytes      -> nvmem cell "rom-key"
 *
 * The DER encoding carries its own length, so the ROM cell is a fixed-size
 * region as it would be on silicon.  A chip key that is all 0x00 or all 0xff
 * is an unprogrammed chip and is refused by chipkey.ko and the emulator.
 */
#ifndef _CHIPKEY_FUSE_IMAGE_H
#define _CHIPKEY_FUSE_IMAGE_H

#define CK_FUSE_MAGIC		"CKFUSE01"
#define CK_FUSE_MAGIC_LEN	8
#define CK_FUSE_IMAGE_SIZE	512

#define CK_FUSE_OFF_CHIP_ID	8
#define CK_FUSE_OFF_CHIP_KEY	24
#define CK_FUSE_OFF_ROM_KEY	64
#define CK_FUSE_ROM_KEY_SIZE	448

/* nvmem cell names: the same names a devicetree uses (nvmem-cell-names). */
#define CK_CELL_CHIP_ID		"chip-id"
#define CK_CELL_CHIP_KEY	"chip-key"
#define CK_CELL_ROM_KEY		"rom-key"

#define CK_FUSE_DEFAULT_FIRMWARE	"chipkey/fuse.bin"

#endif /* _CHIPKEY_FUSE_IMAGE_H */

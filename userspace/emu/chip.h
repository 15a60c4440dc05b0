/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chipkey-emu internals: the emulated chip, its state file, and its crypto.
 */
#ifndef CHIPKEY_EMU_CHIP_H
#define CHIPKEY_EMU_CHIP_H

#include <stddef.h>
#include <stdint.h>
#include <linux/chipkey.h>
#include <chipkey/backup_package.h>
#include <chipkey/fuse_image.h>

struct ck_chip {
	uint8_t chip_id[CHIPKEY_CHIP_ID_LEN];
	uint8_t chip_key[CHIPKEY_CHIP_KEY_LEN];	/* secret */
	uint8_t rom_key[CK_FUSE_ROM_KEY_SIZE];	/* DER SubjectPublicKeyInfo */
	size_t rom_key_len;
};

/*
 * Load a 512-byte fuse image (the state file).  Refuses a file that group or
 * others may read or write, a wrong size or magic, an unprogrammed chip key
 * and a malformed ROM key.  On error returns a negative errno and writes a
 * human-readable reason into @err.
 */
int ck_chip_load(const char *path, struct ck_chip *chip, char *err,
		 size_t errlen);

/* Parse an in-memory fuse image (no file-mode checks). */
int ck_chip_parse(const uint8_t img[CK_FUSE_IMAGE_SIZE], struct ck_chip *chip,
		  char *err, size_t errlen);

/* Wipe the chip's secret. */
void ck_chip_wipe(struct ck_chip *chip);

/* AEAD key = HKDF-SHA256(chip key, salt, label || chip ID). 0 or -errno. */
/* Fetch the algorithms (also done on first use); 0 or -ENOSYS. */
int ck_crypto_init(void);

int ck_derive_key(const struct ck_chip *chip,
		  const uint8_t salt[CK_PKG_SALT_LEN],
		  uint8_t key[CK_PKG_KEY_LEN]);

/*
 * Wrap with an explicit salt and nonce (for test vectors).  @out must hold
 * ck_pkg_size(@in_len) bytes.  No size checks beyond the ABI maximum.
 */
int ck_wrap_with(const struct ck_chip *chip, uint64_t generation,
		 const uint8_t salt[CK_PKG_SALT_LEN],
		 const uint8_t nonce[CK_PKG_NONCE_LEN],
		 const uint8_t *in, size_t in_len, uint8_t *out);

/*
 * The emulator's wrap: EMSGSIZE if @in_len is over the limit, ENOSPC (with
 * *out_len = needed) if @out is too small, else fresh random salt and nonce.
 */
int ck_wrap(const struct ck_chip *chip, uint64_t generation,
	    const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len);

/*
 * The emulator's unwrap, checks in the kernel's order: EMSGSIZE, EINVAL
 * (header), ENOKEY (other chip, before any decryption), ENOSPC (with
 * *out_len = needed), EBADMSG (authentication; @out is wiped).
 */
int ck_unwrap(const struct ck_chip *chip, const uint8_t *pkg, size_t pkg_len,
	      uint8_t *out, size_t *out_len, uint64_t *generation);

#endif /* CHIPKEY_EMU_CHIP_H */

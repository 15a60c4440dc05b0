// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-emu state file: exactly the 512-byte virtual fuse image
 * (include/chipkey/fuse_image.h), so the file a VM boots with can be copied
 * to the emulator as is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "chip.h"

void ck_chip_wipe(struct ck_chip *chip)
{
	OPENSSL_cleanse(chip, sizeof(*chip));
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

int ck_chip_parse(const uint8_t img[CK_FUSE_IMAGE_SIZE], struct ck_chip *chip,
		  char *err, size_t errlen)
{
	const uint8_t *key = img + CK_FUSE_OFF_CHIP_KEY;

	memset(chip, 0, sizeof(*chip));
	if (memcmp(img, CK_FUSE_MAGIC, CK_FUSE_MAGIC_LEN)) {
		snprintf(err, errlen, "not a chipkey fuse image (bad magic)");
		return -EINVAL;
	}
	if (all_bytes(key, CHIPKEY_CHIP_KEY_LEN, 0x00) ||
	    all_bytes(key, CHIPKEY_CHIP_KEY_LEN, 0xff)) {
		snprintf(err, errlen,
			 "unprogrammed chip: the chip key is all 0x%02x; refusing it",
			 key[0]);
		return -ENOKEY;
	}
	/* The kernel's own check (kmod/fuses.c): both accept the same ROMs. */
	chip->rom_key_len = ck_rom_key_der_len(img + CK_FUSE_OFF_ROM_KEY,
					       CK_FUSE_ROM_KEY_SIZE);
	if (!chip->rom_key_len) {
		snprintf(err, errlen,
			 "malformed ROM key: the %d-byte ROM region must hold one DER SEQUENCE "
			 "(minimal length encoding, non-empty, at most %d bytes) followed only "
			 "by zero bytes; refusing it, as chipkey.ko does",
			 CK_FUSE_ROM_KEY_SIZE, CHIPKEY_MAX_ROM_KEY);
		return -EINVAL;
	}
	memcpy(chip->chip_id, img + CK_FUSE_OFF_CHIP_ID, CHIPKEY_CHIP_ID_LEN);
	memcpy(chip->chip_key, key, CHIPKEY_CHIP_KEY_LEN);
	memcpy(chip->rom_key, img + CK_FUSE_OFF_ROM_KEY, chip->rom_key_len);
	return 0;
}

int ck_chip_load(const char *path, struct ck_chip *chip, char *err,
		 size_t errlen)
{
	uint8_t img[CK_FUSE_IMAGE_SIZE + 1];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open state file %s: %s", path,
			 strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", path,
			 strerror(errno));
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "state file %s is not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
			 "state file %s holds the secret chip key but has mode %04o; it must be 0600 (chmod 600 %s)",
			 path, (unsigned int)(st.st_mode & 07777), path);
		close(fd);
		return -EACCES;
	}
	while (got < sizeof(img)) {
		n = read(fd, img + got, sizeof(img) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot read %s: %s", path,
				 strerror(errno));
			close(fd);
			OPENSSL_cleanse(img, sizeof(img));
			return ret;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != CK_FUSE_IMAGE_SIZE) {
		snprintf(err, errlen,
			 "state file %s must be a %d-byte fuse image",
			 path, CK_FUSE_IMAGE_SIZE);
		OPENSSL_cleanse(img, sizeof(img));
		return -EINVAL;
	}
	ret = ck_chip_parse(img, chip, err, errlen);
	OPENSSL_cleanse(img, sizeof(img));
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-emu fuses: the state file is exactly the 512-byte virtual fuse
 * image (include/chipkey/fuse_image.h, decoded by common/fuse-image.c), so
 * the file a VM boots with can be copied to the emulator as is.  Here: which
 * images the emulator accepts, and how it opens its state file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/fuse-image.h"
#include "emu.h"

void ck_chip_wipe(struct ck_emu_chip *chip)
{
	ck_att_key_free(&chip->att);
	ck_fuse_image_wipe(&chip->fuses);
}

int ck_chip_parse(const uint8_t img[CK_FUSE_IMAGE_SIZE],
		  struct ck_emu_chip *c, char *err, size_t errlen)
{
	struct ck_fuse_image *chip = &c->fuses;
	enum ck_fuse_key_state ks;
	int ret;

	memset(&c->att, 0, sizeof(c->att));
	ret = ck_fuse_image_decode(img, CK_FUSE_IMAGE_SIZE, chip);
	if (ret) {
		if (!memcmp(img, CK_FUSE_MAGIC, CK_FUSE_MAGIC_LEN) && !ck_fuse_reserved_clear(img))
			snprintf(err, errlen, "reserved bytes %d..%d of the fuse image are not zero",
				 CK_FUSE_OFF_RESERVED,
				 CK_FUSE_OFF_RESERVED + CK_FUSE_RESERVED_SIZE - 1);
		else
			snprintf(err, errlen, "not a chipkey fuse image (bad magic)");
		return ret;
	}
	ks = ck_fuse_key_state(chip);
	if (ks != CK_FUSE_KEY_PROGRAMMED) {
		snprintf(err, errlen,
			 "unprogrammed chip: the chip key is all 0x%02x; refusing it",
			 ks == CK_FUSE_KEY_ONES ? 0xff : 0x00);
		ret = -ENOKEY;
	} else if (!chip->rom_key_len) {
		snprintf(err, errlen,
			 "malformed ROM key: the %d-byte ROM region must hold one DER SEQUENCE "
			 "(minimal length encoding, non-empty, at most %d bytes) followed only "
			 "by zero bytes; refusing it, as chipkey.ko does",
			 CK_FUSE_ROM_KEY_SIZE, CHIPKEY_MAX_ROM_KEY);
		ret = -EINVAL;
	} else {
		/* The attestation key: derived once, here (docs/attestation.md). */
		ret = ck_att_key_init(&c->att, chip->chip_id, chip->chip_key);
		if (ret == -EDOM)
			snprintf(err, errlen,
				 "unusable chip: the chip key yields no attestation scalar in %d tries",
				 CK_ATT_SCALAR_TRIES);
		else if (ret)
			snprintf(err, errlen, "cannot derive the attestation key: %s",
				 strerror(-ret));
	}
	if (ret)
		ck_chip_wipe(c);
	return ret;
}

/*
 * Open the state file without following a symlink, and refuse anything but
 * a regular file of the owner's alone: it holds the chip key.
 */
static int open_state(const char *path, char *err, size_t errlen)
{
	struct stat st;
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
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "state file %s is not a regular file", path);
		ret = -EINVAL;
		goto err_close;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
			 "state file %s holds the secret chip key but has mode %04o; it must be 0600 (chmod 600 %s)",
			 path, (unsigned int)(st.st_mode & 07777), path);
		ret = -EACCES;
		goto err_close;
	}
	return fd;
err_close:
	close(fd);
	return ret;
}

int ck_chip_load(const char *path, struct ck_emu_chip *chip, char *err,
		 size_t errlen)
{
	/* One byte more than an image: a longer file is refused. */
	uint8_t img[CK_FUSE_IMAGE_SIZE + 1];
	size_t got = 0;
	ssize_t n;
	int fd, ret = 0;

	fd = open_state(path, err, errlen);
	if (fd < 0)
		return fd;
	while (got < sizeof(img)) {
		n = read(fd, img + got, sizeof(img) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot read %s: %s", path,
				 strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != CK_FUSE_IMAGE_SIZE) {
		snprintf(err, errlen, "state file %s must be a %d-byte fuse image",
			 path, CK_FUSE_IMAGE_SIZE);
		ret = -EINVAL;
		goto out;
	}
	ret = ck_chip_parse(img, chip, err, errlen);
out:
	close(fd);
	OPENSSL_cleanse(img, sizeof(img));
	return ret;
}

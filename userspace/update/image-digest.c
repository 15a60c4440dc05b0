// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SHA-256 and size of an image file: what a licence names
 * (chipkey-factory licence) and what `chipkey update status` checks the
 * active slot against.  The install hashes while it copies (install.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "update/update.h"

#define CHUNK (1 << 20)

int ck_update_image_digest(const char *path, uint8_t md[CK_LICENCE_DIGEST_LEN],
			   uint64_t *size)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *buf = malloc(CHUNK);
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	ssize_t n;

	*size = 0;
	if (fd < 0 || !ctx || !buf || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		err = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	while ((n = read(fd, buf, CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			err = n < 0 ? -errno : -EIO;
			goto out;
		}
		*size += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(ctx, md, NULL) != 1)
		err = -EIO;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	EVP_MD_CTX_free(ctx);
	return err;
}

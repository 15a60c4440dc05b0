// SPDX-License-Identifier: LGPL-2.1-or-later
/* The device's link keys from the keys directory (device-keys.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/file.h"
#include "common/identity.h"
#include "common/pki.h"
#include "device-keys.h"

/* @name in the directory @dir: a regular file, not a symlink; a secret
 * must not be readable by group or others (-EPERM). */
static int read_in(const char *dir, const char *name, uint8_t **buf, size_t *len)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;
	int secret = !strcmp(name, "channel.key") || !strcmp(name, "device-key.pem");

	if (dfd < 0)
		return -errno;
	err = secret ? ck_file_read_secret_at(dfd, name, 64 * 1024, buf, len)
		     : ck_file_read_at(dfd, name, 64 * 1024, buf, len);
	close(dfd);
	return err;
}

int ck_link_device_load(struct ck_link_device *d, const char *dir, const uint8_t *rom,
			size_t rom_len, const char **what)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio;
	int err;

	memset(d, 0, sizeof(*d));
	*what = "identity";
	err = read_in(dir, "identity", &buf, &len);
	if (err)
		return err;
	if (len < 15 || len > 16 || (len == 16 && buf[15] != '\n'))
		err = -EINVAL;
	if (!err) {
		memcpy(d->identity, buf, 15);
		d->identity[15] = 0;
		if (!ck_identity_valid(d->identity))
			err = -EINVAL;
	}
	free(buf);
	buf = NULL;
	if (err)
		return err;
	*what = "channel.key";
	err = read_in(dir, "channel.key", &buf, &len);
	if (!err && len != sizeof(d->channel_key))
		err = -EINVAL;
	if (!err)
		memcpy(d->channel_key, buf, sizeof(d->channel_key));
	if (buf)
		OPENSSL_clear_free(buf, len);
	buf = NULL;
	if (err && err != -ENOENT)
		return err;
	*what = "device-key.pem";
	err = read_in(dir, "device-key.pem", &buf, &len);
	if (!err) {
		bio = BIO_new_mem_buf(buf, (int)len);
		d->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		OPENSSL_clear_free(buf, len);
		if (!d->key || !pki_is_p256(d->key))
			return -EINVAL;
	} else if (err != -ENOENT) {
		return err;
	}
	*what = "device-cert.pem";
	err = read_in(dir, "device-cert.pem", &buf, &len);
	if (!err) {
		bio = BIO_new_mem_buf(buf, (int)len);
		d->cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		d->chain = d->cert ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		ERR_clear_error();	/* no chain: the end of the file */
		BIO_free(bio);
		free(buf);
		if (!d->cert)
			return -EINVAL;
	} else if (err != -ENOENT) {
		return err;
	}
	*what = "ROM key";
	d->rom_key = rom ? pki_public_from_der(rom, rom_len) : NULL;
	if (rom && !d->rom_key)
		return -EINVAL;
	*what = NULL;
	return 0;
}

void ck_link_device_free(struct ck_link_device *d)
{
	EVP_PKEY_free(d->key);
	X509_free(d->cert);
	X509_free(d->chain);
	EVP_PKEY_free(d->rom_key);
	OPENSSL_cleanse(d, sizeof(*d));
}

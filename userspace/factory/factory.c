// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Loading a factory directory (ck_factory_open): the manufacturer key and
 * CA certificate, the master key and the optional SPP credential, with the
 * secret files' modes checked.  Layout: docs/factory-pki.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "common/file.h"
#include "common/pki.h"
#include "factory.h"

static void free_file(uint8_t *buf, size_t len)
{
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
}

/*
 * The whole (small, regular, not symlinked) file @dir/@name; a @secret
 * file must not be readable by group or others (-EPERM).
 */
static int read_file_at(const char *dir, const char *name, int secret,
			uint8_t **out, size_t *out_len)
{
	char path[PATH_MAX];
	int err;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	/* O_NOFOLLOW, then type, mode and size of the opened file itself. */
	if (secret)
		err = ck_file_read_secret_at(AT_FDCWD, path, CK_FACTORY_MAX_FILE, out, out_len);
	else
		err = ck_file_read_at(AT_FDCWD, path, CK_FACTORY_MAX_FILE, out, out_len);
	if (err == -EFBIG || err == -ELOOP)
		err = -EINVAL;
	if (err)
		return err;
	if (*out_len == 0 || *out_len > CK_FACTORY_MAX_FILE) {
		free_file(*out, *out_len);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

static int load_private(const char *dir, const char *name, EVP_PKEY **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio;
	int err = read_file_at(dir, name, 1, &buf, &len);

	if (err)
		return err;
	bio = BIO_new_mem_buf(buf, (int)len);
	*out = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	free_file(buf, len);
	if (!*out)
		return -EINVAL;
	if (!pki_is_p256(*out)) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

static int load_cert(const char *dir, const char *name, X509 **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio;
	int err = read_file_at(dir, name, 0, &buf, &len);

	if (err)
		return err;
	bio = BIO_new_mem_buf(buf, (int)len);
	*out = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	free_file(buf, len);
	return *out ? 0 : -EINVAL;
}

void ck_factory_close(struct ck_factory *f)
{
	if (!f)
		return;
	EVP_PKEY_free(f->mfr_key);
	X509_free(f->mfr_cert);
	OPENSSL_free(f->mfr_cert_der);
	OPENSSL_free(f->rom_key);
	EVP_PKEY_free(f->spp_key);
	X509_free(f->spp_cert);
	OPENSSL_cleanse(f, sizeof(*f));
	free(f);
}

int ck_factory_open(const char *dir, struct ck_factory **out)
{
	struct ck_factory *f;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if (!dir || !out)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	err = load_private(dir, CK_FACTORY_MFR_KEY, &f->mfr_key);
	if (!err)
		err = load_cert(dir, CK_FACTORY_MFR_CA_PEM, &f->mfr_cert);
	if (err)
		goto fail;
	/* The CA certificate must be for the signing key we hold. */
	if (X509_check_private_key(f->mfr_cert, f->mfr_key) != 1) {
		err = -EINVAL;
		goto fail;
	}
	err = read_file_at(dir, CK_FACTORY_MASTER_KEY, 1, &buf, &len);
	if (err)
		goto fail;
	if (len != PKI_MASTER_KEY_LEN) {
		free_file(buf, len);
		err = -EINVAL;
		goto fail;
	}
	memcpy(f->master, buf, PKI_MASTER_KEY_LEN);
	free_file(buf, len);
	err = pki_cert_to_der(f->mfr_cert, &f->mfr_cert_der, &f->mfr_cert_der_len);
	if (!err)
		err = pki_public_to_der(f->mfr_key, &f->rom_key, &f->rom_key_len);
	if (err)
		goto fail;
	/* The SPP credential is optional (a signing-only station). */
	err = load_private(dir, CK_FACTORY_SPP_KEY, &f->spp_key);
	if (err == -ENOENT) {
		err = 0;
	} else if (!err) {
		err = load_cert(dir, CK_FACTORY_SPP_CERT, &f->spp_cert);
		if (!err && X509_check_private_key(f->spp_cert, f->spp_key) != 1)
			err = -EINVAL;
	}
	if (err)
		goto fail;
	*out = f;
	return 0;
fail:
	ck_factory_close(f);
	return err;
}

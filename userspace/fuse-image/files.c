// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-fuse: reading its inputs (keys, certificates, fuse images) and
 * writing its outputs, each failure turned into its exit code with a
 * message (fuse-tool.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/file.h"
#include "fuse-tool.h"

#define FIMG_MAX_INPUT	(1 << 20)

int fimg_read_exit(int err)
{
	return err == -ENOENT ? CK_EXIT_NOT_FOUND : ck_exit_for_errno(err);
}

/* Free a buffer of ck_file_read() that held (or may hold) a secret. */
static void wipe_free(uint8_t *buf, size_t len)
{
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
}

/* The whole file @path (at most 1 MiB) into *@buf; wipe it after use. */
static int read_input(const char *path, const char *what, uint8_t **buf,
		      size_t *len)
{
	int ret = ck_file_read(path, buf, len, FIMG_MAX_INPUT);

	if (ret) {
		fprintf(stderr, FIMG_PROG ": cannot read %s: %s\n", path,
			strerror(-ret));
		return fimg_read_exit(ret);
	}
	if (*len > FIMG_MAX_INPUT) {
		fprintf(stderr, FIMG_PROG ": %s is too large for %s\n", path, what);
		wipe_free(*buf, *len);
		*buf = NULL;
		return CK_EXIT_TOO_LARGE;
	}
	return CK_EXIT_OK;
}

int fimg_load_key(const char *path, int private_only, EVP_PKEY **pkp)
{
	const unsigned char *p;
	EVP_PKEY *pk = NULL;
	uint8_t *buf;
	size_t len;
	BIO *bio;
	int ret;

	*pkp = NULL;
	ret = read_input(path, "a key", &buf, &len);
	if (ret)
		return ret;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio && !private_only)
		pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!pk && bio && BIO_reset(bio) == 1)
		pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!pk && !private_only) {
		p = buf;
		pk = d2i_PUBKEY(NULL, &p, (long)len);
	}
	if (!pk) {
		p = buf;
		pk = d2i_AutoPrivateKey(NULL, &p, (long)len);
	}
	wipe_free(buf, len);
	if (!pk) {
		fprintf(stderr, FIMG_PROG ": %s: not a PEM or DER %s\n", path,
			private_only ? "private key" : "public or private key");
		return CK_EXIT_MALFORMED;
	}
	*pkp = pk;
	return CK_EXIT_OK;
}

int fimg_load_cert(const char *path, X509 **certp)
{
	const unsigned char *p;
	X509 *x = NULL;
	uint8_t *buf;
	size_t len;
	BIO *bio;
	int ret;

	*certp = NULL;
	ret = read_input(path, "a certificate", &buf, &len);
	if (ret)
		return ret;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!x) {
		p = buf;
		x = d2i_X509(NULL, &p, (long)len);
	}
	free(buf);
	if (!x) {
		fprintf(stderr, FIMG_PROG ": %s: not a PEM or DER X.509 certificate\n",
			path);
		return CK_EXIT_MALFORMED;
	}
	*certp = x;
	return CK_EXIT_OK;
}

int fimg_load_image(const char *path, struct ck_fuse_image *f)
{
	uint8_t *buf;
	size_t len;
	int ret;

	memset(f, 0, sizeof(*f));
	ret = ck_file_read(path, &buf, &len, CK_FUSE_IMAGE_SIZE);
	if (ret) {
		fprintf(stderr, FIMG_PROG ": cannot read %s: %s\n", path,
			strerror(-ret));
		return fimg_read_exit(ret);
	}
	ret = ck_fuse_image_decode(buf, len, f);
	wipe_free(buf, len);
	if (ret) {
		fprintf(stderr, FIMG_PROG ": %s is not a %d-byte chipkey fuse image\n",
			path, CK_FUSE_IMAGE_SIZE);
		return CK_EXIT_MALFORMED;
	}
	return CK_EXIT_OK;
}

int fimg_refuse_existing(const char *path)
{
	struct stat st;

	if (strcmp(path, "-") && lstat(path, &st) == 0) {
		fprintf(stderr, FIMG_PROG ": %s exists; use --force to replace it\n",
			path);
		return CK_EXIT_CONFLICT;
	}
	return CK_EXIT_OK;
}

int fimg_write(const char *path, const void *buf, size_t len, mode_t mode,
	       int force)
{
	int ret = ck_file_write_atomic(path, buf, len, mode, force);

	if (ret == -EEXIST) {
		fprintf(stderr, FIMG_PROG ": %s exists; use --force to replace it\n",
			path);
		return CK_EXIT_CONFLICT;
	}
	if (ret) {
		fprintf(stderr, FIMG_PROG ": cannot write %s: %s\n", path,
			strerror(-ret));
		return ret == -EACCES || ret == -EPERM ? CK_EXIT_PERM :
		       CK_EXIT_OTHER;
	}
	return CK_EXIT_OK;
}

void fimg_remove(const char *path)
{
	if (strcmp(path, "-"))
		unlink(path);
}

int fimg_parse_days(const char *s, int *days)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > FIMG_MAX_DAYS) {
		fprintf(stderr, FIMG_PROG ": --days takes 0 (no expiry) to %d\n",
			FIMG_MAX_DAYS);
		return CK_EXIT_USAGE;
	}
	*days = (int)v;
	return CK_EXIT_OK;
}

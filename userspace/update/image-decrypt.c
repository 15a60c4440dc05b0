// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An image encrypted to one device (docs/software-update.md "Encrypted
 * images"): a DER CMS AuthEnvelopedData (AES-GCM) or EnvelopedData whose
 * recipient is the device certificate's key (ECDH key agreement), as
 *   openssl cms -encrypt -binary -outform DER -aes-256-gcm -recip device-cert.pem
 * makes it.  Decrypted with the device key into a memory file that the
 * install then copies and hashes like a plain image: the licence's digest
 * (over the plaintext) is what authenticates the result.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>

#include "common/file.h"
#include "common/pubdb-cms.h"
#include "update/update.h"

/* The regular file @path, at most CK_UPDATE_MAX_ENCRYPTED bytes, read
 * whole: exactly the size fstat() gave (a FIFO, a device or a file that
 * grows cannot make it read more). */
static int read_bounded(const char *path, uint8_t **buf, size_t *len, char *err,
			size_t errlen)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), rc = 0;

	*buf = NULL;
	if (fd < 0)
		return pubdb_fail(err, errlen, -ENOENT, "cannot read the image %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = pubdb_fail(err, errlen, -EBADMSG, "the image %s is not a regular file",
				path);
		goto out;
	}
	if (st.st_size > CK_UPDATE_MAX_ENCRYPTED) {
		rc = pubdb_fail(err, errlen, -EFBIG, "an encrypted image is at most %ld bytes",
				CK_UPDATE_MAX_ENCRYPTED);
		goto out;
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		rc = pubdb_fail(err, errlen, -ENOMEM, "no memory for the encrypted image");
		goto out;
	}
	while (got < *len) {
		n = read(fd, *buf + got, *len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = pubdb_fail(err, errlen, -ENOENT, "cannot read the image %s%s", path,
					n == 0 ? " (it shrank)" : "");
			goto out;
		}
		got += (size_t)n;
	}
out:
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	close(fd);
	return rc;
}

int ck_update_decrypt_image(const char *path, EVP_PKEY *key, X509 *cert, int *fd,
			    char *err, size_t errlen)
{
	BIO *in = NULL, *out = NULL;
	CMS_ContentInfo *cms = NULL;
	uint8_t *buf;
	size_t len = 0;
	int type, rc;

	*fd = -1;
	rc = read_bounded(path, &buf, &len, err, errlen);
	if (rc)
		return rc;
	in = BIO_new_mem_buf(buf, (int)len);
	if (!in) {
		rc = pubdb_fail(err, errlen, -ENOMEM, "no memory for the encrypted image");
		goto out;
	}
	cms = d2i_CMS_bio(in, NULL);
	type = cms ? OBJ_obj2nid(CMS_get0_type(cms)) : NID_undef;
	if (type != NID_id_smime_ct_authEnvelopedData && type != NID_pkcs7_enveloped) {
		rc = pubdb_fail(err, errlen, -EINVAL, "the image is not a CMS "
				"(Auth)EnvelopedData (--encrypted)");
		goto out;
	}
	if (CMS_decrypt_set1_pkey_and_peer(cms, key, cert, NULL) != 1) {
		rc = pubdb_fail(err, errlen, -ENOKEY, "the image is not encrypted to this "
				"device's key");
		goto out;
	}
	*fd = memfd_create("chipkey-image", MFD_CLOEXEC);
	out = *fd >= 0 ? BIO_new_fd(*fd, BIO_NOCLOSE) : NULL;
	if (!out) {
		rc = pubdb_fail(err, errlen, -ENOMEM, "no memory for the decrypted image");
		goto out;
	}
	if (CMS_decrypt(cms, NULL, NULL, NULL, out, CMS_BINARY) != 1 || BIO_flush(out) != 1) {
		rc = pubdb_fail(err, errlen, -EBADMSG, "the encrypted image does not decrypt "
				"(altered?)");
		goto out;
	}
	rc = 0;
out:
	if (rc && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	free(buf);
	ERR_clear_error();
	return rc;
}

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
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>

#include "common/pubdb-cms.h"
#include "update/update.h"

int ck_update_decrypt_image(const char *path, EVP_PKEY *key, X509 *cert, int *fd,
			    char *err, size_t errlen)
{
	BIO *in = NULL, *out = NULL;
	CMS_ContentInfo *cms = NULL;
	struct stat st;
	int type, rc;

	*fd = -1;
	if (stat(path, &st) < 0 || !(in = BIO_new_file(path, "rb")))
		return pubdb_fail(err, errlen, -ENOENT, "cannot read the image %s", path);
	if (st.st_size > CK_UPDATE_MAX_ENCRYPTED) {
		rc = pubdb_fail(err, errlen, -EFBIG, "an encrypted image is at most %ld bytes",
				CK_UPDATE_MAX_ENCRYPTED);
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
	ERR_clear_error();
	return rc;
}

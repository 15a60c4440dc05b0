// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Loading a factory directory (ck_factory_open): the issuing CA key and
 * certificate, the root certificate (never the root key), the master key
 * and the optional SPP TLS and record-signing credentials, with the secret
 * files' modes checked.  Layout: docs/factory-pki.md.
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
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

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

/* The optional credential @kname/@cname into key and cert (both or none):
 * issued by @ca, for the key held. */
static int load_credential(const char *dir, const char *kname, const char *cname,
			   X509 *ca, EVP_PKEY **key, X509 **cert)
{
	int err = load_private(dir, kname, key);

	if (err == -ENOENT)
		return 0;
	if (!err)
		err = load_cert(dir, cname, cert);
	if (!err && (X509_check_private_key(*cert, *key) != 1 ||
		     X509_check_issued(ca, *cert) != X509_V_OK ||
		     X509_verify(*cert, X509_get0_pubkey(ca)) != 1))
		err = -EINVAL;
	ERR_clear_error();
	return err;
}

void ck_factory_close(struct ck_factory *f)
{
	if (!f)
		return;
	EVP_PKEY_free(f->ca_key);
	X509_free(f->ca_cert);
	OPENSSL_free(f->ca_cert_der);
	X509_free(f->mfr_cert);
	OPENSSL_free(f->mfr_cert_der);
	OPENSSL_free(f->rom_key);
	EVP_PKEY_free(f->spp_key);
	X509_free(f->spp_cert);
	EVP_PKEY_free(f->record_key);
	X509_free(f->record_cert);
	OPENSSL_free(f->customer_anchor_der);
	OPENSSL_cleanse(f, sizeof(*f));
	free(f);
}

/*
 * The optional customer anchor: absent is fine; present, it must be one CA
 * certificate (one PEM block, basicConstraints CA:TRUE), or the factory
 * does not open: a package must never carry an anchor nobody meant.  Its
 * validity dates are not checked here.
 */
static int load_customer_anchor(const char *dir, struct ck_factory *f)
{
	uint8_t *buf = NULL;
	size_t len = 0, n = 0;
	X509 *ca = NULL;
	int err = read_file_at(dir, CK_FACTORY_CUSTOMER_ANCHOR, 0, &buf, &len);

	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	/* exactly one PEM block: a second certificate would be dropped */
	for (size_t i = 0; i + 11 <= len; i++)
		n += !memcmp(buf + i, "-----BEGIN ", 11);
	free_file(buf, len);
	err = n == 1 ? load_cert(dir, CK_FACTORY_CUSTOMER_ANCHOR, &ca) : -EINVAL;
	if (!err && X509_check_ca(ca) != 1)
		err = -EINVAL;
	if (!err)
		err = pki_cert_to_der(ca, &f->customer_anchor_der,
				      &f->customer_anchor_der_len);
	X509_free(ca);
	return err;
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
	/* The root's certificate only: its key stays offline. */
	err = load_cert(dir, CK_FACTORY_MFR_CA_PEM, &f->mfr_cert);
	if (!err)
		err = load_private(dir, CK_FACTORY_CA_KEY, &f->ca_key);
	if (!err)
		err = load_cert(dir, CK_FACTORY_CA_CERT, &f->ca_cert);
	if (err)
		goto fail;
	/* The issuing CA certificate is for the key we hold, signed by the root. */
	if (X509_check_private_key(f->ca_cert, f->ca_key) != 1 ||
	    X509_check_issued(f->mfr_cert, f->ca_cert) != X509_V_OK ||
	    X509_verify(f->ca_cert, X509_get0_pubkey(f->mfr_cert)) != 1) {
		ERR_clear_error();
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
		err = pki_cert_to_der(f->ca_cert, &f->ca_cert_der, &f->ca_cert_der_len);
	if (!err)
		err = pki_public_to_der(X509_get0_pubkey(f->mfr_cert), &f->rom_key,
					&f->rom_key_len);
	/* The TLS and record-signing credentials are optional (a signing-only
	 * station). */
	if (!err)
		err = load_credential(dir, CK_FACTORY_SPP_KEY, CK_FACTORY_SPP_CERT,
				      f->ca_cert, &f->spp_key, &f->spp_cert);
	if (!err)
		err = load_credential(dir, CK_FACTORY_RECORD_KEY, CK_FACTORY_RECORD_CERT,
				      f->ca_cert, &f->record_key, &f->record_cert);
	if (!err)
		err = load_customer_anchor(dir, f);
	if (err)
		goto fail;
	*out = f;
	return 0;
fail:
	ck_factory_close(f);
	return err;
}

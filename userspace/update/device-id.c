// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Who this device is, for the audience check of a licence
 * (docs/software-update.md "Checks", step 2): the one home of the check,
 * used by `chipkey update install` and `chipkey service install`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/file.h"
#include "common/pki.h"
#include "common/pubdb-cms.h"
#include "update/update.h"

/* KEYS/identity, where present, holds @identity (one line). */
static int identity_file_matches(const char *keys, const char *identity)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	int ok = 1;

	snprintf(path, sizeof(path), "%s/identity", keys);
	if (!ck_file_read(path, &buf, &len, 64))
		ok = len >= CK_LICENCE_IDENTITY_LEN && len <= CK_LICENCE_IDENTITY_LEN + 1 &&
		     !memcmp(buf, identity, CK_LICENCE_IDENTITY_LEN) &&
		     (len == CK_LICENCE_IDENTITY_LEN || buf[CK_LICENCE_IDENTITY_LEN] == '\n');
	free(buf);
	return ok;
}

/* KEYS/device-cert.der, where present, is @cert. */
static int der_file_matches(const char *keys, X509 *cert)
{
	char path[4096];
	uint8_t *buf = NULL, *der = NULL;
	size_t len = 0;
	int der_len = i2d_X509(cert, &der), ok = 1;

	snprintf(path, sizeof(path), "%s/device-cert.der", keys);
	if (!ck_file_read(path, &buf, &len, 16384))
		ok = der_len > 0 && len == (size_t)der_len && !memcmp(buf, der, len);
	OPENSSL_free(der);
	free(buf);
	return ok;
}

int ck_update_device_id(const char *keys, const uint8_t *rom, size_t rom_len,
			const uint8_t *chip, struct ck_update_device *d, char *err,
			size_t errlen)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	X509 *cert = NULL, *ica = NULL;
	BIO *b;
	int rc = 0;

	d->id.identity = NULL;
	d->id.has_chip_id = 0;
	snprintf(path, sizeof(path), "%s/device-cert.pem", keys);
	if (ck_file_read(path, &buf, &len, 65536) || len > 65536) {
		free(buf);
		return 0;	/* identity and chip ID unknown */
	}
	b = BIO_new_mem_buf(buf, (int)len);
	cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	ica = cert ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	free(buf);
	ERR_clear_error();
	if (!cert || pki_verify_device_cert(cert, ica, rom, rom_len, NULL, NULL, PKI_TIME_IGNORE) ||
	    pki_cert_device_identity(cert, d->identity) || pki_cert_chip_id(cert, d->id.chip_id)) {
		rc = pubdb_fail(err, errlen, -EKEYREJECTED, "%.400s is not a device certificate "
				"issued under this device's ROM key", path);
		goto out;
	}
	/* the other files the keys directory holds must name the same device */
	if (!identity_file_matches(keys, d->identity)) {
		rc = pubdb_fail(err, errlen, -EKEYREJECTED, "%.400s/identity does not hold the "
				"device certificate's identity %s", keys, d->identity);
		goto out;
	}
	if (!der_file_matches(keys, cert)) {
		rc = pubdb_fail(err, errlen, -EKEYREJECTED, "%.400s/device-cert.der is not the "
				"certificate of device-cert.pem", keys);
		goto out;
	}
	/* and, with the chip at hand, the certificate is this chip's */
	if (chip && CRYPTO_memcmp(chip, d->id.chip_id, CK_LICENCE_CHIP_ID_LEN)) {
		rc = pubdb_fail(err, errlen, -EKEYREJECTED, "%.400s names another chip ID than "
				"the chip's", path);
		goto out;
	}
	d->id.identity = d->identity;
	d->id.has_chip_id = 1;
out:
	X509_free(cert);
	X509_free(ica);
	return rc;
}

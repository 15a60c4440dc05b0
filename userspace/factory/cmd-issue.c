// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory issue DIR --identity IMEI --chip-id HEX
 * (--pubkey SPKI.der | --key-out KEY.pem) [--out CERT.pem] [--attest-key
 * Q.pem]: issue one device certificate with the factory's manufacturer key
 * (carrying the chip's attestation key Q if given).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "common/exit.h"
#include "common/file.h"
#include "common/identity.h"
#include "common/pki.h"
#include "factory.h"
#include "pki-issue.h"
#include "subcommands.h"

static int write_cert_out(X509 *cert, const char *path)
{
	FILE *f = path ? fopen(path, "wx") : stdout;
	int ok;

	if (!f)
		return -errno;
	ok = PEM_write_X509(f, cert);
	if (path)
		ok = fclose(f) == 0 && ok;
	else
		ok = fflush(f) == 0 && ok;
	return ok ? 0 : -EIO;
}

/* @key as unencrypted PKCS#8 PEM in a new 0600 file @path. */
static int write_key_pem(EVP_PKEY *key, const char *path)
{
	BIO *bio;
	char *data;
	long n;
	int err;

	if (!strcmp(path, "-"))	/* a private key is never printed */
		return -EINVAL;
	bio = BIO_new(BIO_s_secmem());
	if (!bio)
		return -ENOMEM;
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(bio);
		return -EIO;
	}
	n = BIO_get_mem_data(bio, &data);
	err = n > 0 ? ck_file_write_atomic(path, data, (size_t)n, 0600, 0) : -EIO;
	BIO_free(bio);
	return err;
}

/* The device key: read from --pubkey, or made and saved to --key-out. */
static int device_key(const struct factory_args *a, EVP_PKEY **key)
{
	uint8_t *buf;
	size_t len;
	int err;

	if (a->pubkey) {
		err = factory_read_file(a->pubkey, &buf, &len);
		if (err)
			return factory_fail(a->pubkey, err);
		*key = pki_public_from_der(buf, len);
		free(buf);
		return *key ? CK_EXIT_OK : factory_fail(a->pubkey, -EINVAL);
	}
	*key = pki_ec_keygen();
	if (!*key)
		return factory_fail("keygen", -EIO);
	err = write_key_pem(*key, a->key_out);
	return err ? factory_fail(a->key_out, err) : CK_EXIT_OK;
}

int cmd_issue(const struct factory_args *a)
{
	struct ck_factory *f = NULL;
	uint8_t chip[CHIPKEY_CHIP_ID_LEN], q[CHIPKEY_EC_POINT_LEN];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int err, rc;

	if (a->npos != 1 || !a->identity || !a->chip_id ||
	    !!a->pubkey == !!a->key_out)
		return factory_usage_error();
	if (!ck_identity_valid(a->identity)) {
		fprintf(stderr, "%s: %s is not a 15-digit identity with a valid check digit\n",
			factory_prog, a->identity);
		return CK_EXIT_USAGE;
	}
	if (factory_parse_chip_id(a->chip_id, chip)) {
		fprintf(stderr, "%s: --chip-id must be 32 hex digits\n", factory_prog);
		return CK_EXIT_USAGE;
	}
	if (a->attest_key && (rc = factory_read_attest_key(a->attest_key, q)))
		return rc;
	err = ck_factory_open(a->pos[0], &f);
	if (err)
		return factory_fail("open factory", err);
	rc = device_key(a, &key);
	if (rc)
		goto out;
	cert = pki_issue_device_cert(f->mfr_key, f->mfr_cert, a->identity, chip,
				     key, a->attest_key ? q : NULL,
				     PKI_DEFAULT_DEVICE_DAYS);
	if (!cert) {
		rc = factory_fail("issue", -EIO);
		goto out;
	}
	err = write_cert_out(cert, a->out);
	if (err)
		rc = factory_fail(a->out ? a->out : "stdout", err);
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	ck_factory_close(f);
	return rc;
}

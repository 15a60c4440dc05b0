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

#include "common/exit.h"
#include "common/file.h"
#include "common/identity.h"
#include "common/pki.h"
#include "factory.h"
#include "pki-issue.h"
#include "subcommands.h"

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
	err = factory_write_key_pem(*key, a->key_out);
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
	cert = pki_issue_device_cert(f->ca_key, f->ca_cert, a->identity, chip,
				     key, a->attest_key ? q : NULL,
				     PKI_DEFAULT_DEVICE_DAYS);
	if (!cert) {
		rc = factory_fail("issue", -EIO);
		goto out;
	}
	err = factory_write_cert_pem(cert, a->out);
	if (err)
		rc = factory_fail(a->out ? a->out : "stdout", err);
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	ck_factory_close(f);
	return rc;
}

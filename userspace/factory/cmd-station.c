// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory station DIR --name NAME [--days N] --out-key KEY
 * --out-cert CERT: issue one line station's TLS client credential (its own
 * key pair and certificate, short-lived), signed by the manufacturer key.
 * Revoked with chipkey-factory revoke (cmd-revoke.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>

#include "common/exit.h"
#include "factory.h"
#include "pki-issue.h"
#include "subcommands.h"

/* A station name: 1..64 of A-Z a-z 0-9 . _ - (it is the certificate's CN
 * and appears in the SPP log). */
static int name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 64)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789._-") == n;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int cmd_station(const struct factory_args *a)
{
	struct ck_factory *f = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int days = a->days ? (int)a->days : PKI_DEFAULT_STATION_DAYS;
	int err, rc = CK_EXIT_OK;

	if (a->npos != 1 || !a->out_key || !a->out_cert || !strcmp(a->out_cert, "-"))
		return factory_usage_error();
	if (!name_valid(a->name)) {
		fprintf(stderr, "%s: --name must be 1 to 64 of A-Z a-z 0-9 . _ -\n",
			factory_prog);
		return CK_EXIT_USAGE;
	}
	if (a->days > PKI_MAX_STATION_DAYS) {
		fprintf(stderr, "%s: --days: a station credential is valid at most %d days\n",
			factory_prog, PKI_MAX_STATION_DAYS);
		return CK_EXIT_USAGE;
	}
	if (exists(a->out_key) || exists(a->out_cert))
		return factory_fail(exists(a->out_key) ? a->out_key : a->out_cert, -EEXIST);
	err = ck_factory_open(a->pos[0], &f);
	if (err)
		return factory_fail("open factory", err);
	key = pki_ec_keygen();
	cert = key ? pki_issue_station_cert(f->ca_key, f->ca_cert, key, a->name, days) : NULL;
	if (!cert) {
		rc = factory_fail("issue", -EIO);
		goto out;
	}
	err = factory_write_key_pem(key, a->out_key);
	if (err) {
		rc = factory_fail(a->out_key, err);
		goto out;
	}
	err = factory_write_cert_pem(cert, a->out_cert);
	if (err) {
		unlink(a->out_key);	/* no key without its certificate */
		rc = factory_fail(a->out_cert, err);
		goto out;
	}
	{
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
		char *hex = bn ? BN_bn2hex(bn) : NULL;

		printf("station %s: serial %s, valid %d days: %s, %s\n", a->name,
		       hex ? hex : "?", days, a->out_cert, a->out_key);
		OPENSSL_free(hex);
		BN_free(bn);
	}
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	ck_factory_close(f);
	return rc;
}

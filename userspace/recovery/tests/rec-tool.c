// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test helper: forge certificates and archives for the recovery tests.
 *
 *   rec-tool cert FACTORY IDENTITY CHIPHEX OUT.der   signed by the factory's
 *                                                   manufacturer key
 *   rec-tool rogue-cert IDENTITY CHIPHEX OUT.der     signed by a fresh key
 *                                                   (not the manufacturer's)
 *   rec-tool archive CHIPHEX GEN IDENTITY BACKUP CERT OUT
 *                                                   unsigned CKPR record
 *   rec-tool dp-drop-ca IN OUT                       a data package without
 *                                                   its manufacturer CA
 *                                                   certificate entry
 *   rec-tool dp-drop-cert IN OUT                     ... without its device
 *                                                   certificate entry
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/file.h"
#include "common/hex.h"
#include "common/pki.h"
#include "common/pubdb-record.h"
#include "factory/factory.h"
#include "factory/pki-issue.h"

/* The whole file @path (at most 2 MiB), or NULL. */
static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *b = NULL;

	if (ck_file_read(path, &b, len, 1 << 21) || *len > 1 << 21) {
		free(b);
		return NULL;
	}
	return b;
}

static int spit(const char *path, const void *b, size_t n)
{
	return ck_file_write_atomic(path, b, n, 0644, 1) ? 1 : 0;
}

static int write_cert(X509 *c, const char *out)
{
	uint8_t *der = NULL;
	size_t len = 0;
	int rc;

	if (!c || pki_cert_to_der(c, &der, &len))
		return 1;
	rc = spit(out, der, len);
	OPENSSL_free(der);
	return rc;
}

int main(int argc, char **argv)
{
	uint8_t chip[16];
	int rc = 1;

	if (argc == 6 && !strcmp(argv[1], "cert")) {
		struct ck_factory *f = NULL;
		EVP_PKEY *k = pki_ec_keygen();
		X509 *c;

		if (ck_factory_open(argv[2], &f) || ck_hex_decode(argv[4], chip, sizeof(chip)) ||
		    !k)
			return 1;
		c = pki_issue_device_cert(f->ca_key, f->ca_cert, argv[3], chip, k, NULL, 0);
		rc = write_cert(c, argv[5]);
		X509_free(c);
		EVP_PKEY_free(k);
		ck_factory_close(f);
		return rc;
	}
	if (argc == 5 && !strcmp(argv[1], "rogue-cert")) {
		EVP_PKEY *ca = pki_ec_keygen(), *k = pki_ec_keygen();
		X509 *cac, *c;

		if (!ca || !k || ck_hex_decode(argv[3], chip, sizeof(chip)))
			return 1;
		cac = pki_make_mfr_ca(ca, "chipkey", "rogue CA", 365);
		c = cac ? pki_issue_device_cert(ca, cac, argv[2], chip, k, NULL, 0) : NULL;
		rc = write_cert(c, argv[4]);
		X509_free(c);
		X509_free(cac);
		EVP_PKEY_free(ca);
		EVP_PKEY_free(k);
		return rc;
	}
	if (argc == 8 && !strcmp(argv[1], "archive")) {
		struct pubdb_fields fl;
		uint8_t *bk, *cert, *out = NULL;
		size_t bl, cl, ol;
		char err[256];

		memset(&fl, 0, sizeof(fl));
		if (ck_hex_decode(argv[2], fl.chip_id, sizeof(fl.chip_id)))
			return 1;
		fl.generation = strtoull(argv[3], NULL, 10);
		fl.identity = argv[4];
		bk = slurp(argv[5], &bl);
		cert = slurp(argv[6], &cl);
		if (!bk || !cert) {
			free(bk);
			free(cert);
			return 1;
		}
		fl.backup = bk;
		fl.backup_len = bl;
		fl.cert = cert;
		fl.cert_len = cl;
		if (pubdb_record_build(&fl, NULL, NULL, &out, &ol, err, sizeof(err)))
			fprintf(stderr, "rec-tool: %s\n", err);
		else
			rc = spit(argv[7], out, ol);
		free(out);
		free(bk);
		free(cert);
		return rc;
	}
	if (argc == 4 && (!strcmp(argv[1], "dp-drop-ca") || !strcmp(argv[1], "dp-drop-cert"))) {
		uint16_t type = strcmp(argv[1], "dp-drop-ca") ? CK_DP_DEVICE_CERT : CK_DP_MFR_CA_CERT;
		struct ck_dp *dp = NULL;
		uint8_t *in, *out = NULL;
		size_t il, ol = 0;

		in = slurp(argv[2], &il);
		if (in && !ck_dp_decode(in, il, &dp) && !ck_dp_remove(dp, type) &&
		    !ck_dp_encode(dp, &out, &ol))
			rc = spit(argv[3], out, ol);
		if (out)
			ck_dp_buf_free(out, ol);
		ck_dp_free(dp);
		free(in);
		return rc;
	}
	fprintf(stderr, "usage: see the comment at the top of rec-tool.c\n");
	return 2;
}

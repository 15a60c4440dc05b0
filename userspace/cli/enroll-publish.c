// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey enroll, last step: publish the new generation to the public
 * database, signed by the device with its factory key (the writer the
 * database allows for every generation after the first,
 * docs/pubdb-api.md "Who may write").  The record is built by the one
 * builder, pubdb_record_build_chain() (common/pubdb-cms.c), with the
 * issuing CA as the second certificate.  Repeatable: a 409 whose stored
 * backup is byte for byte ours counts as published.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "common/exit.h"
#include "common/hex.h"
#include "common/pubdb-cms.h"
#include "enroll.h"

static X509 *dp_cert(const struct ck_dp *dp, uint16_t type)
{
	const uint8_t *v;
	size_t len;

	if (ck_dp_get(dp, type, &v, &len))
		return NULL;
	return d2i_X509(NULL, &v, (long)len);
}

int enr_publish(const char *db, const struct ck_dp *dp, const uint8_t chip_id[16],
		const char *identity, uint64_t gen, const uint8_t *backup, size_t backup_len)
{
	struct pubdb_fields f = { .generation = gen, .identity = identity,
				  .backup = backup, .backup_len = backup_len };
	struct enr_http h = { .allow_http = 1 };
	char url[1200], hex[33], err[512];
	uint8_t *rec = NULL;
	size_t rec_len = 0, bl = strlen(db);
	const uint8_t *v;
	size_t len;
	EVP_PKEY *key = NULL;
	X509 *w = dp_cert(dp, CK_DP_DEVICE_CERT), *ca = dp_cert(dp, CK_DP_ISSUING_CA_CERT);
	int rc = CK_EXIT_OTHER;

	memcpy(f.chip_id, chip_id, 16);
	if (!ck_dp_get(dp, CK_DP_DEVICE_KEY, &v, &len))
		key = d2i_AutoPrivateKey(NULL, &v, (long)len);
	if (!w || !key || ck_dp_get(dp, CK_DP_DEVICE_CERT, &f.cert, &f.cert_len)) {
		fprintf(stderr, "chipkey: enroll: the data package has no factory key and certificate\n");
		goto out;
	}
	if (pubdb_record_build_chain(&f, key, w, ca, &rec, &rec_len, err, sizeof(err))) {
		fprintf(stderr, "chipkey: enroll: record: %s\n", err);
		goto out;
	}
	while (bl && db[bl - 1] == '/')
		bl--;
	ck_hex_encode(chip_id, 16, hex);
	snprintf(url, sizeof(url), "%.*s/v1/chips/%s/generations", (int)bl, db, hex);
	h.url = url;
	h.body = rec;
	h.body_len = rec_len;
	h.content_type = "application/cms";
	if (enr_http_do(&h)) {
		fprintf(stderr, "chipkey: enroll: public database: %s\n", h.err);
		rc = CK_EXIT_NETWORK;
		goto out;
	}
	if (h.status == 409) {
		/* stored before (a re-run)? then the stored backup is ours */
		enr_http_release(&h);
		snprintf(url, sizeof(url), "%.*s/v1/chips/%s/generations/%" PRIu64 "/backup",
			 (int)bl, db, hex, gen);
		h = (struct enr_http){ .url = url, .allow_http = 1 };
		if (!enr_http_do(&h) && h.status == 200 && h.resp_len == backup_len &&
		    !memcmp(h.resp, backup, backup_len)) {
			rc = CK_EXIT_OK;
			goto out;
		}
		fprintf(stderr, "chipkey: enroll: the public database holds another generation %"
			PRIu64 "\n", gen);
		rc = CK_EXIT_CONFLICT;
		goto out;
	}
	if (h.status / 100 != 2) {
		fprintf(stderr, "chipkey: enroll: public database: HTTP %ld: %.200s\n", h.status,
			h.resp ? h.resp : "");
		rc = h.status == 401 || h.status == 403 ? CK_EXIT_REFUSED : CK_EXIT_OTHER;
		goto out;
	}
	rc = CK_EXIT_OK;
out:
	enr_http_release(&h);
	free(rec);
	EVP_PKEY_free(key);
	X509_free(w);
	X509_free(ca);
	ERR_clear_error();
	return rc;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-spp: the vet of the publisher (see publish-vet.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/pubdb-cms.h"
#include "common/pubdb-record.h"
#include "publish-vet.h"

static X509_STORE *cas;		/* the root alone, never changed: the
					 * writer cache's condition */
static struct pubdb_writer_cache writers; /* the publisher thread's */

int spp_vet_init(X509 *root)
{
	cas = X509_STORE_new();
	if (!cas || !root || X509_STORE_add_cert(cas, root) != 1) {
		X509_STORE_free(cas);
		cas = NULL;
		return -1;
	}
	return 0;
}

void spp_vet_free(void)
{
	pubdb_writer_cache_free(&writers);
	X509_STORE_free(cas);
	cas = NULL;
}

static int same(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return al == bl && (!al || memcmp(a, b, al) == 0);
}

int spp_vet(void *arg, const struct store_pub_record *rec, char *why, size_t whylen)
{
	struct pubdb_cms_decoded dec;
	struct pubdb_record pr;
	enum pubdb_verdict v;
	char err[160] = "";
	int rc = -1;

	(void)arg;
	if (!cas) {
		snprintf(why, whylen, "no trust store");
		return -1;
	}
	if (!rec->signed_record_len) {
		snprintf(why, whylen, "%s: no signed record", pubdb_verdict_str(PUBDB_UNSIGNED));
		return -1;
	}
	/* parsed and validated with one decode of its SignedData */
	if (pubdb_cms_parse_decoded(rec->signed_record, rec->signed_record_len, &pr, &dec, err,
				    sizeof(err)) < 0) {
		snprintf(why, whylen, "malformed signed record: %s", err);
		return -1;
	}
	if (pr.format != PUBDB_FORMAT_CMS) {
		snprintf(why, whylen, "signed record in format %d, not 2 (CMS)", (int)pr.format);
		goto out;
	}
	if (memcmp(pr.chip_id, rec->chip_id, sizeof(pr.chip_id)) ||
	    pr.generation != rec->generation || strcmp(pr.identity, rec->identity) ||
	    !same(pr.backup, pr.backup_len, rec->backup, rec->backup_len) ||
	    !same(pr.cert, pr.cert_len, rec->cert, rec->cert_len)) {
		snprintf(why, whylen, "the columns differ from the signed record");
		goto out;
	}
	if (pr.generation != 1) {
		snprintf(why, whylen, "generation %llu (the SPP publishes generation 1 only)",
			 (unsigned long long)pr.generation);
		goto out;
	}
	/* the record signer's chain verified once, not per record */
	v = pubdb_record_validate_cached(&pr, &dec, NULL, cas, &writers, err, sizeof(err));
	if (v != PUBDB_VALID) {
		snprintf(why, whylen, "%s: %s", pubdb_verdict_str(v), err);
		goto out;
	}
	rc = 0;
out:
	pubdb_cms_decoded_free(&dec);
	return rc;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-pubdb: writes (POST /v1/chips/{chip}/generations).  The body is
 * a signed record in format 2 (CMS SignedData; format 1 is refused); the
 * checks run in the order docs/pubdb-api.md ("Who may write") gives, and
 * a record that passes is stored as a new generation together with its
 * signed bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/pubdb-cms.h"
#include "common/pubdb-record.h"
#include "pubdb.h"

/* The HTTP status of a refused record (docs/pubdb-api.md "Who may write"). */
unsigned int pubdb_verdict_status(enum pubdb_verdict v)
{
	switch (v) {
	case PUBDB_UNSIGNED:
	case PUBDB_BAD_SIGNATURE:
	case PUBDB_UNTRUSTED:
		return MHD_HTTP_UNAUTHORIZED;
	case PUBDB_WRONG_GENERATION:
		return MHD_HTTP_CONFLICT;
	case PUBDB_NOT_WRITER:
		return MHD_HTTP_FORBIDDEN;
	default:
		return MHD_HTTP_BAD_REQUEST;
	}
}

/* The store's record as the one the next generation must follow. */
static void prev_of(const struct store_pub_record *s, struct pubdb_prev *p)
{
	p->generation = s->generation;
	p->newest = s->generation;
	p->identity = s->identity;
	p->cert = s->cert;
	p->cert_len = s->cert_len;
}

/* 2.-9. of a record parsed (pubdb_cms_parse_decoded) into @pr and @dec */
static MHD_RESULT post_parsed(struct MHD_Connection *c, const struct pubdb_route *r,
			      const struct pubdb_upload *u, const struct pubdb_record *pr0,
			      const struct pubdb_cms_decoded *dec)
{
	struct store_pub_record rec = { 0 }, newest = { 0 }, cur = { 0 };
	const struct pubdb_record pr = *pr0;
	struct pubdb_prev prev;
	enum pubdb_verdict v;
	struct store *st;
	X509_STORE *cas;
	char err[256], loc[128], *json;
	size_t len = 0;
	int rc;

	if (pr.format != PUBDB_FORMAT_CMS)
		return pubdb_send_error(c, MHD_HTTP_BAD_REQUEST, NULL,
					"record format 1 (\"CKPR\") is no longer accepted: "
					"send a CMS SignedData record (docs/pubdb-api.md)");
	/* 2. it is for the chip of the URL */
	if (memcmp(pr.chip_id, r->chip, sizeof(pr.chip_id)))
		return pubdb_send_error(c, MHD_HTTP_BAD_REQUEST, NULL,
					"record is for another chip than the URL");
	st = pubdb_db(err, sizeof(err));
	if (!st) {
		fprintf(stderr, "chipkey-pubdb: database: %s\n", err);
		return pubdb_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
					"database unavailable");
	}
	/*
	 * 3.-8. against the newest stored generation and the newest one
	 * without a void entry, whose device writes the next generation
	 * (common/pubdb-validate.c)
	 */
	rc = store_pub_latest(st, pr.chip_id, &newest);
	if (!rc) {
		rc = store_pub_current(st, pr.chip_id, &cur);
		if (rc == -ENOENT) {
			store_pub_record_clear(&newest);
			return pubdb_send_error(c, MHD_HTTP_CONFLICT, NULL,
						"every generation of chip %s is voided", r->hex);
		}
	}
	if (rc < 0 && rc != -ENOENT) {
		store_pub_record_clear(&newest);
		return pubdb_db_error(c, st);
	}
	if (!rc) {
		prev_of(&cur, &prev);
		prev.newest = newest.generation;
	}
	cas = pubdb_trust_get(err, sizeof(err));
	if (!cas) {
		store_pub_record_clear(&newest);
		store_pub_record_clear(&cur);
		return pubdb_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "%s", err);
	}
	v = pubdb_record_validate_decoded(&pr, dec, rc ? NULL : &prev, cas, err, sizeof(err));
	X509_STORE_free(cas);
	store_pub_record_clear(&newest);
	store_pub_record_clear(&cur);
	if (v != PUBDB_VALID)
		return pubdb_send_error(c, pubdb_verdict_status(v), NULL, "%s: %s",
					pubdb_verdict_str(v), err);
	/*
	 * 9. store it.  The store inserts only a generation greater than the
	 * latest one, in one transaction; ours is the latest we read + 1, so it
	 * is stored only if nothing was stored since: a writer that lost a race
	 * for the same generation gets -EEXIST (409) here.
	 */
	memcpy(rec.chip_id, pr.chip_id, sizeof(rec.chip_id));
	rec.generation = pr.generation;
	memcpy(rec.identity, pr.identity, sizeof(rec.identity));
	rec.backup = (uint8_t *)pr.backup;
	rec.backup_len = pr.backup_len;
	rec.cert = (uint8_t *)pr.cert;
	rec.cert_len = pr.cert_len;
	rec.signed_record = u->buf;
	rec.signed_record_len = u->len;
	rc = store_pub_insert(st, &rec);
	if (rc == -EEXIST)
		return pubdb_send_error(c, MHD_HTTP_CONFLICT, NULL, "%s", store_error(st));
	if (rc == -EINVAL)
		return pubdb_send_error(c, MHD_HTTP_BAD_REQUEST, NULL, "%s", store_error(st));
	if (rc < 0)
		return pubdb_db_error(c, st);
	snprintf(loc, sizeof(loc), "/v1/chips/%s/generations/%" PRIu64, r->hex, pr.generation);
	json = pubdb_json_stored(r->hex, pr.generation, loc, &len);
	return pubdb_send_json(c, MHD_HTTP_CREATED, json, len, loc);
}

MHD_RESULT pubdb_handle_post(struct MHD_Connection *c, const struct pubdb_route *r,
			     const struct pubdb_upload *u)
{
	struct pubdb_record pr;
	struct pubdb_cms_decoded dec;
	char err[256];
	MHD_RESULT ret;

	if (r->leaf == LEAF_VOID)
		return pubdb_void_post(c, r, u);
	/* 1. it parses, in format 2, its SignedData decoded once for the
	 * parse and every check (the path of chipkey-spp's vet) */
	if (pubdb_cms_parse_decoded(u->buf, u->len, &pr, &dec, err, sizeof(err)) < 0)
		ret = pubdb_send_error(c, MHD_HTTP_BAD_REQUEST, NULL, "malformed record: %s", err);
	else
		ret = post_parsed(c, r, u, &pr, &dec);
	pubdb_cms_decoded_free(&dec);
	return ret;
}

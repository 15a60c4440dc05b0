// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-pubdb: void entries (docs/pubdb-api.md "Voiding a generation").
 * POST /v1/chips/{chip}/generations/{n}/void stores the manufacturer's
 * signed void entry of generation n, insert-only, one per generation;
 * GET serves it byte for byte (application/cms) so anyone can verify it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/pubdb-void.h"
#include "pubdb.h"

MHD_RESULT pubdb_void_post(struct MHD_Connection *c, const struct pubdb_route *r,
			   const struct pubdb_upload *u)
{
	struct store_pub_void sv = { 0 };
	enum pubdb_verdict v;
	struct pubdb_void pv;
	struct store *st;
	X509_STORE *cas;
	char err[256], loc[160], *json;
	size_t len = 0;
	int rc;

	/* 1. it parses; 2. it names the chip and generation of the URL */
	if (pubdb_void_parse(u->buf, u->len, &pv, err, sizeof(err)) < 0)
		return pubdb_send_error(c, MHD_HTTP_BAD_REQUEST, NULL, "malformed void entry: %s",
					err);
	if (memcmp(pv.chip_id, r->chip, sizeof(pv.chip_id)) || pv.generation != r->gen)
		return pubdb_send_error(c, MHD_HTTP_BAD_REQUEST, NULL,
					"void entry is for another chip or generation than the URL");
	/* 3. signed by a manufacturer CA of --writers itself */
	cas = pubdb_trust_get(err, sizeof(err));
	if (!cas)
		return pubdb_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "%s", err);
	v = pubdb_void_verify(&pv, cas, err, sizeof(err));
	X509_STORE_free(cas);
	if (v != PUBDB_VALID)
		return pubdb_send_error(c, pubdb_verdict_status(v), NULL, "%s: %s",
					pubdb_verdict_str(v), err);
	st = pubdb_db(err, sizeof(err));
	if (!st) {
		fprintf(stderr, "chipkey-pubdb: database: %s\n", err);
		return pubdb_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
					"database unavailable");
	}
	/* 4. the generation exists and has no void entry yet: one step */
	memcpy(sv.chip_id, r->chip, sizeof(sv.chip_id));
	sv.generation = r->gen;
	snprintf(sv.reason, sizeof(sv.reason), "%s", pv.reason);
	sv.entry = u->buf;
	sv.entry_len = u->len;
	rc = store_pub_void_insert(st, &sv);
	if (rc == -ENOENT)
		return pubdb_send_error(c, MHD_HTTP_NOT_FOUND, NULL,
					"chip %s has no generation %" PRIu64, r->hex, r->gen);
	if (rc == -EEXIST)
		return pubdb_send_error(c, MHD_HTTP_CONFLICT, NULL,
					"generation %" PRIu64 " is voided already", r->gen);
	if (rc < 0)
		return pubdb_db_error(c, st);
	snprintf(loc, sizeof(loc), "/v1/chips/%s/generations/%" PRIu64 "/void", r->hex, r->gen);
	json = pubdb_json_stored(r->hex, r->gen, loc, &len);
	return pubdb_send_json(c, MHD_HTTP_CREATED, json, len, loc);
}

MHD_RESULT pubdb_void_get(struct MHD_Connection *c, struct store *st,
			  const struct pubdb_route *r)
{
	struct store_pub_void sv;
	MHD_RESULT ret;
	int rc;

	rc = store_pub_void_get(st, r->chip, r->gen, &sv);
	if (rc == -ENOENT)
		return pubdb_send_error(c, MHD_HTTP_NOT_FOUND, NULL,
					"generation %" PRIu64 " of chip %s is not voided", r->gen,
					r->hex);
	if (rc < 0)
		return pubdb_db_error(c, st);
	ret = pubdb_send_owned(c, "application/cms", &sv.entry, sv.entry_len, sv.reason);
	store_pub_void_clear(&sv);
	return ret;
}

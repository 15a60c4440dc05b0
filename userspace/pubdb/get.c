// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-pubdb: reads (GET and HEAD, anyone).  A chip's latest or a given
 * generation as JSON, its raw backup, its binary record (the signed one
 * byte for byte, else an unsigned one encoded here), or the list of its
 * generations.  A record's content type names its format:
 * application/cms (format 2) or application/vnd.chipkey.record (format 1).
 * The latest is the newest generation without a void entry; a voided
 * generation asked for by number is served, marked void.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pubdb-record.h"
#include "pubdb.h"

#define PUBDB_TYPE_CMS	"application/cms"
#define PUBDB_TYPE_V1	"application/vnd.chipkey.record"

MHD_RESULT pubdb_db_error(struct MHD_Connection *c, struct store *st)
{
	fprintf(stderr, "chipkey-pubdb: %s\n", store_error(st));
	/* the server went away during the request: the next one reconnects */
	if (store_lost(st))
		return pubdb_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
					"database unavailable");
	return pubdb_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "database error");
}

static MHD_RESULT get_generations(struct MHD_Connection *c, struct store *st,
				  const struct pubdb_route *r)
{
	struct store_generation *g;
	size_t n, len = 0;
	char *json;
	int rc;

	rc = store_pub_generations(st, r->chip, &g, &n);
	if (rc == -ENOENT)
		return pubdb_send_error(c, MHD_HTTP_NOT_FOUND, NULL, "unknown chip %s", r->hex);
	if (rc < 0)
		return pubdb_db_error(c, st);
	json = pubdb_json_generations(r->hex, g, n, &len);
	free(g);
	return pubdb_send_json(c, MHD_HTTP_OK, json, len, NULL);
}

/* The binary record of a generation stored without a signed one. */
static MHD_RESULT send_unsigned_record(struct MHD_Connection *c,
				       const struct store_pub_record *rec, const char *void_reason)
{
	struct pubdb_fields f = {
		.generation = rec->generation,
		.identity = rec->identity,
		.backup = rec->backup,
		.backup_len = rec->backup_len,
		.cert = rec->cert,
		.cert_len = rec->cert_len,
	};
	uint8_t *enc;
	size_t enc_len;
	char err[256];

	memcpy(f.chip_id, rec->chip_id, sizeof(f.chip_id));
	if (pubdb_record_build(&f, NULL, NULL, &enc, &enc_len, err, sizeof(err)) < 0)
		return pubdb_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
					"cannot encode record: %s", err);
	return pubdb_send_owned(c, PUBDB_TYPE_V1, &enc, enc_len, void_reason);
}

MHD_RESULT pubdb_handle_get(struct MHD_Connection *c, const struct pubdb_route *r)
{
	struct store_pub_record rec;
	struct store_pub_void vd = { 0 };
	const char *void_reason = NULL;
	struct store *st;
	char err[256], *json;
	MHD_RESULT ret;
	size_t len = 0;
	int rc;

	st = pubdb_db(err, sizeof(err));
	if (!st) {
		fprintf(stderr, "chipkey-pubdb: database: %s\n", err);
		return pubdb_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
					"database unavailable");
	}
	if (r->leaf == LEAF_GENERATIONS)
		return get_generations(c, st, r);
	if (r->leaf == LEAF_VOID)
		return pubdb_void_get(c, st, r);
	if (r->has_gen)
		rc = store_pub_get(st, r->chip, r->gen, &rec);
	else
		rc = store_pub_current(st, r->chip, &rec);
	if (rc == -ENOENT && r->has_gen)
		return pubdb_send_error(c, MHD_HTTP_NOT_FOUND, NULL,
					"chip %s has no generation %" PRIu64, r->hex, r->gen);
	if (rc == -ENOENT)
		return pubdb_send_error(c, MHD_HTTP_NOT_FOUND, NULL,
					"unknown chip %s, or every generation of it is voided",
					r->hex);
	if (rc < 0)
		return pubdb_db_error(c, st);
	if (r->has_gen) {
		rc = store_pub_void_get(st, r->chip, r->gen, &vd);
		if (rc < 0 && rc != -ENOENT) {
			store_pub_record_clear(&rec);
			return pubdb_db_error(c, st);
		}
		if (!rc)
			void_reason = vd.reason;
	}
	switch (r->leaf) {
	case LEAF_BACKUP:
		ret = pubdb_send_owned(c, "application/octet-stream", &rec.backup,
				       rec.backup_len, void_reason);
		break;
	case LEAF_RECORD:
		if (rec.signed_record_len)	/* as stored: format 2, or 1 (older) */
			ret = pubdb_send_owned(c, rec.signed_record[0] == 0x30 ? PUBDB_TYPE_CMS
									       : PUBDB_TYPE_V1,
					       &rec.signed_record, rec.signed_record_len,
					       void_reason);
		else
			ret = send_unsigned_record(c, &rec, void_reason);
		break;
	default:
		json = pubdb_json_record(&rec, void_reason, &len);
		ret = pubdb_send_json(c, MHD_HTTP_OK, json, len, NULL);
		break;
	}
	store_pub_record_clear(&rec);
	store_pub_void_clear(&vd);
	return ret;
}

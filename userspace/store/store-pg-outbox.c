// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, PostgreSQL backend: a factory store's issued records
 * (issued_records; published NULL = in the outbox), as store-sqlite-outbox.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-pg.h"

int pg_issued_get(struct store *st, const uint8_t *chip, struct store_pub_record *rec)
{
	struct pg_params p = { 0 };
	PGresult *r;
	int rc = 0;

	pg_p_bin(&p, chip, STORE_CHIP_ID_LEN);
	r = pg_run(st, "SELECT generation, identity, backup, cert, signed_record, created"
		   " FROM issued_records WHERE chip_id = $1", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "read issued record");
	if (PQntuples(r) == 0)
		rc = store_fail(st, -ENOENT, "no record issued to this chip");
	else if (memcpy(rec->chip_id, chip, STORE_CHIP_ID_LEN), pg_get_pub_record(r, 0, rec))
		rc = store_oom(st);
	PQclear(r);
	return rc;
}

int pg_outbox_list(struct store *st, size_t max, const uint8_t *after,
		   struct store_pub_record **recs, size_t *n)
{
	struct pg_params p = { 0 };
	struct store_pub_record *v;
	PGresult *r;
	int i, rows;

	*recs = NULL;
	*n = 0;
	pg_p_i64(&p, (int64_t)(max > 4096 ? 4096 : max));
	pg_p_bin(&p, after, after ? STORE_CHIP_ID_LEN : 0);	/* '\x' sorts first */
	r = pg_run(st, "SELECT generation, identity, backup, cert, signed_record, created, chip_id"
		   " FROM issued_records WHERE published IS NULL AND chip_id > $2"
		   " ORDER BY chip_id LIMIT $1", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "list the outbox");
	rows = PQntuples(r);
	v = calloc(rows ? (size_t)rows : 1, sizeof(*v));
	if (!v) {
		PQclear(r);
		return store_oom(st);
	}
	for (i = 0; i < rows; i++) {
		uint8_t *chip = NULL;
		size_t len = 0;

		if (pg_get_blob(r, i, 6, &chip, &len) || len != STORE_CHIP_ID_LEN ||
		    pg_get_pub_record(r, i, &v[i])) {
			free(chip);
			while (i-- > 0)
				store_pub_record_clear(&v[i]);
			free(v);
			PQclear(r);
			return store_fail(st, -EIO, "list the outbox: bad row");
		}
		memcpy(v[i].chip_id, chip, STORE_CHIP_ID_LEN);
		free(chip);
	}
	PQclear(r);
	*recs = v;
	*n = (size_t)rows;
	return 0;
}

int pg_outbox_done(struct store *st, const struct store_pub_record *recs, size_t n)
{
	int rc = pg_begin(st);

	for (size_t i = 0; !rc && i < n; i++) {
		struct pg_params p = { 0 };

		pg_p_bin(&p, recs[i].chip_id, STORE_CHIP_ID_LEN);
		pg_p_i64(&p, store_now());
		rc = pg_cmd(st, "UPDATE issued_records SET published = $2"
			    " WHERE chip_id = $1 AND published IS NULL", &p, "mark published");
	}
	if (!rc)
		rc = pg_commit_tx(st);
	pg_rollback(st);
	return rc;
}

int pg_outbox_count(struct store *st, uint64_t *n)
{
	PGresult *r = pg_run(st, "SELECT count(*) FROM issued_records WHERE published IS NULL",
			     NULL);

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "count the outbox");
	*n = (uint64_t)pg_get_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

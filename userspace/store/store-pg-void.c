// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, PostgreSQL backend: the void entries of public
 * generations (public_voids, insert-only, one per generation), under the
 * chip's advisory lock like the public records.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-pg.h"

/* 1 if @sql (chip $1, generation $2) returns a row, 0 if not, or an error. */
static int has_row(struct store *st, const char *sql, const uint8_t *chip, uint64_t gen)
{
	struct pg_params p = { 0 };
	PGresult *r;
	int n;

	pg_p_bin(&p, chip, STORE_CHIP_ID_LEN);
	pg_p_i64(&p, (int64_t)gen);
	r = pg_run(st, sql, &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "read public generation");
	n = PQntuples(r) > 0;
	PQclear(r);
	return n;
}

int pg_pub_void_insert(struct store *st, struct store_pub_void *v)
{
	struct pg_params p = { 0 };
	int rc;

	rc = pg_begin(st);
	if (!rc)
		rc = pg_lock_chip(st, v->chip_id);
	if (!rc) {
		rc = has_row(st, "SELECT 1 FROM public_records WHERE chip_id = $1"
			     " AND generation = $2", v->chip_id, v->generation);
		if (rc == 0)
			rc = store_fail(st, -ENOENT, "no such generation");
		else if (rc == 1)
			rc = has_row(st, "SELECT 1 FROM public_voids WHERE chip_id = $1"
				     " AND generation = $2", v->chip_id, v->generation);
		if (rc == 1)
			rc = store_fail(st, -EEXIST, "conflict: the generation is voided already");
	}
	if (!rc) {
		v->created = store_now();
		pg_p_bin(&p, v->chip_id, STORE_CHIP_ID_LEN);
		pg_p_i64(&p, (int64_t)v->generation);
		pg_p_text(&p, v->reason);
		pg_p_bin(&p, v->entry, v->entry_len);
		pg_p_i64(&p, v->created);
		rc = pg_cmd(st, "INSERT INTO public_voids (chip_id, generation, reason, entry,"
			    " created) VALUES ($1, $2, $3, $4, $5)", &p, "insert void entry");
	}
	if (!rc)
		rc = pg_commit_tx(st);
	pg_rollback(st);
	return rc;
}

int pg_pub_void_get(struct store *st, const uint8_t *chip, uint64_t gen,
		    struct store_pub_void *v)
{
	struct pg_params p = { 0 };
	PGresult *r;

	pg_p_bin(&p, chip, STORE_CHIP_ID_LEN);
	pg_p_i64(&p, (int64_t)gen);
	r = pg_run(st, "SELECT reason, entry, created FROM public_voids"
		   " WHERE chip_id = $1 AND generation = $2", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "read void entry");
	if (PQntuples(r) == 0) {
		PQclear(r);
		return store_fail(st, -ENOENT, "no void entry");
	}
	memcpy(v->chip_id, chip, STORE_CHIP_ID_LEN);
	v->generation = gen;
	snprintf(v->reason, sizeof(v->reason), "%s", PQgetvalue(r, 0, 0));
	v->created = pg_get_i64(r, 0, 2);
	if (pg_get_blob(r, 0, 1, &v->entry, &v->entry_len)) {
		PQclear(r);
		return store_oom(st);
	}
	PQclear(r);
	return 0;
}

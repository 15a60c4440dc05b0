// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, PostgreSQL backend: database 170, the public records
 * (public_records, insert-only; triggers refuse UPDATE, DELETE and
 * TRUNCATE).  Writers of one chip are serialized by a transaction-scoped
 * advisory lock derived from the chip ID, so "generation must be newer
 * than the latest" holds across stations.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-pg.h"

int pg_pub_row_insert(struct store *st, const struct store_pub_row *row)
{
	return pg_row_insert(st, "public_records", row);
}

int pg_row_insert(struct store *st, const char *table, const struct store_pub_row *row)
{
	struct pg_params p = { 0 };
	char sql[200];

	pg_p_bin(&p, row->chip_id, STORE_CHIP_ID_LEN);
	pg_p_i64(&p, (int64_t)row->generation);
	pg_p_text(&p, row->identity);
	pg_p_bin(&p, row->backup, row->backup_len);
	pg_p_bin(&p, row->cert, row->cert_len);
	if (row->signed_record_len)
		pg_p_bin(&p, row->signed_record, row->signed_record_len);
	else
		pg_p_null(&p);
	pg_p_i64(&p, row->created);
	snprintf(sql, sizeof(sql), "INSERT INTO %s (chip_id, generation, identity, backup,"
		 " cert, signed_record, created) VALUES ($1, $2, $3, $4, $5, $6, $7)", table);
	return pg_cmd(st, sql, &p, "insert public record");
}

int pg_pub_insert(struct store *st, struct store_pub_record *rec)
{
	struct pg_params p = { 0 };
	struct store_pub_row row;
	PGresult *r;
	int64_t latest;
	int rc;

	rc = pg_begin(st);
	if (!rc)
		rc = pg_lock_chip(st, rec->chip_id);
	if (rc)
		goto out;
	pg_p_bin(&p, rec->chip_id, STORE_CHIP_ID_LEN);
	r = pg_run(st, "SELECT max(generation) FROM public_records WHERE chip_id = $1", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pg_res_fail(st, r, "latest generation");
		goto out;
	}
	latest = pg_get_i64(r, 0, 0);
	PQclear(r);
	rc = store_check_newer(st, rec->generation, latest);
	if (rc)
		goto out;
	rec->created = store_now();
	row = STORE_PUB_ROW(rec, rec->created);
	rc = pg_pub_row_insert(st, &row);
	if (!rc)
		rc = pg_commit_tx(st);
out:
	pg_rollback(st);
	return rc;
}

int pg_pub_get(struct store *st, const uint8_t *chip, uint64_t gen,
	       struct store_pub_record *rec)
{
	struct pg_params p = { 0 };
	PGresult *r;

	pg_p_bin(&p, chip, STORE_CHIP_ID_LEN);
	if (gen == STORE_GEN_CURRENT) {
		r = pg_run(st, "SELECT generation, identity, backup, cert, signed_record, created"
			   " FROM public_records p WHERE chip_id = $1 AND NOT EXISTS (SELECT 1"
			   " FROM public_voids v WHERE v.chip_id = p.chip_id"
			   " AND v.generation = p.generation) ORDER BY generation DESC LIMIT 1", &p);
	} else if (gen) {
		pg_p_i64(&p, (int64_t)gen);
		r = pg_run(st, "SELECT generation, identity, backup, cert, signed_record, created"
			   " FROM public_records WHERE chip_id = $1 AND generation = $2", &p);
	} else {
		r = pg_run(st, "SELECT generation, identity, backup, cert, signed_record, created"
			   " FROM public_records WHERE chip_id = $1"
			   " ORDER BY generation DESC LIMIT 1", &p);
	}
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "read public record");
	if (PQntuples(r) == 0) {
		PQclear(r);
		return store_fail(st, -ENOENT, "no such record");
	}
	memcpy(rec->chip_id, chip, STORE_CHIP_ID_LEN);
	if (pg_get_pub_record(r, 0, rec)) {
		PQclear(r);
		return store_oom(st);
	}
	PQclear(r);
	return 0;
}

int pg_get_pub_record(PGresult *r, int row, struct store_pub_record *rec)
{
	rec->generation = (uint64_t)pg_get_i64(r, row, 0);
	pg_get_identity(r, row, 1, rec->identity);
	rec->created = pg_get_i64(r, row, 5);
	if (pg_get_blob(r, row, 2, &rec->backup, &rec->backup_len) ||
	    pg_get_blob(r, row, 3, &rec->cert, &rec->cert_len) ||
	    pg_get_blob(r, row, 4, &rec->signed_record, &rec->signed_record_len)) {
		store_pub_record_clear(rec);
		return -ENOMEM;
	}
	return 0;
}

int pg_pub_generations(struct store *st, const uint8_t *chip,
		       struct store_generation **list, size_t *n)
{
	struct pg_params p = { 0 };
	struct store_generation *v;
	PGresult *r;
	int i, rows;

	pg_p_bin(&p, chip, STORE_CHIP_ID_LEN);
	r = pg_run(st, "SELECT p.generation, p.created, v.reason FROM public_records p"
		   " LEFT JOIN public_voids v ON v.chip_id = p.chip_id"
		   " AND v.generation = p.generation WHERE p.chip_id = $1"
		   " ORDER BY p.generation", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "list generations");
	rows = PQntuples(r);
	if (rows == 0) {
		PQclear(r);
		return store_fail(st, -ENOENT, "no such chip");
	}
	v = calloc((size_t)rows, sizeof(*v));
	if (!v) {
		PQclear(r);
		return store_oom(st);
	}
	for (i = 0; i < rows; i++) {
		v[i].generation = (uint64_t)pg_get_i64(r, i, 0);
		v[i].created = pg_get_i64(r, i, 1);
		v[i].voided = !PQgetisnull(r, i, 2);
		snprintf(v[i].reason, sizeof(v[i].reason), "%s",
			 v[i].voided ? PQgetvalue(r, i, 2) : "");
	}
	PQclear(r);
	*list = v;
	*n = (size_t)rows;
	return 0;
}

int pg_pub_count_chips(struct store *st, uint64_t *n)
{
	PGresult *r = pg_run(st, "SELECT count(DISTINCT chip_id) FROM public_records", NULL);

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "count chips");
	*n = (uint64_t)pg_get_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

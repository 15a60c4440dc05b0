// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, SQLite backend: database 170, the public records
 * (public_records, insert-only; triggers refuse UPDATE and DELETE).  A new
 * generation must be newer than the latest of its chip: BEGIN IMMEDIATE
 * serializes the writers, so the check and the insert are one step.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-sqlite.h"

static const char sql_pub_latest_gen[] =
	"SELECT generation FROM public_records WHERE chip_id = ?1"
	" ORDER BY generation DESC LIMIT 1";
static const char sql_pub_ins[] =
	"INSERT INTO public_records (chip_id, generation, identity, backup, cert,"
	" signed_record, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_pub_get_latest[] =
	"SELECT generation, identity, backup, cert, signed_record, created"
	" FROM public_records WHERE chip_id = ?1 ORDER BY generation DESC LIMIT 1";
static const char sql_pub_get_gen[] =
	"SELECT generation, identity, backup, cert, signed_record, created"
	" FROM public_records WHERE chip_id = ?1 AND generation = ?2";
static const char sql_pub_get_current[] =
	"SELECT generation, identity, backup, cert, signed_record, created"
	" FROM public_records p WHERE chip_id = ?1 AND NOT EXISTS (SELECT 1 FROM"
	" public_voids v WHERE v.chip_id = p.chip_id AND v.generation = p.generation)"
	" ORDER BY generation DESC LIMIT 1";
static const char sql_pub_gens[] =
	"SELECT p.generation, p.created, v.reason FROM public_records p"
	" LEFT JOIN public_voids v ON v.chip_id = p.chip_id AND v.generation = p.generation"
	" WHERE p.chip_id = ?1 ORDER BY p.generation";
static const char sql_pub_count[] =
	"SELECT count(DISTINCT chip_id) FROM public_records";

/* The latest generation of @chip (0: none), or a negative error. */
static int64_t latest_gen(struct store *st, const uint8_t *chip)
{
	sqlite3_stmt *s;
	int64_t g;
	int r = sq_chip_row(st, sql_pub_latest_gen, chip, "latest generation", &s);

	if (r <= 0)
		return r;
	g = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return g;
}

int sq_pub_row_insert(struct store *st, const struct store_pub_row *row)
{
	return sq_row_insert(st, sql_pub_ins, row);
}

int sq_row_insert(struct store *st, const char *sql, const struct store_pub_row *row)
{
	sqlite3_stmt *s = sq_stmt_chip(st, sql, row->chip_id);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 2, (int64_t)row->generation);
	sqlite3_bind_text(s, 3, row->identity, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, row->backup, (int)row->backup_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, row->cert, (int)row->cert_len, SQLITE_STATIC);
	if (row->signed_record_len)
		sqlite3_bind_blob(s, 6, row->signed_record, (int)row->signed_record_len,
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_int64(s, 7, row->created);
	return sq_step_done(st, s, "insert public record");
}

int sq_col_pub_record(struct store *st, sqlite3_stmt *s, struct store_pub_record *rec)
{
	rec->generation = (uint64_t)sqlite3_column_int64(s, 0);
	sq_col_identity(s, 1, rec->identity);
	rec->created = sqlite3_column_int64(s, 5);
	if (sq_col_blob(s, 2, &rec->backup, &rec->backup_len) ||
	    sq_col_blob(s, 3, &rec->cert, &rec->cert_len) ||
	    sq_col_blob(s, 4, &rec->signed_record, &rec->signed_record_len)) {
		store_pub_record_clear(rec);
		return store_oom(st);
	}
	return 0;
}

int sq_pub_insert_batch(struct store *st, struct store_pub_record *recs, size_t n, int *rcv)
{
	struct store_pub_row row;
	int64_t latest, now = store_now();
	int rc = sq_begin(st);

	for (size_t i = 0; !rc && i < n; i++) {
		latest = latest_gen(st, recs[i].chip_id);
		if (latest < 0) {
			rc = (int)latest;
			break;
		}
		rcv[i] = store_check_newer(st, recs[i].generation, latest);
		if (rcv[i])
			continue;
		recs[i].created = now;
		row = STORE_PUB_ROW(&recs[i], now);
		rc = sq_pub_row_insert(st, &row);
	}
	if (!rc)
		rc = sq_commit_tx(st);
	if (rc)
		sq_rollback(st);
	return rc;
}

/* One record: the batch of one (the check and the insert in one write
 * transaction, BEGIN IMMEDIATE). */
int sq_pub_insert(struct store *st, struct store_pub_record *rec)
{
	int one = 0, rc = sq_pub_insert_batch(st, rec, 1, &one);

	return rc ? rc : one;
}

int sq_pub_get(struct store *st, const uint8_t *chip, uint64_t gen,
	       struct store_pub_record *rec)
{
	sqlite3_stmt *s = sq_stmt_chip(st, gen == STORE_GEN_CURRENT ? sql_pub_get_current :
				       gen ? sql_pub_get_gen : sql_pub_get_latest, chip);
	int r, rc = 0;

	if (!s)
		return -EIO;
	if (gen && gen != STORE_GEN_CURRENT)
		sqlite3_bind_int64(s, 2, (int64_t)gen);
	r = sqlite3_step(s);
	if (r == SQLITE_DONE) {
		rc = store_fail(st, -ENOENT, "no such record");
	} else if (r != SQLITE_ROW) {
		rc = sq_db_fail(st, "read public record");
	} else {
		memcpy(rec->chip_id, chip, STORE_CHIP_ID_LEN);
		rc = sq_col_pub_record(st, s, rec);
	}
	sqlite3_reset(s);
	return rc;
}

int sq_pub_generations(struct store *st, const uint8_t *chip,
		       struct store_generation **list, size_t *n)
{
	sqlite3_stmt *s = sq_stmt_chip(st, sql_pub_gens, chip);
	struct store_generation *v = NULL;
	size_t cnt = 0, cap = 0;
	int r;

	if (!s)
		return -EIO;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			struct store_generation *nv;

			cap = cap ? 2 * cap : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				sqlite3_reset(s);
				return store_oom(st);
			}
			v = nv;
		}
		v[cnt].generation = (uint64_t)sqlite3_column_int64(s, 0);
		v[cnt].created = sqlite3_column_int64(s, 1);
		v[cnt].voided = sqlite3_column_type(s, 2) != SQLITE_NULL;
		snprintf(v[cnt].reason, sizeof(v[cnt].reason), "%s",
			 v[cnt].voided ? (const char *)sqlite3_column_text(s, 2) : "");
		cnt++;
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE) {
		free(v);
		return sq_db_fail(st, "list generations");
	}
	if (!cnt)
		return store_fail(st, -ENOENT, "no such chip");
	*list = v;
	*n = cnt;
	return 0;
}

int sq_pub_count_chips(struct store *st, uint64_t *n)
{
	return sq_count(st, sql_pub_count, n, 1);
}

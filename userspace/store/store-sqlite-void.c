// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, SQLite backend: the void entries of public generations
 * (public_voids, insert-only, one per generation).  BEGIN IMMEDIATE makes
 * "the generation exists and has no void yet" and the insert one step.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-sqlite.h"

static const char sql_gen_exists[] =
	"SELECT 1 FROM public_records WHERE chip_id = ?1 AND generation = ?2";
static const char sql_void_get[] =
	"SELECT reason, entry, created FROM public_voids WHERE chip_id = ?1 AND generation = ?2";
static const char sql_void_ins[] =
	"INSERT INTO public_voids (chip_id, generation, reason, entry, created)"
	" VALUES (?1, ?2, ?3, ?4, ?5)";

/* 1 if the statement (chip, generation) has a row, 0 if not, or an error. */
static int has_row(struct store *st, const char *sql, const uint8_t *chip, uint64_t gen)
{
	sqlite3_stmt *s = sq_stmt_chip(st, sql, chip);
	int r;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 2, (int64_t)gen);
	r = sqlite3_step(s);
	sqlite3_reset(s);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : sq_db_fail(st, "read public generation");
}

int sq_pub_void_insert(struct store *st, struct store_pub_void *v)
{
	sqlite3_stmt *s;
	int rc;

	rc = sq_begin(st);
	if (rc)
		return rc;
	rc = has_row(st, sql_gen_exists, v->chip_id, v->generation);
	if (rc == 0)
		rc = store_fail(st, -ENOENT, "no such generation");
	else if (rc == 1)
		rc = has_row(st, sql_void_get, v->chip_id, v->generation);
	if (rc == 1)
		rc = store_fail(st, -EEXIST, "conflict: the generation is voided already");
	if (!rc) {
		s = sq_stmt_chip(st, sql_void_ins, v->chip_id);
		if (!s) {
			rc = -EIO;
		} else {
			v->created = store_now();
			sqlite3_bind_int64(s, 2, (int64_t)v->generation);
			sqlite3_bind_text(s, 3, v->reason, -1, SQLITE_STATIC);
			sqlite3_bind_blob(s, 4, v->entry, (int)v->entry_len, SQLITE_STATIC);
			sqlite3_bind_int64(s, 5, v->created);
			rc = sq_step_done(st, s, "insert void entry");
		}
	}
	if (!rc)
		rc = sq_commit_tx(st);
	if (rc)
		sq_rollback(st);
	return rc;
}

int sq_pub_void_get(struct store *st, const uint8_t *chip, uint64_t gen,
		    struct store_pub_void *v)
{
	sqlite3_stmt *s = sq_stmt_chip(st, sql_void_get, chip);
	int r, rc = 0;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 2, (int64_t)gen);
	r = sqlite3_step(s);
	if (r == SQLITE_DONE) {
		rc = store_fail(st, -ENOENT, "no void entry");
	} else if (r != SQLITE_ROW) {
		rc = sq_db_fail(st, "read void entry");
	} else {
		memcpy(v->chip_id, chip, STORE_CHIP_ID_LEN);
		v->generation = gen;
		snprintf(v->reason, sizeof(v->reason), "%s",
			 (const char *)sqlite3_column_text(s, 0));
		v->created = sqlite3_column_int64(s, 2);
		if (sq_col_blob(s, 1, &v->entry, &v->entry_len))
			rc = store_oom(st);
	}
	sqlite3_reset(s);
	return rc;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, SQLite backend: the statement layer its parts share.
 * Errors as negative errno codes, the per-connection cache of prepared
 * statements, transactions, and reading columns (store-sqlite.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store-sqlite.h"

int sq_db_fail(struct store *st, const char *what)
{
	int code = sqlite3_extended_errcode(SQ(st)->db) & 0xff;
	int rc = code == SQLITE_BUSY || code == SQLITE_LOCKED ? -EBUSY :
		 code == SQLITE_FULL ? -ENOSPC : -EIO;

	return store_fail(st, rc, "sqlite: %s: %s", what, sqlite3_errmsg(SQ(st)->db));
}

sqlite3_stmt *sq_stmt(struct store *st, const char *sql)
{
	struct sq *q = SQ(st);
	int i;

	for (i = 0; i < SQ_NSTMT && q->cache[i].sql; i++) {
		if (q->cache[i].sql == sql) {
			sqlite3_reset(q->cache[i].stmt);
			sqlite3_clear_bindings(q->cache[i].stmt);
			return q->cache[i].stmt;
		}
	}
	if (i == SQ_NSTMT) {
		store_fail(st, -EIO, "sqlite: statement cache full");
		return NULL;
	}
	if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &q->cache[i].stmt, NULL) != SQLITE_OK) {
		sq_db_fail(st, "prepare");
		return NULL;
	}
	q->cache[i].sql = sql;
	return q->cache[i].stmt;
}

sqlite3_stmt *sq_stmt_chip(struct store *st, const char *sql, const uint8_t *chip)
{
	sqlite3_stmt *s = sq_stmt(st, sql);

	if (s)
		sqlite3_bind_blob(s, 1, chip, STORE_CHIP_ID_LEN, SQLITE_STATIC);
	return s;
}

void sq_stmt_cache_free(struct sq *q)
{
	int i;

	for (i = 0; i < SQ_NSTMT; i++)
		if (q->cache[i].stmt)
			sqlite3_finalize(q->cache[i].stmt);
}

int sq_exec(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(SQ(st)->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = sq_db_fail(st, msg ? msg : sql);

		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

int sq_begin(struct store *st)
{
	return sq_exec(st, "BEGIN IMMEDIATE");
}

int sq_commit_tx(struct store *st)
{
	return sq_exec(st, "COMMIT");
}

void sq_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(SQ(st)->db))
		sqlite3_exec(SQ(st)->db, "ROLLBACK", NULL, NULL, NULL);
}

int sq_step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int r = sqlite3_step(s);

	sqlite3_clear_bindings(s);
	sqlite3_reset(s);
	return r == SQLITE_DONE ? 0 : sq_db_fail(st, what);
}

int sq_chip_row(struct store *st, const char *sql, const uint8_t *chip,
		const char *what, sqlite3_stmt **out)
{
	sqlite3_stmt *s = sq_stmt_chip(st, sql, chip);
	int r;

	if (!s)
		return -EIO;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*out = s;
		return 1;
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? 0 : sq_db_fail(st, what);
}

int sq_chip_take(struct store *st, const char *sql, const uint8_t *chip,
		 int none_rc, const char *none, const char *what, sqlite3_stmt **out)
{
	sqlite3_stmt *s = sq_stmt_chip(st, sql, chip);
	int r;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 2, store_now());
	r = sqlite3_step(s);
	if (r == SQLITE_DONE) {
		sqlite3_reset(s);
		return store_fail(st, none_rc, "%s", none);
	}
	if (r != SQLITE_ROW) {
		sq_db_fail(st, what);
		sqlite3_reset(s);
		return -EIO;
	}
	*out = s;
	return 0;
}

int sq_count(struct store *st, const char *sql, uint64_t *out, int nout)
{
	sqlite3_stmt *s = sq_stmt(st, sql);
	int i;

	if (!s)
		return -EIO;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return sq_db_fail(st, "count");
	}
	for (i = 0; i < nout; i++)
		out[i] = (uint64_t)sqlite3_column_int64(s, i);
	sqlite3_reset(s);
	return 0;
}

int sq_col_blob(sqlite3_stmt *s, int col, uint8_t **out, size_t *len)
{
	const void *p = sqlite3_column_blob(s, col);
	int n = sqlite3_column_bytes(s, col);

	*out = NULL;
	*len = 0;
	if (!p || n <= 0)
		return 0;
	*out = store_memdup(p, (size_t)n);
	if (!*out)
		return -ENOMEM;
	*len = (size_t)n;
	return 0;
}

void sq_col_identity(sqlite3_stmt *s, int col, char *out)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(out, STORE_IDENTITY_LEN + 1, "%s", t ? (const char *)t : "");
}

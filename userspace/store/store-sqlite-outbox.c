// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, SQLite backend: a factory store's issued records
 * (issued_records): the record the SPP issued to each chip, written by the
 * provisioning commit; published NULL = in the outbox, to be copied to the
 * public store (store-outbox.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-sqlite.h"

const char sq_sql_issued_same[] =
	"SELECT generation, backup FROM issued_records WHERE chip_id = ?1";
static const char sql_issued_ins[] =
	"INSERT INTO issued_records (chip_id, generation, identity, backup, cert,"
	" signed_record, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_issued_get[] =
	"SELECT generation, identity, backup, cert, signed_record, created"
	" FROM issued_records WHERE chip_id = ?1";
static const char sql_outbox_list[] =
	"SELECT generation, identity, backup, cert, signed_record, created, chip_id"
	" FROM issued_records WHERE published IS NULL AND chip_id > ?2"
	" ORDER BY chip_id LIMIT ?1";
static const char sql_outbox_done[] =
	"UPDATE issued_records SET published = ?2"
	" WHERE chip_id = ?1 AND published IS NULL";
static const char sql_outbox_count[] =
	"SELECT count(*) FROM issued_records WHERE published IS NULL";

int sq_issued_row_insert(struct store *st, const struct store_pub_row *row)
{
	return sq_row_insert(st, sql_issued_ins, row);
}

int sq_issued_get(struct store *st, const uint8_t *chip, struct store_pub_record *rec)
{
	sqlite3_stmt *s;
	int r = sq_chip_row(st, sql_issued_get, chip, "read issued record", &s);

	if (r == 0)
		return store_fail(st, -ENOENT, "no record issued to this chip");
	if (r < 0)
		return r;
	memcpy(rec->chip_id, chip, STORE_CHIP_ID_LEN);
	r = sq_col_pub_record(st, s, rec);
	sqlite3_reset(s);
	return r;
}

int sq_outbox_list(struct store *st, size_t max, const uint8_t *after,
		   struct store_pub_record **recs, size_t *n)
{
	sqlite3_stmt *s = sq_stmt(st, sql_outbox_list);
	struct store_pub_record *v;
	size_t cnt = 0;
	int r = SQLITE_DONE, rc = 0;

	*recs = NULL;
	*n = 0;
	if (!s)
		return -EIO;
	if (max > 4096)
		max = 4096;
	v = calloc(max, sizeof(*v));
	if (!v)
		return store_oom(st);
	sqlite3_bind_int64(s, 1, (int64_t)max);
	/* the empty blob sorts before every chip ID */
	sqlite3_bind_blob(s, 2, after ? (const void *)after : "", after ? STORE_CHIP_ID_LEN : 0,
			  SQLITE_TRANSIENT);
	while (cnt < max && (r = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 6) != STORE_CHIP_ID_LEN) {
			rc = store_fail(st, -EIO, "issued record with a bad chip ID");
			break;
		}
		memcpy(v[cnt].chip_id, sqlite3_column_blob(s, 6), STORE_CHIP_ID_LEN);
		rc = sq_col_pub_record(st, s, &v[cnt]);
		if (rc)
			break;
		cnt++;
	}
	if (!rc && cnt < max && r != SQLITE_DONE)
		rc = sq_db_fail(st, "list the outbox");
	sqlite3_reset(s);
	if (rc) {
		for (size_t i = 0; i < cnt; i++)
			store_pub_record_clear(&v[i]);
		free(v);
		return rc;
	}
	*recs = v;
	*n = cnt;
	return 0;
}

struct done_arg {
	const struct store_pub_record *recs;
	size_t n;
};

static int done_body(struct store *st, void *p)
{
	const struct done_arg *a = p;
	int64_t now = store_now();

	for (size_t i = 0; i < a->n; i++) {
		sqlite3_stmt *s = sq_stmt_chip(st, sql_outbox_done, a->recs[i].chip_id);

		if (!s)
			return -EIO;
		sqlite3_bind_int64(s, 2, now);
		if (sq_step_done(st, s, "mark published"))
			return -EIO;
	}
	return 0;
}

/* One transaction of the group commit (store-sqlite-group.c). */
int sq_outbox_done(struct store *st, const struct store_pub_record *recs, size_t n)
{
	struct done_arg a = { recs, n };

	return sq_group_write(st, done_body, &a, false);
}

int sq_outbox_count(struct store *st, uint64_t *n)
{
	return sq_count(st, sql_outbox_count, n, 1);
}

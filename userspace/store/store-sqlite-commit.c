// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, SQLite backend: the provisioning commit (one transaction
 * of the group commit over databases 140, 160 and 170, or on a factory
 * store 140, 160 and the issued record, the outbox) and database 160,
 * the manufacturer's secret record of each device (device_secrets).
 */
#include <errno.h>
#include <string.h>

#include "store-sqlite.h"
#include "common/crashpoint.h"

static const char sql_secret_get[] =
	"SELECT identity, generation, created, data FROM device_secrets WHERE chip_id = ?1";
static const char sql_pub_same[] =
	"SELECT generation, backup FROM public_records WHERE chip_id = ?1"
	" ORDER BY generation DESC LIMIT 1";
static const char sql_secret_ins[] =
	"INSERT INTO device_secrets (chip_id, identity, generation, created, data)"
	" VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_id_issue[] =
	"UPDATE identity_pool SET state = 2, issued_at = ?3"
	" WHERE identity = ?1 AND chip_id = ?2 AND state = 1";
static const char sql_kp_delete[] =
	"DELETE FROM keypair_pool WHERE chip_id = ?1";

int sq_secret_get(struct store *st, const uint8_t *chip, struct store_secret_record *rec)
{
	sqlite3_stmt *s;
	int r = sq_chip_row(st, sql_secret_get, chip, "read secret record", &s);

	if (r == 0)
		return store_fail(st, -ENOENT, "no such device");
	if (r < 0)
		return r;
	memcpy(rec->chip_id, chip, STORE_CHIP_ID_LEN);
	sq_col_identity(s, 0, rec->identity);
	rec->generation = (uint64_t)sqlite3_column_int64(s, 1);
	rec->created = sqlite3_column_int64(s, 2);
	r = sq_col_blob(s, 3, &rec->data, &rec->data_len) ? store_oom(st) : 0;
	sqlite3_reset(s);
	return r;
}

/* The steps of docs/databases.md, inside a group transaction
 * (sq_group_write): a failure rolls back to the request's savepoint. */
static int commit_body(struct store *st, void *p)
{
	const struct store_commit *c = p;
	struct store_pub_row row;
	sqlite3_stmt *s;
	int64_t now = store_now();
	bool factory = st->kind == STORE_FACTORY;
	int r;

	/* 1. already committed?  (a factory store: its issued record) */
	r = sq_chip_row(st, factory ? sq_sql_issued_same : sql_pub_same, c->chip_id,
			"look up public record", &s);
	if (r > 0) {
		r = store_check_recommit(st, c, (uint64_t)sqlite3_column_int64(s, 0),
					 sqlite3_column_blob(s, 1),
					 (size_t)sqlite3_column_bytes(s, 1));
		sqlite3_reset(s);
		return r;
	}
	if (r < 0)
		return -EIO;

	/* 2. identity: reserved for this very chip -> issued */
	s = sq_stmt(st, sql_id_issue);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, c->identity, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, c->chip_id, STORE_CHIP_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	if (sq_step_done(st, s, "issue identity"))
		return -EIO;
	if (sqlite3_changes(SQ(st)->db) != 1)
		return store_fail(st, -EPERM, "identity is not reserved for this chip");

	/* 3. public record (170; a factory store: into its outbox) */
	row = STORE_PUB_ROW(c, now);
	if (factory ? sq_issued_row_insert(st, &row) : sq_pub_row_insert(st, &row))
		return -EIO;

	/* 4. secret record (160) */
	s = sq_stmt_chip(st, sql_secret_ins, c->chip_id);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 2, c->identity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)c->generation);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_blob(s, 5, c->secret ? (const void *)c->secret : "", (int)c->secret_len,
			  SQLITE_STATIC);
	if (sq_step_done(st, s, "insert secret record"))
		return -EIO;

	/* 5. the used pre-generated key pair (140) */
	if (c->used_pregenerated_key) {
		s = sq_stmt_chip(st, sql_kp_delete, c->chip_id);
		if (!s || sq_step_done(st, s, "delete key pair"))
			return -EIO;
		if (sqlite3_changes(SQ(st)->db) != 1)
			return store_fail(st, -ESTALE,
					  "no pre-generated key pair reserved for this chip");
	}
	CK_CRASH_POINT("store:commit-mid");
	return 0;
}

int sq_commit(struct store *st, const struct store_commit *c)
{
	int rc = sq_group_write(st, commit_body, (void *)c, true);

	return rc < 0 && rc != -EEXIST && rc != -EPERM && rc != -ESTALE && rc != -EBUSY ?
		-EIO : rc;
}

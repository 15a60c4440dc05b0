// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, SQLite backend (embedded default): the connection.  Open
 * and close, the schema (schema-sqlite.sql) and its version, the migration
 * of older files, read tuning, and the ops table; the operations are in
 * store-sqlite-{pool,pub,commit}.c (see store-sqlite.h).
 *
 * A file is a factory store (140, 160, issued_records), a public store
 * (170) or, the layout of schema 5 and before, a single-file store of all
 * of them; PRAGMA application_id records which (kind_check()).
 * journal_mode=WAL, synchronous=FULL (every commit is durable before
 * it returns), busy timeout.  Write transactions are BEGIN IMMEDIATE so
 * writers are serialized by SQLite's write lock: a claim cannot race
 * another claim, in this process or any other.  Within a process, claims
 * and provisioning commits are group-committed (store-sqlite-group.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store-sqlite.h"
#include "store/schema-sqlite.sql.h"
#include "store/schema-sqlite-public.sql.h"
#include "store/migrate-2-3-sqlite.sql.h"

#define BUSY_TIMEOUT_MS 15000
#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The schema version of the open file: PRAGMA user_version, except that
 * version 1 left it 0 (a file with p170_records but no version is schema
 * 1), and 0 means a file without our tables.
 */
static int schema_version(struct store *st, int *version)
{
	sqlite3_stmt *s;
	int v1, r;

	if (sqlite3_prepare_v2(SQ(st)->db,
			       "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table'"
			       " AND name = 'p170_records'), user_version FROM pragma_user_version",
			       -1, &s, NULL) != SQLITE_OK)
		return sq_db_fail(st, "read schema version");
	r = sqlite3_step(s);
	v1 = sqlite3_column_int(s, 0);
	*version = sqlite3_column_int(s, 1);
	sqlite3_finalize(s);
	if (r != SQLITE_ROW)
		return sq_db_fail(st, "read schema version");
	if (*version == 0 && v1)
		*version = 1;
	return 0;
}

/* PRAGMA application_id of each kind of file ("CKF1", "CKP1"; 0: single) */
static const int kind_app_id[] = {
	[STORE_SINGLE] = 0, [STORE_FACTORY] = 0x434b4631, [STORE_PUBLIC] = 0x434b5031,
};

static const char sql_kind[] =
	"SELECT (SELECT application_id FROM pragma_application_id),"
	" (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
	"  ('identity_pool', 'keypair_pool', 'chip_batch', 'device_secrets', 'issued_records',"
	"   't140_identities', 't140_keypairs', 's160_devices')),"
	" (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
	"  ('public_records', 'public_voids', 'p170_records'))";

/*
 * A file holds the tables of its kind only: a public open refuses a file
 * with any factory table (-EPERM: chipkey-pubdb pointed at the factory's
 * file), a factory open one with public tables (-EPROTO: a single file of
 * schema 5 and before, to split), and a file stamped with another kind is
 * refused (-EPROTO).  A file without tables gets the kind of this open.
 */
static int kind_check(struct store *st, const char *path)
{
	const char *what = store_kind_name(st->kind);
	sqlite3_stmt *s;
	int app, nfac, npub, r;

	if (sqlite3_prepare_v2(SQ(st)->db, sql_kind, -1, &s, NULL) != SQLITE_OK)
		return sq_db_fail(st, "read the kind of the database");
	r = sqlite3_step(s);
	app = sqlite3_column_int(s, 0);
	nfac = sqlite3_column_int(s, 1);
	npub = sqlite3_column_int(s, 2);
	sqlite3_finalize(s);
	if (r != SQLITE_ROW)
		return sq_db_fail(st, "read the kind of the database");
	if (st->kind == STORE_PUBLIC && nfac)
		return store_fail(st, -EPERM,
				  "%s holds the factory's tables (temporary and secret databases):"
				  " a public store holds the public tables only; give the public"
				  " database (docs/databases.md, \"Databases apart\")", path);
	if (st->kind == STORE_FACTORY && npub && !app)
		return store_fail(st, -EPROTO,
				  "%s holds the public tables too: a single-file database of schema"
				  " 5 or older; split it first (docs/databases.md,"
				  " \"Migration from one file\")", path);
	if ((nfac || npub) && app != kind_app_id[st->kind]) {
		for (size_t k = 0; k < sizeof(kind_app_id) / sizeof(kind_app_id[0]); k++)
			if (app == kind_app_id[k])
				return store_fail(st, -EPROTO, "%s is a %s database, not a %s one"
						  " (docs/databases.md, \"Databases apart\")",
						  path, store_kind_name((enum store_kind)k), what);
		return store_fail(st, -EPROTO, "%s is not a chipkey database (application_id %#x)",
				  path, (unsigned)app);
	}
	return 0;
}

/* The schema files of this kind of store. */
static int schema_create(struct store *st)
{
	char sql[64];
	int rc = 0;

	if (st->kind != STORE_PUBLIC)
		rc = sq_exec(st, schema_sqlite_sql);
	if (!rc && st->kind != STORE_FACTORY)
		rc = sq_exec(st, schema_sqlite_public_sql);
	if (!rc && kind_app_id[st->kind]) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", kind_app_id[st->kind]);
		rc = sq_exec(st, sql);
	}
	return rc;
}

/*
 * Inside the open's write transaction: refuses a file of another kind or
 * of a version this code cannot open, migrates an older one, creates what
 * is missing (every statement of the schema is IF NOT EXISTS) and stamps
 * the version.
 */
static int schema_setup(struct store *st, const char *path)
{
	int ver = 0, step, rc;

	rc = kind_check(st, path);
	if (!rc)
		rc = schema_version(st, &ver);
	if (rc)
		return rc;
	step = store_schema_step(st, path, ver);
	if (step < 0)
		return step;
	if (step == STORE_SCHEMA_MIGRATE && ver < STORE_SCHEMA_RENAMED) {
		rc = sq_exec(st, migrate_2_3_sqlite_sql);
		if (rc) {
			char why[sizeof(st->err)];

			snprintf(why, sizeof(why), "%s", st->err);
			return store_fail(st, rc, "%s: migrating schema %d to %d: %.160s",
					  path, ver, STORE_SCHEMA_RENAMED, why);
		}
	}
	rc = schema_create(st);
	if (!rc && step != STORE_SCHEMA_CURRENT)
		rc = sq_exec(st, "PRAGMA user_version = " STR(STORE_SCHEMA_VERSION));
	return rc;
}

static void sq_close(struct store *st)
{
	struct sq *q = SQ(st);

	if (!q)
		return;
	sq_stmt_cache_free(q);
	sqlite3_close(q->db);
	sq_group_leave(st);
	free(q);
	st->impl = NULL;
}

/* @target: what follows "sqlite:": a path, or //host/path (host ignored). */
static int sq_open(struct store *st, const char *target)
{
	const char *path = target;
	struct sq *q;
	int rc, tries;

	if (strncmp(path, "//", 2) == 0) {
		path = strchr(path + 2, '/');
		if (!path)
			path = "";
	}
	if (!*path)
		return store_fail(st, -EINVAL, "sqlite: empty path");
	q = calloc(1, sizeof(*q));
	if (!q)
		return store_oom(st);
	st->impl = q;
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return store_fail(st, -EIO, "sqlite: cannot open %s: %s", path,
				  q->db ? sqlite3_errmsg(q->db) : "out of memory");
	sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(q->db, 1);
	/* Schema setup may meet another process doing the same: retry. */
	for (tries = 0;; tries++) {
		rc = sq_exec(st, "PRAGMA journal_mode=WAL");
		if (!rc)
			rc = sq_exec(st, "PRAGMA synchronous=FULL");
		if (!rc)
			rc = sq_exec(st, "PRAGMA foreign_keys=ON");
		if (!rc)
			rc = sq_begin(st);
		if (!rc) {
			rc = schema_setup(st, path);
			if (!rc)
				rc = sq_commit_tx(st);
			if (rc)
				sq_rollback(st);
		}
		if (rc != -EBUSY || tries >= 20)
			break;
		usleep(50000);
	}
	if (!rc)
		sq_group_join(st);
	return rc;
}

static int sq_tune_reads(struct store *st, uint64_t mmap_bytes, uint64_t cache_kib)
{
	char sql[96];
	int rc;

	/* SQLite caps mmap_size at its compile-time SQLITE_MAX_MMAP_SIZE
	 * (Debian: 2 GB); pages beyond the map are read with pread(). */
	snprintf(sql, sizeof(sql), "PRAGMA mmap_size = %llu", (unsigned long long)mmap_bytes);
	rc = sq_exec(st, sql);
	if (!rc && cache_kib) {
		snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%llu",
			 (unsigned long long)cache_kib);
		rc = sq_exec(st, sql);
	}
	return rc;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.tune_reads = sq_tune_reads,
	.load_identities = sq_load_identities,
	.claim_identity = sq_claim_identity,
	.identity_counts = sq_identity_counts,
	.add_keypair = sq_add_keypair,
	.claim_keypair = sq_claim_keypair,
	.claim_both = sq_claim_both,
	.keypair_counts = sq_keypair_counts,
	.pub_insert = sq_pub_insert,
	.pub_insert_batch = sq_pub_insert_batch,
	.pub_get = sq_pub_get,
	.pub_void_insert = sq_pub_void_insert,
	.pub_void_get = sq_pub_void_get,
	.pub_generations = sq_pub_generations,
	.pub_count_chips = sq_pub_count_chips,
	.secret_get = sq_secret_get,
	.commit = sq_commit,
	.load_chips = sq_load_chips,
	.chip_get = sq_chip_get,
	.chip_count = sq_chip_count,
	.issued_get = sq_issued_get,
	.outbox_list = sq_outbox_list,
	.outbox_done = sq_outbox_done,
	.outbox_count = sq_outbox_count,
};

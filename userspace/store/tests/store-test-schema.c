// SPDX-License-Identifier: GPL-2.0
/*
 * Store tests of schema versions: a new database is stamped with the
 * current version, databases of versions this code cannot open are
 * refused, and a database made by the code of schema 2 or 3 (the fixtures
 * in tests/fixtures/: old table names, or schema 3 without chip_batch,
 * rows in every table) is migrated in one transaction: every row kept
 * under the new names, the triggers and constraints still in force, the
 * same schema as a new database, and the store works on it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"
#include "store-test.h"

#define NEW_VERSION 5

/* The schema version a database says it has (as the store reads it):
 * SQLite's user_version (0 with p170_records: 1); on PostgreSQL the row of
 * schema_version, 2 without it but with p170_records, else 0. */
static long long db_version(struct raw *r)
{
	if (!raw_is_pg(r)) {
		long long v = raw_int(r, "PRAGMA user_version");

		return v == 0 && raw_has_table(r, "p170_records") == 1 ? 1 : v;
	}
	if (raw_has_table(r, "schema_version") == 1)
		return raw_int(r, "SELECT version FROM schema_version");
	return raw_has_table(r, "p170_records") == 1 ? 2 : 0;
}

static int open_fails(const char *u, int want, const char *needle, char *err, size_t len)
{
	struct store *st;
	int rc;

	err[0] = '\0';
	rc = store_open(u, &st, err, len);
	if (!rc)
		store_close(st);
	return rc == want && !st && strstr(err, needle);
}

/* SQLite: files of another schema version are refused with a clear
 * message; a new file is stamped with the current one. */
void test_schema_version(void)
{
	static const struct {
		const char *sql, *what, *want;
	} old[] = {
		{ "CREATE TABLE p170_records (chip_id BLOB NOT NULL, generation INTEGER NOT NULL,"
		  " identity TEXT NOT NULL, backup BLOB NOT NULL, cert BLOB NOT NULL,"
		  " signed_record BLOB, created INTEGER NOT NULL,"
		  " PRIMARY KEY (chip_id, generation)) WITHOUT ROWID;",
		  "schema 1 (WITHOUT ROWID)", "has database schema 1," },
		{ "PRAGMA user_version = 6;", "a newer schema (6)", "has database schema 6, newer" },
	};
	struct store *st;
	struct raw *r;
	char path[600], err[256];
	size_t i;

	if (strncmp(url, "sqlite:", 7))
		return;
	for (i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		snprintf(path, sizeof(path), "%s.v%zu", url, i);
		unlink(path + 7);
		r = raw_open(path);
		if (!r || raw_exec(r, old[i].sql, err, sizeof(err))) {
			tap_ok(0, "schema: cannot make an old file %s", path);
			raw_close(r);
			continue;
		}
		raw_close(r);
		tap_ok(open_fails(path, -EPROTO, old[i].want, err, sizeof(err)) &&
		       (i || strstr(err, "recreate the file")),
		       "schema: %s refused (%s)", old[i].what, err);
		unlink(path + 7);
	}
	st = open_or_die();
	store_close(st);
	r = raw_open(url);
	tap_ok(r && db_version(r) == NEW_VERSION,
	       "schema: the store's file has user_version %d", NEW_VERSION);
	raw_close(r);
}

/* ---- migration of a schema-2 database ---- */

static const char *const old_tables[] = {
	"t140_identities", "t140_keypairs", "s160_devices", "p170_records",
};
static const char *const new_tables[] = {
	"identity_pool", "keypair_pool", "device_secrets", "public_records",
};
#define NTABLES 4

/* A trigger of schema 2 dropped (the second object the migration drops, so
 * the first DROP ran before the migration failed), and put back. */
static const struct {
	const char *drop, *kept, *restore;
} break_v2[2] = {
	{ "DROP TRIGGER p170_records_no_delete",
	  "SELECT count(*) FROM sqlite_master WHERE name = 'p170_records_no_update'",
	  "CREATE TRIGGER p170_records_no_delete BEFORE DELETE ON p170_records"
	  " BEGIN SELECT RAISE(ABORT, 'p170_records is insert-only'); END;" },
	{ "DROP TRIGGER p170_records_no_truncate ON p170_records",
	  "SELECT count(*) FROM pg_trigger WHERE tgname = 'p170_records_no_change'",
	  "CREATE TRIGGER p170_records_no_truncate BEFORE TRUNCATE ON p170_records"
	  " FOR EACH STATEMENT EXECUTE FUNCTION p170_insert_only()" },
};

static int count_tables(struct raw *r, const char *const *names)
{
	int i, n = 0;

	for (i = 0; i < NTABLES; i++)
		n += raw_has_table(r, names[i]) == 1;
	return n;
}

static char *table_rows(struct raw *r, const char *table)
{
	char sql[100];

	snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY 1, 2", table);
	return raw_rows(r, sql);
}

static int count_lines(const char *s)
{
	int n = 0;

	while (s && (s = strchr(s, '\n')))
		n++, s++;
	return n;
}

/* The schema version of the fixture under test (2 or 3) and its tables. */
static long long from_version;
#define FROM_TABLES (from_version == 2 ? old_tables : new_tables)

/* Loads the fixture into the empty database; the rows of its tables in
 * before[] (NULL on failure). */
static int load_fixture(const char *fixture, char *before[NTABLES])
{
	uint8_t *sql = NULL, *text = NULL;
	size_t len = 0;
	struct raw *r = raw_open(url);
	char err[256] = "";
	int i, ok;

	ok = r && ck_file_read(fixture, &sql, &len, 1 << 20) == 0 && len <= 1 << 20 &&
	     (text = realloc(sql, len + 1));
	if (ok) {
		sql = text;
		sql[len] = '\0';
		ok = raw_exec(r, (char *)sql, err, sizeof(err)) == 0;
		from_version = ok ? db_version(r) : 0;
		ok = ok && (from_version == 2 || from_version == 3) &&
		     raw_has_table(r, "chip_batch") == 0;
	}
	for (i = 0; i < NTABLES; i++) {
		before[i] = ok ? table_rows(r, FROM_TABLES[i]) : NULL;
		ok = ok && count_lines(before[i]) > 0;
	}
	free(sql);
	raw_close(r);
	tap_ok(ok, "migrate: %s loaded: schema %lld, rows in every table%s%s", fixture,
	       from_version, *err ? ": " : "", err);
	if (!ok)
		for (i = 0; i < NTABLES; i++)
			free(before[i]);
	return ok;
}

/* A migration that fails half-way leaves the database as it was. */
static void test_migrate_atomic(void)
{
	struct raw *r = raw_open(url);
	int pg = r && raw_is_pg(r), ok;
	char err[256];

	ok = r && raw_exec(r, break_v2[pg].drop, NULL, 0) == 0;
	ok = ok && open_fails(url, -EIO, "migrat", err, sizeof(err));
	tap_ok(ok && db_version(r) == 2 && count_tables(r, old_tables) == NTABLES &&
	       count_tables(r, new_tables) == 0 && raw_int(r, break_v2[pg].kept) == 1,
	       "migrate: a database that is not exactly schema 2 is refused, unchanged (%s)",
	       err);
	if (r)
		raw_exec(r, break_v2[pg].restore, NULL, 0);
	raw_close(r);
}

/* Several processes open the old database at once: one migrates, every
 * open succeeds. */
static void test_migrate_concurrent(void)
{
	pid_t pid[4];
	int i, good = 0, status;

	for (i = 0; i < 4; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			struct store *st;
			char err[256];
			int rc = store_open(url, &st, err, sizeof(err));

			if (rc)
				tap_diag("open: %s", err);
			else
				store_close(st);
			_exit(rc ? 1 : 0);
		}
	}
	for (i = 0; i < 4; i++)
		if (pid[i] > 0 && waitpid(pid[i], &status, 0) == pid[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			good++;
	tap_ok(good == 4, "migrate: 4 processes open the schema-%lld database at once (%d opened)",
	       from_version, good);
}

/* What the database holds after the migration, looked at directly. */
static void test_migrated_tables(char *before[NTABLES], const char *fresh_url)
{
	struct raw *r = raw_open(url), *fresh;
	char *after, *s1, *s2, err[256];
	int i, pg;

	if (!r) {
		tap_ok(0, "migrate: open the migrated database");
		return;
	}
	pg = raw_is_pg(r);
	tap_ok(db_version(r) == NEW_VERSION && count_tables(r, old_tables) == 0 &&
	       raw_has_table(r, "chip_batch") == 1 &&
	       raw_int(r, "SELECT count(*) FROM chip_batch") == 0,
	       "migrate: schema version %lld -> %lld, the tables of the old names gone,"
	       " an empty chip_batch", from_version, db_version(r));
	for (i = 0; i < NTABLES; i++) {
		after = table_rows(r, new_tables[i]);
		tap_ok(after && before[i] && !strcmp(after, before[i]),
		       "migrate: %s: all %d rows kept, as %s", FROM_TABLES[i],
		       count_lines(before[i]), new_tables[i]);
		free(after);
	}
	tap_ok(raw_exec(r, "UPDATE public_records SET generation = generation + 100",
			err, sizeof(err)) && strstr(err, "public_records is insert-only"),
	       "migrate: UPDATE of public_records refused by trigger");
	tap_ok(raw_exec(r, "DELETE FROM public_records", err, sizeof(err)) &&
	       strstr(err, "public_records is insert-only"),
	       "migrate: DELETE of public_records refused by trigger");
	if (pg)
		tap_ok(raw_exec(r, "TRUNCATE public_records", err, sizeof(err)) &&
		       strstr(err, "public_records is insert-only"),
		       "migrate: TRUNCATE of public_records refused by trigger");
	tap_ok(raw_exec(r, "INSERT INTO identity_pool (identity) VALUES ('35700000001')",
			NULL, 0) &&
	       raw_exec(r, "INSERT INTO identity_pool (identity, state) VALUES"
			" ('357000000010065', 1)", NULL, 0) &&
	       raw_exec(r, "UPDATE keypair_pool SET chip_id = (SELECT chip_id FROM"
			" device_secrets LIMIT 1) WHERE chip_id IS NULL", NULL, 0) &&
	       raw_exec(r, "INSERT INTO device_secrets SELECT * FROM device_secrets",
			NULL, 0),
	       "migrate: constraints kept (identity length, state/chip_id, unique chip_id, key)");
	fresh = fresh_url ? raw_open(fresh_url) : NULL;
	if (fresh) {
		s1 = raw_schema(r);
		s2 = raw_schema(fresh);
		tap_ok(s1 && s2 && !strcmp(s1, s2),
		       "migrate: the same schema as a database the store created");
		if (s1 && s2 && strcmp(s1, s2))
			tap_diag("migrated:\n%s\nnew:\n%s", s1, s2);
		free(s1);
		free(s2);
	} else {
		tap_skip("no database of the store given", "migrate: the same schema as a new one");
	}
	raw_close(fresh);
	raw_close(r);
}

/* The store on the migrated database: the fixture's rows through the API,
 * then a provisioning. */
static void test_migrated_store(void)
{
	struct store *st = open_or_die();
	struct store_pub_record rec;
	struct store_secret_record sec;
	struct store_keypair kp = { 0 };
	struct store_commit c = { 0 };
	uint64_t f = 0, r = 0, i = 0, kf = 0, kr = 0;
	uint8_t c1[16], c2[16], c3[16], bk[40];
	char id[16];
	int64_t kid = 0;
	int state = -1, rc;

	chip(c1, 0x07, 1);
	chip(c2, 0x07, 2);
	chip(c3, 0x07, 3);
	/* the fixture's reservations were made long ago: keep them */
	store_set_reservation_timeout(st, (int64_t)1 << 40);
	tap_ok(store_identity_counts(st, &f, &r, &i) == 0 && f == 2 && r == 2 && i == 2 &&
	       store_keypair_counts(st, &kf, &kr) == 0 && kf == 2 && kr == 1,
	       "migrate: pools: identities free 2 reserved 2 issued 2, key pairs free 2 reserved 1");
	tap_ok(store_claim_identity(st, c1, id, &state) == 0 && state == STORE_ID_ISSUED &&
	       !strcmp(id, "357000000010008"),
	       "migrate: chip 1 still holds its issued identity (%s)", id);
	tap_ok(store_pub_latest(st, c1, &rec) == 0 && rec.generation == 2 &&
	       rec.backup_len == 250 && rec.signed_record_len == 120 &&
	       !strcmp(rec.identity, "357000000010008"),
	       "migrate: chip 1's latest public record is generation 2");
	store_pub_record_clear(&rec);
	tap_ok(store_pub_get(st, c1, 1, &rec) == 0 && rec.backup_len == 300 &&
	       !rec.signed_record && store_secret_get(st, c2, &sec) == 0 &&
	       sec.data_len == 96 && !strcmp(sec.identity, "357000000010016"),
	       "migrate: generation 1 and chip 2's secret record read back");
	store_pub_record_clear(&rec);
	store_secret_record_clear(&sec);
	rc = store_add_keypair(st, (const uint8_t *)"pub", 3, (const uint8_t *)"priv", 4, &kid);
	tap_ok(rc == 0 && kid == 5,
	       "migrate: a new key pair gets id %lld: the counter survived (pair 1 was deleted)",
	       (long long)kid);
	/* chip 3 was claimed with pair 2 before the migration: provision it */
	tap_ok(store_claim_identity_keypair(st, c3, id, &state, &kp) == 0 &&
	       state == STORE_ID_RESERVED && !strcmp(id, "357000000010024") && kp.id == 2,
	       "migrate: chip 3's claim returns its identity and key pair");
	memset(bk, 3, sizeof(bk));
	make_commit(&c, c3, id, bk, sizeof(bk), bk, 16);
	c.used_pregenerated_key = true;
	rc = store_commit_provisioning(st, &c);
	if (rc)
		tap_diag("commit: %s", store_error(st));
	tap_ok(rc == 0 && store_identity_counts(st, &f, &r, &i) == 0 && i == 3 &&
	       store_keypair_counts(st, &kf, &kr) == 0 && kf == 3 && kr == 0,
	       "migrate: chip 3 provisioned on the migrated database");
	store_keypair_clear(&kp);
	memcpy(c.chip_id, c1, 16);
	c.identity = "357000000010008";
	tap_ok(store_commit_provisioning(st, &c) == -EEXIST,
	       "migrate: a different commit for chip 1 -> -EEXIST");
	store_close(st);
}

/* A version newer than this code's is refused; the database is unchanged. */
static void test_migrated_newer(void)
{
	struct raw *r = raw_open(url);
	int pg = r && raw_is_pg(r), ok;
	char err[256] = "";

	ok = r && !raw_exec(r, pg ? "UPDATE schema_version SET version = 6" :
			    "PRAGMA user_version = 6", NULL, 0);
	ok = ok && open_fails(url, -EPROTO, "has database schema 6, newer", err, sizeof(err));
	ok = ok && db_version(r) == 6 &&
	     !raw_exec(r, pg ? "UPDATE schema_version SET version = 5" :
		       "PRAGMA user_version = 5", NULL, 0);
	tap_ok(ok, "migrate: a newer schema is refused (%s)", err);
	raw_close(r);
	store_close(open_or_die());
}

void test_migrate(const char *fixture, const char *fresh_url)
{
	char *before[NTABLES];
	int i;

	if (!load_fixture(fixture, before))
		return;
	if (from_version == 2)
		test_migrate_atomic();
	test_migrate_concurrent();
	test_migrated_tables(before, fresh_url);
	test_migrated_store();
	test_migrated_newer();
	for (i = 0; i < NTABLES; i++)
		free(before[i]);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* The whitelist and the issuance ledger in SQLite (ledger.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "ledger.h"

struct ledger {
	sqlite3 *db;
};

static const char schema[] =
	"CREATE TABLE whitelist ("
	" identity TEXT NOT NULL, chip_id TEXT NOT NULL,"	/* '' = any */
	" imported_at INTEGER NOT NULL,"
	" CHECK (identity <> '' OR chip_id <> ''),"
	" UNIQUE (identity, chip_id));"
	"CREATE TABLE issuance ("
	" identity TEXT NOT NULL UNIQUE, chip_id TEXT NOT NULL UNIQUE,"
	" serial TEXT NOT NULL UNIQUE, issued_at INTEGER NOT NULL,"
	" factory_cert_sha256 TEXT NOT NULL, cert_pem TEXT NOT NULL);";

/*
 * Added with renewal and revocation; made by ledger_open if missing (a
 * ledger of an older node gets them on its first open).  A certificate is
 * renewed at most once (previous UNIQUE): a renewed one is superseded.
 */
static const char schema2[] =
	"CREATE TABLE IF NOT EXISTS renewal ("
	" serial TEXT NOT NULL UNIQUE, previous TEXT NOT NULL UNIQUE,"
	" identity TEXT NOT NULL, chip_id TEXT NOT NULL, issued_at INTEGER NOT NULL,"
	" client_cert_sha256 TEXT NOT NULL, cert_pem TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS revocation ("
	" serial TEXT NOT NULL UNIQUE, revoked_at INTEGER NOT NULL,"
	" reason TEXT NOT NULL, revoked_by TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS crl ("
	" number INTEGER PRIMARY KEY, made_at INTEGER NOT NULL, der BLOB NOT NULL);";

/*
 * Schema 2: which EST operation issued a certificate (simpleenroll or
 * serverkeygen; a renewal is always simplereenroll).  An issuance recorded
 * before has none (NULL: listed as "unknown").  PRAGMA user_version says
 * which schema a ledger has; migrate() brings an older one up, inside one
 * write transaction, on its first open (a new ledger takes the same path).
 */
#define LEDGER_SCHEMA	3
static const char schema_operation[] =
	"ALTER TABLE issuance ADD COLUMN operation TEXT"
	" CHECK (operation IN ('simpleenroll', 'serverkeygen'));";
/*
 * Schema 3: the key of a serverkeygen issuance as it was sent, the CMS
 * EnvelopedData to the device's factory certificate (only that device's
 * factory key opens it), for re-delivery to the same device
 * (docs/enrollment.md "Once per device, and lost answers"); dropped when
 * the certificate is renewed.  NULL for every other issuance.
 */
static const char schema_envelope[] =
	"ALTER TABLE issuance ADD COLUMN key_envelope BLOB;";
static const char view[] =
	"DROP VIEW IF EXISTS certificate;"
	"CREATE VIEW certificate AS"
	" SELECT serial, identity, chip_id, issued_at, factory_cert_sha256 AS auth_sha256,"
	"  cert_pem, NULL AS previous, operation FROM issuance"
	" UNION ALL SELECT serial, identity, chip_id, issued_at, client_cert_sha256,"
	"  cert_pem, previous, 'simplereenroll' FROM renewal;"
	"PRAGMA user_version = 3;";

static int db_error(sqlite3 *db, const char *what)
{
	fprintf(stderr, "chipkey-enroll: database: %s: %s\n", what,
		db ? sqlite3_errmsg(db) : "out of memory");
	return -EIO;
}

static sqlite3 *db_open(const char *dir, int flags)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;

	if (snprintf(path, sizeof(path), "%s/%s", dir, ENROLL_DB) >= (int)sizeof(path)) {
		fprintf(stderr, "chipkey-enroll: %s: name too long\n", dir);
		return NULL;
	}
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		db_error(db, path);
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* PRAGMA user_version of @db, or -EIO. */
static int schema_version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int v = -EIO;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* 1 if @col is a column of issuance. */
static int has_column(sqlite3 *db, const char *col)
{
	char sql[64];
	sqlite3_stmt *st = NULL;
	int ok;

	snprintf(sql, sizeof(sql), "SELECT %s FROM issuance", col);
	ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	return ok;
}

/*
 * Bring the ledger to LEDGER_SCHEMA: the tables of renewal and revocation
 * if missing, the operation and key_envelope columns, the view.  One write transaction, the
 * version read again inside it (two processes opening an old ledger at
 * once migrate it once).  A ledger of a newer schema is refused.
 */
static int migrate(sqlite3 *db)
{
	int v = schema_version(db);

	if (v == LEDGER_SCHEMA)
		return 0;
	if (v > LEDGER_SCHEMA || v < 0) {
		fprintf(stderr, "chipkey-enroll: database: schema %d, this node knows %d:"
			" refused (a newer node's ledger?)\n", v, LEDGER_SCHEMA);
		return -EPROTONOSUPPORT;
	}
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(db, "migrate");
	v = schema_version(db);
	/* a column may exist in a ledger whose migration set no version */
	if (v < LEDGER_SCHEMA &&
	    (sqlite3_exec(db, schema2, NULL, NULL, NULL) != SQLITE_OK ||
	     (!has_column(db, "operation") &&
	      sqlite3_exec(db, schema_operation, NULL, NULL, NULL) != SQLITE_OK) ||
	     (!has_column(db, "key_envelope") &&
	      sqlite3_exec(db, schema_envelope, NULL, NULL, NULL) != SQLITE_OK) ||
	     sqlite3_exec(db, view, NULL, NULL, NULL) != SQLITE_OK)) {
		db_error(db, "migrate");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -EIO;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return db_error(db, "migrate");
	}
	return 0;
}

int ledger_create(const char *dir)
{
	char path[PATH_MAX];
	sqlite3 *db;
	int err = 0, fd;

	/* the file first, 0600 whatever the umask (SQLite's journal files
	 * take its mode) */
	if (snprintf(path, sizeof(path), "%s/%s", dir, ENROLL_DB) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600)) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	close(fd);
	db = db_open(dir, SQLITE_OPEN_READWRITE);
	if (!db)
		return -EIO;
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
		err = db_error(db, "schema");
	else
		err = migrate(db);
	sqlite3_close(db);
	return err;
}

struct ledger *ledger_open(const char *dir)
{
	struct ledger *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->db = db_open(dir, SQLITE_OPEN_READWRITE);
	/* secure_delete: what a statement removes (a key envelope dropped at
	 * renewal) is overwritten in the database file, not left in a free page */
	if (l->db && sqlite3_exec(l->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
				  " PRAGMA secure_delete=ON;",
				  NULL, NULL, NULL) != SQLITE_OK)
		db_error(l->db, "open");
	else if (l->db && !migrate(l->db))
		return l;
	ledger_close(l);
	return NULL;
}

void ledger_close(struct ledger *l)
{
	if (!l)
		return;
	sqlite3_close(l->db);
	free(l);
}

static int exec(struct ledger *l, const char *sql)
{
	return sqlite3_exec(l->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : db_error(l->db, sql);
}

int ledger_begin(struct ledger *l) { return exec(l, "BEGIN IMMEDIATE"); }
int ledger_commit(struct ledger *l) { return exec(l, "COMMIT"); }
void ledger_rollback(struct ledger *l) { sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL); }

/* Prepare @sql and bind the strings @a.. (NULL ends the list). */
static sqlite3_stmt *prep(struct ledger *l, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    (a && sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC) != SQLITE_OK) ||
	    (b && sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC) != SQLITE_OK)) {
		db_error(l->db, "prepare");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/*
 * Run the INSERT @st once (its values bound if @bound; finalized here): 0,
 * -EEXIST if a constraint refused it, -ENODATA if it inserted no row
 * (INSERT OR IGNORE, INSERT ... SELECT ... WHERE), -EIO.
 */
static int insert(struct ledger *l, sqlite3_stmt *st, int bound, const char *what)
{
	int rc = bound ? sqlite3_step(st) : SQLITE_MISUSE;

	sqlite3_finalize(st);
	if (!bound)
		return db_error(l->db, "bind");
	if (rc == SQLITE_CONSTRAINT)
		return -EEXIST;
	if (rc != SQLITE_DONE)
		return db_error(l->db, what);
	return sqlite3_changes(l->db) ? 0 : -ENODATA;
}

int ledger_whitelist_add(struct ledger *l, const char *identity, const char *chip_hex,
			 int *added)
{
	sqlite3_stmt *st = prep(l, "INSERT OR IGNORE INTO whitelist VALUES (?1, ?2, strftime('%s'))",
				identity, chip_hex);
	int err = st ? insert(l, st, 1, "whitelist") : -EIO;

	*added = !err;
	return err == -ENODATA ? 0 : err;
}

long ledger_whitelist_count(struct ledger *l)
{
	sqlite3_stmt *st = prep(l, "SELECT count(*) FROM whitelist", NULL, NULL);
	long n = -EIO;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* 1 if @sql with (?1, ?2) has a row, 0 if not, -EIO. */
static int exists(struct ledger *l, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st = prep(l, sql, a, b);
	int rc;

	if (!st)
		return -EIO;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : db_error(l->db, "query");
}

int ledger_may_issue(struct ledger *l, const char *identity, const char *chip_hex)
{
	int r;

	r = exists(l, "SELECT 1 FROM whitelist WHERE (identity = ?1 AND chip_id IN ('', ?2))"
		   " OR (identity = '' AND chip_id = ?2)", identity, chip_hex);
	if (r <= 0)
		return r < 0 ? r : -EACCES;
	r = exists(l, "SELECT 1 FROM issuance WHERE identity = ?1 OR chip_id = ?2",
		   identity, chip_hex);
	return r < 0 ? r : r ? -EEXIST : 0;
}

/* The one text column of the first row of @sql with (?1, ?2), malloc'd, or NULL. */
static char *column(struct ledger *l, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st = prep(l, sql, a, b);
	const unsigned char *t;
	char *v = NULL;

	if (st && sqlite3_step(st) == SQLITE_ROW && (t = sqlite3_column_text(st, 0)))
		v = strdup((const char *)t);
	sqlite3_finalize(st);
	return v;
}

char *ledger_issued_cert(struct ledger *l, const char *identity, const char *chip_hex)
{
	return column(l, "SELECT cert_pem FROM issuance WHERE identity = ?1 AND chip_id = ?2",
		      identity, chip_hex);
}

char *ledger_renewal_cert(struct ledger *l, const char *previous)
{
	return column(l, "SELECT cert_pem FROM renewal WHERE previous = ?1", previous, NULL);
}

int ledger_record(struct ledger *l, const struct ledger_issuance *i)
{
	/*
	 * An enrollment: one row of issuance (identity, chip and serial each
	 * UNIQUE).  A renewal: one statement, so one write transaction: a
	 * revocation of the certificate being renewed that committed before
	 * it refuses it (-EKEYREVOKED); one that commits after it finds the
	 * renewal among the identity's certificates (ledger_revoke).
	 */
	sqlite3_stmt *st = i->previous_hex ?
		prep(l, "INSERT INTO renewal (serial, identity, chip_id, issued_at,"
		     " client_cert_sha256, cert_pem, previous) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7"
		     " WHERE ?7 NOT IN (SELECT serial FROM revocation)", i->serial_hex, i->identity) :
		prep(l, "INSERT INTO issuance (serial, identity, chip_id, issued_at,"
		     " factory_cert_sha256, cert_pem, operation, key_envelope)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", i->serial_hex, i->identity);
	int err;

	if (!st)
		return -EIO;
	err = insert(l, st, sqlite3_bind_text(st, 3, i->chip_hex, -1, SQLITE_STATIC) == SQLITE_OK &&
		     sqlite3_bind_int64(st, 4, (sqlite3_int64)i->issued_at) == SQLITE_OK &&
		     sqlite3_bind_text(st, 5, i->auth_sha256, -1, SQLITE_STATIC) == SQLITE_OK &&
		     sqlite3_bind_text(st, 6, i->cert_pem, -1, SQLITE_STATIC) == SQLITE_OK &&
		     sqlite3_bind_text(st, 7, i->previous_hex ? i->previous_hex : i->operation, -1,
				       SQLITE_STATIC) == SQLITE_OK &&
		     (i->previous_hex || !i->envelope ||
		      sqlite3_bind_blob(st, 8, i->envelope, (int)i->envelope_len,
					SQLITE_STATIC) == SQLITE_OK), "record");
	if (err == -ENODATA)
		return -EKEYREVOKED;
	/* renewed: the first issuance's key envelope is of no use any more
	 * (never re-delivered, ledger_keygen_answer); a failure here leaves
	 * it unused */
	if (!err && i->previous_hex) {
		st = prep(l, "UPDATE issuance SET key_envelope = NULL WHERE serial = ?1",
			  i->previous_hex, NULL);
		/* and out of the write-ahead log, which still holds the page as
		 * it was: checkpointed into the database (secure_delete zeroes the
		 * envelope's bytes there) and the log truncated (a reader still
		 * open can hold the checkpoint back: then it stays until the next
		 * one; docs/enrollment.md) */
		if (st && !insert(l, st, 1, "drop the key envelope"))
			sqlite3_wal_checkpoint_v2(l->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
						  NULL);
	}
	return err;
}

int ledger_keygen_answer(struct ledger *l, const char *identity, const char *chip_hex,
			 const char *auth_sha256, char **cert_pem, uint8_t **env, size_t *env_len)
{
	sqlite3_stmt *st = prep(l, "SELECT cert_pem, key_envelope FROM issuance"
				" WHERE identity = ?1 AND chip_id = ?2 AND factory_cert_sha256 = ?3"
				" AND operation = 'serverkeygen' AND key_envelope IS NOT NULL",
				identity, chip_hex);
	const unsigned char *c;
	const void *b;
	int n, err = -ENOENT;

	*cert_pem = NULL;
	*env = NULL;
	if (!st)
		return -EIO;
	if (sqlite3_bind_text(st, 3, auth_sha256, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && (c = sqlite3_column_text(st, 0)) &&
	    (b = sqlite3_column_blob(st, 1)) && (n = sqlite3_column_bytes(st, 1)) > 0) {
		*cert_pem = strdup((const char *)c);
		*env = malloc((size_t)n);
		if (*cert_pem && *env) {
			memcpy(*env, b, (size_t)n);
			*env_len = (size_t)n;
			err = 0;
		} else {
			free(*cert_pem);
			free(*env);
			*cert_pem = NULL;
			*env = NULL;
			err = -ENOMEM;
		}
	}
	sqlite3_finalize(st);
	return err;
}

int ledger_cert_state(struct ledger *l, const char *serial)
{
	int r = exists(l, "SELECT 1 FROM certificate WHERE serial = ?1", serial, NULL);

	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	r = exists(l, "SELECT 1 FROM revocation WHERE serial = ?1", serial, NULL);
	if (r)
		return r < 0 ? r : -EKEYREVOKED;
	r = exists(l, "SELECT 1 FROM renewal WHERE previous = ?1", serial, NULL);
	return r < 0 ? r : r ? -ESTALE : 0;
}

int ledger_revoke(struct ledger *l, const char *serial, const char *identity,
		  const char *reason, const char *by, time_t at,
		  char (**serials)[LEDGER_SERIAL_MAX + 1], size_t *n)
{
	sqlite3_stmt *st = prep(l, "SELECT serial FROM certificate WHERE (serial = ?1 OR identity = ?2)"
				" AND serial NOT IN (SELECT serial FROM revocation) ORDER BY issued_at",
				serial ? serial : "", identity ? identity : "");
	size_t cap = 0;
	int rc, err = 0;

	*n = 0;
	*serials = NULL;
	if (!st)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);

		if (!s || strlen(s) > LEDGER_SERIAL_MAX) {
			err = -EIO;	/* the ledger never writes one */
			break;
		}
		if (*n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			void *p = reallocarray(*serials, ncap, sizeof(**serials));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			*serials = p;
			cap = ncap;
		}
		strcpy((*serials)[(*n)++], s);
	}
	if (!err && rc != SQLITE_DONE)
		err = db_error(l->db, "revoke");
	sqlite3_finalize(st);
	if (err)
		return err;
	if (!*n) {
		rc = exists(l, "SELECT 1 FROM certificate WHERE serial = ?1 OR identity = ?2",
			    serial ? serial : "", identity ? identity : "");
		return rc < 0 ? rc : rc ? -EALREADY : -ENOENT;
	}
	for (size_t k = 0; k < *n; k++) {
		st = prep(l, "INSERT INTO revocation VALUES (?1, ?2, ?3, ?4)", (*serials)[k], NULL);
		if (!st)
			return -EIO;
		if (sqlite3_bind_int64(st, 2, (sqlite3_int64)at) != SQLITE_OK ||
		    sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 4, by, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return db_error(l->db, "revocation");
		}
		sqlite3_finalize(st);
	}
	return 0;
}

int ledger_crl_latest(struct ledger *l, uint8_t **der, size_t *len)
{
	sqlite3_stmt *st = prep(l, "SELECT der FROM crl ORDER BY number DESC LIMIT 1", NULL, NULL);
	int rc, err = -ENOENT;

	*der = NULL;
	*len = 0;
	if (!st)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int n = sqlite3_column_bytes(st, 0);
		const void *b = sqlite3_column_blob(st, 0);

		err = -ENOMEM;
		if (n > 0 && b && (*der = malloc((size_t)n))) {
			memcpy(*der, b, (size_t)n);
			*len = (size_t)n;
			err = 0;
		}
	} else if (rc != SQLITE_DONE) {
		err = db_error(l->db, "crl");
	}
	sqlite3_finalize(st);
	return err;
}

int ledger_crl_store(struct ledger *l, long long number, const uint8_t *der, size_t len)
{
	sqlite3_stmt *st = prep(l, "INSERT INTO crl VALUES (?1, strftime('%s'), ?2)", NULL, NULL);

	if (!st)
		return -EIO;
	return insert(l, st, sqlite3_bind_int64(st, 1, number) == SQLITE_OK &&
			     sqlite3_bind_blob(st, 2, der, (int)len, SQLITE_STATIC) == SQLITE_OK,
		      "store crl");
}

int ledger_list(struct ledger *l, FILE *out, int json)
{
	sqlite3_stmt *st = prep(l, "SELECT c.identity, c.chip_id, c.serial, c.issued_at,"
				" c.auth_sha256, c.cert_pem, c.previous, r.revoked_at, r.reason,"
				" r.revoked_by, c.operation FROM certificate c LEFT JOIN revocation r USING (serial)"
				" ORDER BY c.issued_at, c.previous IS NOT NULL",
				NULL, NULL);
	json_t *arr = json ? json_array() : NULL;
	int rc, err = 0;

	if (!st || (json && !arr)) {
		sqlite3_finalize(st);
		json_decref(arr);
		return -EIO;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *c[11];
		json_t *o;
		int k;

		for (k = 0; k < 11; k++)
			c[k] = (const char *)sqlite3_column_text(st, k);
		if (!c[10])	/* recorded before the ledger named the operation */
			c[10] = "unknown";
		if (!json) {
			fprintf(out, "%s %s %s %lld %s %s", c[0], c[1], c[2],
				(long long)sqlite3_column_int64(st, 3), c[4], c[10]);
			if (c[6])
				fprintf(out, " renews %s", c[6]);
			if (c[7])
				fprintf(out, " revoked %lld %s by %s",
					(long long)sqlite3_column_int64(st, 7), c[8], c[9]);
			fputc('\n', out);
			continue;
		}
		o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}",
			      "identity", c[0], "chip_id", c[1], "serial", c[2],
			      "issued_at", (json_int_t)sqlite3_column_int64(st, 3),
			      c[6] ? "client_cert_sha256" : "factory_cert_sha256", c[4],
			      "certificate", c[5], "kind", c[6] ? "renewal" : "enrollment",
			      "operation", c[10]);
		if (o && c[6] && json_object_set_new(o, "renews", json_string(c[6])))
			o = (json_decref(o), NULL);
		if (o && c[7] && json_object_set_new(o, "revoked", json_pack("{s:I, s:s, s:s}",
				"at", (json_int_t)sqlite3_column_int64(st, 7), "reason", c[8],
				"by", c[9])))
			o = (json_decref(o), NULL);
		if (json_array_append_new(arr, o)) {
			err = -ENOMEM;
			break;
		}
	}
	if (!err && rc != SQLITE_DONE)
		err = db_error(l->db, "list");
	sqlite3_finalize(st);
	if (json) {
		if (!err && json_dumpf(arr, out, JSON_INDENT(1)) == 0)
			fputc('\n', out);
		json_decref(arr);
	}
	return err;
}

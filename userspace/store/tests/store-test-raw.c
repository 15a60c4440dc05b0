// SPDX-License-Identifier: GPL-2.0
/*
 * Store tests: a direct connection to the database under test, beside the
 * store (SQLite or libpq), to set up databases of older schemas and to
 * look at tables, versions and the schema itself (store-test.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "common/hex.h"
#include "store-test.h"

struct raw {
	sqlite3 *db;		/* SQLite, or */
	PGconn *pg;		/* PostgreSQL */
};

struct raw *raw_open(const char *u)
{
	struct raw *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (!strncmp(u, "sqlite:", 7)) {
		if (sqlite3_open(u + 7, &r->db) == SQLITE_OK) {
			sqlite3_busy_timeout(r->db, 15000);
			return r;
		}
		tap_diag("raw open %s: %s", u, r->db ? sqlite3_errmsg(r->db) : "no memory");
	} else {
		r->pg = PQconnectdb(u);
		if (PQstatus(r->pg) == CONNECTION_OK)
			return r;
		tap_diag("raw open %s: %s", u, PQerrorMessage(r->pg));
	}
	raw_close(r);
	return NULL;
}

void raw_close(struct raw *r)
{
	if (!r)
		return;
	sqlite3_close(r->db);
	if (r->pg)
		PQfinish(r->pg);
	free(r);
}

int raw_is_pg(const struct raw *r)
{
	return r->pg != NULL;
}

int raw_exec(struct raw *r, const char *sql, char *err, size_t errlen)
{
	const char *msg = NULL;
	char *smsg = NULL;
	PGresult *res = NULL;
	int rc = 0;

	if (r->db) {
		if (sqlite3_exec(r->db, sql, NULL, NULL, &smsg) != SQLITE_OK) {
			msg = smsg ? smsg : "?";
			rc = -1;
		}
	} else {
		res = PQexec(r->pg, sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK) {
			msg = PQresultErrorMessage(res);
			rc = -1;
		}
	}
	if (err && errlen)
		snprintf(err, errlen, "%s", msg ? msg : "");
	sqlite3_free(smsg);
	PQclear(res);
	return rc;
}

/* Appends @s (@n bytes) to the growing string @*buf. */
static int append(char **buf, size_t *len, const char *s, size_t n)
{
	char *b = realloc(*buf, *len + n + 1);

	if (!b)
		return -1;
	memcpy(b + *len, s, n);
	*len += n;
	b[*len] = '\0';
	*buf = b;
	return 0;
}

static int append_sqlite_col(sqlite3_stmt *s, int i, char **out, size_t *len)
{
	char num[32], *hex;
	int n = sqlite3_column_bytes(s, i), rc;

	switch (sqlite3_column_type(s, i)) {
	case SQLITE_NULL:
		return append(out, len, "NULL", 4);
	case SQLITE_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(s, i));
		return append(out, len, num, strlen(num));
	case SQLITE_BLOB:
		hex = malloc(2 * (size_t)n + 1);
		if (!hex)
			return -1;
		ck_hex_encode(sqlite3_column_blob(s, i), (size_t)n, hex);
		rc = append(out, len, hex, 2 * (size_t)n);
		free(hex);
		return rc;
	default:
		return append(out, len, (const char *)sqlite3_column_text(s, i), (size_t)n);
	}
}

static char *sqlite_rows(struct raw *r, const char *sql)
{
	sqlite3_stmt *s;
	char *out = NULL;
	size_t len = 0;
	int i, step, bad = 0;

	if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	if (append(&out, &len, "", 0))
		bad = 1;
	while (!bad && (step = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(s) && !bad; i++)
			bad = (i && append(&out, &len, "|", 1)) ||
			      append_sqlite_col(s, i, &out, &len);
		bad = bad || append(&out, &len, "\n", 1);
	}
	if (!bad && step != SQLITE_DONE)
		bad = 1;
	sqlite3_finalize(s);
	if (bad) {
		free(out);
		return NULL;
	}
	return out;
}

static char *pg_rows(struct raw *r, const char *sql)
{
	PGresult *res = PQexec(r->pg, sql);
	char *out = NULL;
	size_t len = 0;
	int row, i, bad = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		tap_diag("raw: %s", PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	bad = append(&out, &len, "", 0);
	for (row = 0; row < PQntuples(res) && !bad; row++) {
		for (i = 0; i < PQnfields(res) && !bad; i++) {
			const char *v = PQgetisnull(res, row, i) ? "NULL" : PQgetvalue(res, row, i);

			bad = (i && append(&out, &len, "|", 1)) || append(&out, &len, v, strlen(v));
		}
		bad = bad || append(&out, &len, "\n", 1);
	}
	PQclear(res);
	if (bad) {
		free(out);
		return NULL;
	}
	return out;
}

char *raw_rows(struct raw *r, const char *sql)
{
	return r->db ? sqlite_rows(r, sql) : pg_rows(r, sql);
}

long long raw_int(struct raw *r, const char *sql)
{
	char *rows = raw_rows(r, sql);
	long long v = rows && isdigit((unsigned char)rows[0]) ? atoll(rows) : -1;

	free(rows);
	return v;
}

int raw_has_table(struct raw *r, const char *name)
{
	char sql[200];

	if (r->db)
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master"
			 " WHERE type = 'table' AND name = '%s'", name);
	else
		snprintf(sql, sizeof(sql), "SELECT (to_regclass('%s') IS NOT NULL)::int", name);
	return (int)raw_int(r, sql);
}

/* PostgreSQL: every column, constraint, index, trigger, function, sequence
 * and grant of the current schema, by name, with its definition. */
static const char pg_schema_sql[] =
	"SELECT d FROM ("
	" SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type"
	"  || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS d"
	"  FROM information_schema.columns WHERE table_schema = current_schema()"
	" UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' '"
	"  || pg_get_constraintdef(oid) FROM pg_constraint"
	"  WHERE connamespace = current_schema()::regnamespace"
	" UNION ALL SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes"
	"  WHERE schemaname = current_schema()"
	" UNION ALL SELECT 'trigger ' || tgname || ' ' || pg_get_triggerdef(oid)"
	"  FROM pg_trigger WHERE NOT tgisinternal"
	" UNION ALL SELECT 'function ' || proname || ' ' || prosrc FROM pg_proc"
	"  WHERE pronamespace = current_schema()::regnamespace"
	" UNION ALL SELECT 'sequence ' || sequencename FROM pg_sequences"
	"  WHERE schemaname = current_schema()"
	" UNION ALL SELECT 'grant ' || table_name || ' ' || grantee || ' ' || privilege_type"
	"  FROM information_schema.role_table_grants WHERE table_schema = current_schema()"
	") s ORDER BY d";

/* SQLite keeps each CREATE statement's text, as written (and, after
 * ALTER TABLE ... RENAME, with the new name quoted): compared without
 * quotes and with the white space folded. */
static void fold_sql(char *s)
{
	char *o = s;
	const char *i;

	for (i = s; *i; i++) {
		char c = isspace((unsigned char)*i) && *i != '\n' ? ' ' : *i;

		if (c == '"' || (c == ' ' && (o == s || o[-1] == ' ' || o[-1] == '(' ||
					      i[1] == ')' || i[1] == ' ')))
			continue;
		*o++ = c;
	}
	*o = '\0';
}

char *raw_schema(struct raw *r)
{
	char *s;

	if (r->pg)
		return raw_rows(r, pg_schema_sql);
	s = raw_rows(r, "SELECT type, name, tbl_name, replace(sql, char(10), ' ')"
		     " FROM sqlite_master ORDER BY type, name");
	if (s)
		fold_sql(s);
	return s;
}

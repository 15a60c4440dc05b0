// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, PostgreSQL backend (libpq): the connection.  Connect and
 * close, the schema (schema-pg.sql) and its version, the migration of
 * older databases, and the ops table; the operations are in
 * store-pg-{pool,pub,commit}.c (see store-pg.h).
 *
 * The tables are those of the SQLite backend (docs/databases.md).  A
 * factory store keeps them in the schema of the connection's search_path,
 * a public store in the schema chipkey_public (PG_PUBLIC_SCHEMA), through
 * a role that needs no privilege on the factory's tables.  The schema is
 * created or migrated only when the database is not at the current
 * version, so a role that may not create tables (chipkey-pubdb's) opens a
 * database the factory set up.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "store-pg.h"
#include "store/schema-pg.sql.h"
#include "store/schema-pg-public.sql.h"
#include "store/migrate-2-3-pg.sql.h"

/* serializes schema creation and migration of concurrent openers */
#define SCHEMA_LOCK_KEY "7236837478092391221"

/*
 * The schema version of the database: the row of schema_version; 2 for the
 * unversioned tables of the first releases (p170_records); 0 if none of
 * our tables is there.
 */
static int schema_version(struct store *st, int *version)
{
	/* pg_class read with the statement's snapshot, not to_regclass(): its
	 * name lookup may use this connection's catalog cache, which an
	 * advisory lock does not refresh, and would miss a migration that
	 * another connection has just committed. */
	PGresult *r = pg_run(st, "SELECT coalesce(bool_or(relname = 'schema_version'), false),"
			     " coalesce(bool_or(relname = 'p170_records'), false) FROM pg_class"
			     " WHERE relnamespace = current_schema()::regnamespace"
			     " AND relname IN ('schema_version', 'p170_records')", NULL);
	bool versioned, v2;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "check schema");
	versioned = PQgetvalue(r, 0, 0)[0];
	v2 = PQgetvalue(r, 0, 1)[0];
	PQclear(r);
	*version = v2 ? 2 : 0;
	if (!versioned)
		return 0;
	r = pg_run(st, "SELECT version::bigint FROM schema_version", NULL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "read schema version");
	if (PQntuples(r) == 1)
		*version = (int)pg_get_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

/*
 * The tables of the current schema belong to this kind of store: a factory
 * store's schema has no public_records (-EPROTO: a single-file database of
 * schema 5 or before, to split), a single-file store's not issued_records
 * without public_records (a factory's), a public store's no factory table.
 */
static int kind_check(struct store *st)
{
	PGresult *r = pg_run(st, "SELECT coalesce(bool_or(relname IN ('public_records', 'p170_records')), false),"
			     " coalesce(bool_or(relname = 'issued_records'), false),"
			     " coalesce(bool_or(relname IN ('identity_pool', 'device_secrets',"
			     "  'keypair_pool', 'chip_batch', 'issued_records')), false)"
			     " FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
			     " AND relkind = 'r'", NULL);
	bool pub, issued, fac;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "check the kind of the database");
	pub = PQgetvalue(r, 0, 0)[0] == 't';
	issued = PQgetvalue(r, 0, 1)[0] == 't';
	fac = PQgetvalue(r, 0, 2)[0] == 't';
	PQclear(r);
	if (st->kind == STORE_PUBLIC && fac)
		return store_fail(st, -EPERM, "postgresql: schema " PG_PUBLIC_SCHEMA " of %s holds the"
				  " factory's tables: a public store holds the public tables only",
				  PQdb(pg_conn(st)));
	if (st->kind == STORE_FACTORY && pub)
		return store_fail(st, -EPROTO, "postgresql: %s holds the public tables too: a"
				  " single-file database of schema 5 or older; split it first"
				  " (docs/databases.md, \"Migration from one file\")", PQdb(pg_conn(st)));
	if (st->kind == STORE_SINGLE && issued && !pub)
		return store_fail(st, -EPROTO, "postgresql: %s is a factory database, not a"
				  " single-file one", PQdb(pg_conn(st)));
	return 0;
}

/* Runs a whole .sql file (several statements) in the open transaction. */
static int exec_file(struct store *st, const char *sql, const char *what)
{
	PGresult *r = PQexec(pg_conn(st), sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return pg_res_fail(st, r, what);
	PQclear(r);
	return 0;
}

/*
 * One transaction under the schema lock: reads the version again (another
 * station may have just done this), then migrates and/or creates the
 * schema and stamps the version.  All or nothing.
 */
static int schema_setup(struct store *st)
{
	struct pg_params p = { 0 };
	int ver = 0, step = 0, rc;

	rc = pg_begin(st);
	if (!rc)
		rc = pg_cmd(st, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK_KEY ")", NULL,
			    "schema lock");
	if (!rc)
		rc = schema_version(st, &ver);
	if (!rc) {
		step = store_schema_step(st, PQdb(pg_conn(st)), ver);
		rc = step < 0 ? step : 0;
	}
	if (!rc)
		rc = kind_check(st);
	if (!rc && step == STORE_SCHEMA_MIGRATE && ver < STORE_SCHEMA_RENAMED)
		rc = exec_file(st, migrate_2_3_pg_sql, "migrate schema 2 to 3");
	if (!rc && step != STORE_SCHEMA_CURRENT && st->kind == STORE_PUBLIC)
		rc = exec_file(st, "CREATE SCHEMA IF NOT EXISTS " PG_PUBLIC_SCHEMA, "create schema");
	if (!rc && step != STORE_SCHEMA_CURRENT && st->kind != STORE_PUBLIC)
		rc = exec_file(st, schema_pg_sql, "create schema");
	if (!rc && step != STORE_SCHEMA_CURRENT && st->kind != STORE_FACTORY)
		rc = exec_file(st, schema_pg_public_sql, "create schema");
	if (!rc && step != STORE_SCHEMA_CURRENT) {
		pg_p_i64(&p, STORE_SCHEMA_VERSION);
		rc = pg_cmd(st, "INSERT INTO schema_version (version) VALUES ($1)"
			    " ON CONFLICT (one) DO UPDATE SET version = excluded.version",
			    &p, "stamp schema version");
	}
	if (!rc)
		rc = pg_commit_tx(st);
	pg_rollback(st);
	return rc;
}

static void pg_close(struct store *st)
{
	struct pg *g = st->impl;

	if (!g)
		return;
	if (g->conn)
		PQfinish(g->conn);
	free(g);
	st->impl = NULL;
}

/*
 * Whether the connection still works, without a round trip.  libpq marks a
 * connection bad only when a query fails on it, so a connection whose
 * server restarted would fail the next call.  An idle connection has
 * nothing to read but what the server sent on its own: a server that shut
 * down sent its FATAL message (57P01) and closed the socket.  Reading what
 * is there (PQconsumeInput, at most a few times: the message, then the end
 * of the stream) makes libpq see the close; a notice alone leaves the
 * connection good.
 */
static bool pg_connected(struct store *st)
{
	struct pg *g = st->impl;
	struct pollfd pfd = { .events = POLLIN };

	if (!g || !g->conn)
		return false;
	for (int i = 0; i < 4 && PQstatus(g->conn) == CONNECTION_OK; i++) {
		pfd.fd = PQsocket(g->conn);
		if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0 || !PQconsumeInput(g->conn))
			break;
	}
	return PQstatus(g->conn) == CONNECTION_OK;
}

static void quiet_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int pg_open(struct store *st, const char *conninfo)
{
	struct pg *g;
	int ver = 0, rc;

	g = calloc(1, sizeof(*g));
	if (!g)
		return store_oom(st);
	st->impl = g;
	g->conn = PQconnectdb(conninfo);
	if (!g->conn || PQstatus(g->conn) != CONNECTION_OK)
		/* libpq's message names host/port, never the password */
		return store_fail(st, -ECONNREFUSED, "postgresql: connect: %s",
				  g->conn ? PQerrorMessage(g->conn) : "out of memory");
	PQsetNoticeProcessor(g->conn, quiet_notice, NULL);
	rc = 0;
	if (st->kind == STORE_PUBLIC)
		rc = pg_cmd(st, "SET search_path TO " PG_PUBLIC_SCHEMA, NULL, "search_path");
	if (!rc)
		rc = schema_version(st, &ver);
	if (!rc && ver != STORE_SCHEMA_VERSION)
		rc = schema_setup(st);
	else if (!rc)
		rc = kind_check(st);
	return rc;
}

const struct store_ops store_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.connected = pg_connected,
	.load_identities = pg_load_identities,
	.claim_identity = pg_claim_identity,
	.identity_counts = pg_identity_counts,
	.add_keypair = pg_add_keypair,
	.claim_keypair = pg_claim_keypair,
	.claim_both = pg_claim_both,
	.keypair_counts = pg_keypair_counts,
	.pub_insert = pg_pub_insert,
	.pub_get = pg_pub_get,
	.pub_void_insert = pg_pub_void_insert,
	.pub_void_get = pg_pub_void_get,
	.pub_generations = pg_pub_generations,
	.pub_count_chips = pg_pub_count_chips,
	.secret_get = pg_secret_get,
	.commit = pg_commit,
	.load_chips = pg_load_chips,
	.chip_get = pg_chip_get,
	.chip_count = pg_chip_count,
	.issued_get = pg_issued_get,
	.outbox_list = pg_outbox_list,
	.outbox_done = pg_outbox_done,
	.outbox_count = pg_outbox_count,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, PostgreSQL backend: the provisioning commit (one
 * transaction over databases 140, 160 and 170, under the chip's advisory
 * lock) and database 160, the manufacturer's secret record of each device
 * (device_secrets).
 */
#include <errno.h>
#include <string.h>

#include "store-pg.h"
#include "common/crashpoint.h"

int pg_secret_get(struct store *st, const uint8_t *chip, struct store_secret_record *rec)
{
	struct pg_params p = { 0 };
	PGresult *r;
	int rc = 0;

	pg_p_bin(&p, chip, STORE_CHIP_ID_LEN);
	r = pg_run(st, "SELECT identity, generation, created, data FROM device_secrets"
		   " WHERE chip_id = $1", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "read secret record");
	if (PQntuples(r) == 0) {
		PQclear(r);
		return store_fail(st, -ENOENT, "no such device");
	}
	memcpy(rec->chip_id, chip, STORE_CHIP_ID_LEN);
	pg_get_identity(r, 0, 0, rec->identity);
	rec->generation = (uint64_t)pg_get_i64(r, 0, 1);
	rec->created = pg_get_i64(r, 0, 2);
	if (pg_get_blob(r, 0, 3, &rec->data, &rec->data_len))
		rc = store_oom(st);
	PQclear(r);
	return rc;
}

/* Runs the UPDATE or DELETE @sql, which must change exactly one row: 0,
 * @none_rc (message @none) if it changed none, or an error. */
static int change_one(struct store *st, const char *sql, const struct pg_params *p,
		      const char *what, int none_rc, const char *none)
{
	PGresult *r = pg_run(st, sql, p);
	bool one;

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return pg_res_fail(st, r, what);
	one = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	return one ? 0 : store_fail(st, none_rc, "%s", none);
}

/* The steps of docs/databases.md, in one transaction. */
int pg_commit(struct store *st, const struct store_commit *c)
{
	int64_t now = store_now();
	bool factory = st->kind == STORE_FACTORY;
	struct pg_params p = { 0 };
	struct store_pub_row row;
	PGresult *r;
	int rc;

	rc = pg_begin(st);
	if (!rc)
		rc = pg_lock_chip(st, c->chip_id);
	if (rc)
		goto out;

	/* 1. already committed?  (a factory store: its issued record) */
	pg_p_bin(&p, c->chip_id, STORE_CHIP_ID_LEN);
	r = pg_run(st, factory ? "SELECT generation, backup FROM issued_records WHERE chip_id = $1" :
		   "SELECT generation, backup FROM public_records WHERE chip_id = $1"
		   " ORDER BY generation DESC LIMIT 1", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pg_res_fail(st, r, "look up public record");
		goto out;
	}
	if (PQntuples(r) == 1) {
		rc = store_check_recommit(st, c, (uint64_t)pg_get_i64(r, 0, 0),
					  PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1));
		PQclear(r);
		goto out;
	}
	PQclear(r);

	/* 2. identity reserved for this chip -> issued */
	memset(&p, 0, sizeof(p));
	pg_p_text(&p, c->identity);
	pg_p_bin(&p, c->chip_id, STORE_CHIP_ID_LEN);
	pg_p_i64(&p, now);
	rc = change_one(st, "UPDATE identity_pool SET state = 2, issued_at = $3"
			" WHERE identity = $1 AND chip_id = $2 AND state = 1", &p,
			"issue identity", -EPERM, "identity is not reserved for this chip");
	if (rc)
		goto out;

	/* 3. public record (170; a factory store: into its outbox) */
	row = STORE_PUB_ROW(c, now);
	rc = pg_row_insert(st, factory ? "issued_records" : "public_records", &row);
	if (rc)
		goto out;

	/* 4. secret record (160) */
	memset(&p, 0, sizeof(p));
	pg_p_bin(&p, c->chip_id, STORE_CHIP_ID_LEN);
	pg_p_text(&p, c->identity);
	pg_p_i64(&p, (int64_t)c->generation);
	pg_p_i64(&p, now);
	pg_p_bin(&p, c->secret, c->secret_len);
	rc = pg_cmd(st, "INSERT INTO device_secrets (chip_id, identity, generation, created, data)"
		    " VALUES ($1, $2, $3, $4, $5)", &p, "insert secret record");
	if (rc)
		goto out;

	/* 5. the used pre-generated key pair (140) */
	if (c->used_pregenerated_key) {
		memset(&p, 0, sizeof(p));
		pg_p_bin(&p, c->chip_id, STORE_CHIP_ID_LEN);
		rc = change_one(st, "DELETE FROM keypair_pool WHERE chip_id = $1", &p,
				"delete key pair", -ESTALE,
				"no pre-generated key pair reserved for this chip");
		if (rc)
			goto out;
	}
	CK_CRASH_POINT("store:commit-mid");
	rc = pg_commit_tx(st);
	if (!rc)
		CK_CRASH_POINT("store:committed");
out:
	pg_rollback(st);
	return rc;
}

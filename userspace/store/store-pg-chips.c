// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, PostgreSQL backend: database 140, the chip batch
 * (chip_batch): the chips the SPP expects and their attestation keys.
 * Loading is one transaction, all or nothing; two loaders of the same chip
 * meet at its primary key (the loser's INSERT ... ON CONFLICT DO NOTHING
 * inserts nothing, and the row it then reads decides).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-pg.h"

/* One chip inside the load's transaction: 1 inserted, 0 already there with
 * the same Q, -EEXIST with another Q, or an error. */
static int load_one(struct store *st, const struct store_chip *c, int64_t now)
{
	struct pg_params p = { 0 };
	PGresult *r;
	int rc;

	pg_p_bin(&p, c->chip_id, STORE_CHIP_ID_LEN);
	pg_p_bin(&p, c->attest_pub, STORE_ATTEST_PUB_LEN);
	pg_p_bin(&p, c->cert, c->cert_len);
	pg_p_i64(&p, now);
	r = pg_run(st, "INSERT INTO chip_batch (chip_id, attest_pub, cert, loaded_at)"
		   " VALUES ($1, $2, $3, $4) ON CONFLICT (chip_id) DO NOTHING", &p);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return pg_res_fail(st, r, "insert chip");
	rc = strtoul(PQcmdTuples(r), NULL, 10) == 1;
	PQclear(r);
	if (rc)
		return 1;
	p.n = 2;
	r = pg_run(st, "SELECT 1 FROM chip_batch WHERE chip_id = $1 AND attest_pub = $2", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "look up chip");
	rc = PQntuples(r) == 1 ? 0 :
	     store_fail(st, -EEXIST, "chip already in the batch with another attestation key");
	PQclear(r);
	return rc;
}

int pg_load_chips(struct store *st, const struct store_chip *chips, size_t n, size_t *added)
{
	int64_t now = store_now();
	size_t i, cnt = 0;
	int rc = pg_begin(st);

	for (i = 0; !rc && i < n; i++) {
		rc = load_one(st, &chips[i], now);
		if (rc > 0) {
			cnt++;
			rc = 0;
		}
	}
	if (!rc)
		rc = pg_commit_tx(st);
	pg_rollback(st);
	if (!rc && added)
		*added = cnt;
	return rc;
}

int pg_chip_get(struct store *st, const uint8_t *chip, uint8_t *attest_pub)
{
	struct pg_params p = { 0 };
	PGresult *r;
	int rc = 0;

	pg_p_bin(&p, chip, STORE_CHIP_ID_LEN);
	r = pg_run(st, "SELECT attest_pub FROM chip_batch WHERE chip_id = $1", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "look up chip");
	if (PQntuples(r) == 0)
		rc = store_fail(st, -ENOENT, "chip not in the batch");
	else if (PQgetlength(r, 0, 0) != STORE_ATTEST_PUB_LEN)
		rc = store_fail(st, -EIO, "postgresql: chip_batch: bad attestation key");
	else
		memcpy(attest_pub, PQgetvalue(r, 0, 0), STORE_ATTEST_PUB_LEN);
	PQclear(r);
	return rc;
}

int pg_chip_count(struct store *st, uint64_t *n)
{
	PGresult *r = pg_run(st, "SELECT count(*) FROM chip_batch", NULL);

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "count chips");
	*n = (uint64_t)pg_get_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

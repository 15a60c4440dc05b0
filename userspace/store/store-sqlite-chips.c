// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, SQLite backend: database 140, the chip batch (chip_batch):
 * the chips the SPP expects and their attestation keys.  Loading is one
 * transaction, all or nothing.
 */
#include <errno.h>
#include <string.h>

#include "store-sqlite.h"

static const char sql_chip_get[] =
	"SELECT attest_pub FROM chip_batch WHERE chip_id = ?1";
static const char sql_chip_ins[] =
	"INSERT INTO chip_batch (chip_id, attest_pub, cert, loaded_at) VALUES (?1, ?2, ?3, ?4)";
static const char sql_chip_count[] = "SELECT count(*) FROM chip_batch";

/* 1 if @chip is loaded with @q, 0 if absent, -EEXIST with another Q. */
static int chip_known(struct store *st, const uint8_t *chip, const uint8_t *q)
{
	sqlite3_stmt *s;
	int r = sq_chip_row(st, sql_chip_get, chip, "look up chip", &s);

	if (r <= 0)
		return r;
	r = sqlite3_column_bytes(s, 0) == STORE_ATTEST_PUB_LEN &&
	    !memcmp(sqlite3_column_blob(s, 0), q, STORE_ATTEST_PUB_LEN);
	sqlite3_reset(s);
	return r ? 1 : store_fail(st, -EEXIST,
				  "chip already in the batch with another attestation key");
}

int sq_load_chips(struct store *st, const struct store_chip *chips, size_t n, size_t *added)
{
	int64_t now = store_now();
	sqlite3_stmt *s;
	size_t i, cnt = 0;
	int rc;

	rc = sq_begin(st);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		rc = chip_known(st, chips[i].chip_id, chips[i].attest_pub);
		if (rc < 0)
			goto fail;
		if (rc > 0)
			continue;
		s = sq_stmt_chip(st, sql_chip_ins, chips[i].chip_id);
		if (!s) {
			rc = -EIO;
			goto fail;
		}
		sqlite3_bind_blob(s, 2, chips[i].attest_pub, STORE_ATTEST_PUB_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 3, chips[i].cert, (int)chips[i].cert_len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, now);
		rc = sq_step_done(st, s, "insert chip");
		if (rc)
			goto fail;
		cnt++;
	}
	rc = sq_commit_tx(st);
	if (rc)
		goto fail;
	if (added)
		*added = cnt;
	return 0;
fail:
	sq_rollback(st);
	return rc == -EEXIST || rc == -EBUSY ? rc : -EIO;
}

int sq_chip_get(struct store *st, const uint8_t *chip, uint8_t *attest_pub)
{
	sqlite3_stmt *s;
	int r = sq_chip_row(st, sql_chip_get, chip, "look up chip", &s);

	if (r == 0)
		return store_fail(st, -ENOENT, "chip not in the batch");
	if (r < 0)
		return r;
	r = sqlite3_column_bytes(s, 0) == STORE_ATTEST_PUB_LEN ? 0 :
	    store_fail(st, -EIO, "sqlite: chip_batch: bad attestation key");
	if (!r)
		memcpy(attest_pub, sqlite3_column_blob(s, 0), STORE_ATTEST_PUB_LEN);
	sqlite3_reset(s);
	return r;
}

int sq_chip_count(struct store *st, uint64_t *n)
{
	return sq_count(st, sql_chip_count, n, 1);
}

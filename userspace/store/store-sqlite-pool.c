// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, SQLite backend: database 140, the identity pool
 * (identity_pool) and the pre-generated key pairs (keypair_pool): loading,
 * claims, the expiry of reservations, and counts.  Claims are writes of the
 * group commit (store-sqlite-group.c); BEGIN IMMEDIATE serializes them with
 * the writers of other processes, so two claimers never get the same row.
 */
#include <errno.h>
#include <string.h>

#include "store-sqlite.h"
#include "common/crashpoint.h"

static const char sql_ins_identity[] =
	"INSERT OR IGNORE INTO identity_pool (identity) VALUES (?1)";

int sq_load_identities(struct store *st, const char *const *ids, size_t n, size_t *added)
{
	sqlite3_stmt *s;
	size_t i, cnt = 0;
	int rc;

	rc = sq_begin(st);
	if (rc)
		return rc;
	s = sq_stmt(st, sql_ins_identity);
	if (!s)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, ids[i], -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			sq_db_fail(st, "insert identity");
			goto fail;
		}
		cnt += (size_t)sqlite3_changes(SQ(st)->db);
	}
	sqlite3_reset(s);
	rc = sq_commit_tx(st);
	if (rc)
		goto fail;
	if (added)
		*added = cnt;
	return 0;
fail:
	sq_rollback(st);
	return -EIO;
}

static const char sql_id_by_chip[] =
	"SELECT identity, state FROM identity_pool WHERE chip_id = ?1";
/* the expiry (?1: the cutoff): the pairs of the expired reservations are
 * deleted, then their identities freed */
static const char sql_expire_pairs[] =
	"DELETE FROM keypair_pool WHERE chip_id IN (SELECT chip_id FROM identity_pool"
	" WHERE state = 1 AND reserved_at <= ?1)";
static const char sql_expire_ids[] =
	"UPDATE identity_pool SET state = 0, chip_id = NULL, reserved_at = NULL"
	" WHERE state = 1 AND reserved_at <= ?1";
static const char sql_id_take[] =
	"UPDATE identity_pool SET state = 1, chip_id = ?1, reserved_at = ?2"
	" WHERE identity = (SELECT identity FROM identity_pool"
	"  WHERE state = 0 ORDER BY identity LIMIT 1)"
	" RETURNING identity";

struct claim_arg {
	const uint8_t *chip;
	char *identity;
	int *state;
	int64_t now, cutoff;	/* reservations made at or before @cutoff expired */
};

/* Runs @sql with ?1 = @a and, if @chip, ?1 = the chip and ?2 = @a. */
static int exec_i64(struct store *st, const char *sql, const uint8_t *chip, int64_t a,
		    const char *what)
{
	sqlite3_stmt *s = chip ? sq_stmt_chip(st, sql, chip) : sq_stmt(st, sql);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, chip ? 2 : 1, a);
	return sq_step_done(st, s, what);
}

/* Releases every expired reservation: identities freed, their pairs
 * deleted (docs/databases.md, "Reservations"). */
static int expire(struct store *st, int64_t cutoff)
{
	int rc = exec_i64(st, sql_expire_pairs, NULL, cutoff, "expire key pairs");

	return rc ? rc : exec_i64(st, sql_expire_ids, NULL, cutoff, "expire reservations");
}

/* Inside a group transaction (sq_group_write). */
static int claim_body(struct store *st, void *p)
{
	struct claim_arg *a = p;
	sqlite3_stmt *s;
	int r;

	r = expire(st, a->cutoff);
	if (r)
		return r;
	r = sq_chip_row(st, sql_id_by_chip, a->chip, "look up chip", &s);
	if (r > 0) {
		sq_col_identity(s, 0, a->identity);
		*a->state = sqlite3_column_int(s, 1);
		sqlite3_reset(s);
		/* a re-claim never extends a reservation (docs/databases.md) */
		return 0;
	}
	if (r < 0)
		return r;
	r = sq_chip_take(st, sql_id_take, a->chip, -ENOSPC, "identity pool exhausted",
			 "reserve identity", &s);
	if (r)
		return r;
	sq_col_identity(s, 0, a->identity);
	sqlite3_reset(s);
	CK_CRASH_POINT("store:claim-mid");
	*a->state = STORE_ID_RESERVED;
	return 0;
}

/* The claim of @chip on the handle @st (whose timeout counts: the group's
 * leader may run it on another handle). */
static struct claim_arg claim_of(struct store *st, const uint8_t *chip, char *identity,
				 int *state)
{
	int64_t now = store_now();

	return (struct claim_arg){ chip, identity, state, now, now - st->reservation_timeout };
}

int sq_claim_identity(struct store *st, const uint8_t *chip, char *identity, int *state)
{
	struct claim_arg a = claim_of(st, chip, identity, state);
	int rc = sq_group_write(st, claim_body, &a, false);

	if (rc < 0) {
		identity[0] = '\0';
		return rc == -ENOSPC || rc == -EBUSY ? rc : -EIO;
	}
	return 0;
}

static const char sql_id_counts[] =
	"SELECT coalesce(sum(state = 0), 0), coalesce(sum(state = 1), 0),"
	" coalesce(sum(state = 2), 0) FROM identity_pool";

int sq_identity_counts(struct store *st, uint64_t *f, uint64_t *r, uint64_t *i)
{
	uint64_t v[3] = { 0 };
	int rc = sq_count(st, sql_id_counts, v, 3);

	if (!rc) {
		*f = v[0];
		*r = v[1];
		*i = v[2];
	}
	return rc;
}

static const char sql_kp_add[] =
	"INSERT INTO keypair_pool (pub, priv) VALUES (?1, ?2)";

int sq_add_keypair(struct store *st, const uint8_t *pub, size_t pub_len,
		   const uint8_t *priv, size_t priv_len, int64_t *id)
{
	sqlite3_stmt *s = sq_stmt(st, sql_kp_add);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_blob(s, 1, pub, (int)pub_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, priv, (int)priv_len, SQLITE_STATIC);
	rc = sq_step_done(st, s, "insert key pair");
	if (rc)
		return rc;
	*id = sqlite3_last_insert_rowid(SQ(st)->db);
	return 0;
}

static const char sql_kp_by_chip[] =
	"SELECT id, pub, priv FROM keypair_pool WHERE chip_id = ?1";
static const char sql_kp_take[] =
	"UPDATE keypair_pool SET chip_id = ?1, reserved_at = ?2"
	" WHERE id = (SELECT id FROM keypair_pool WHERE chip_id IS NULL"
	"  ORDER BY id LIMIT 1)"
	" RETURNING id, pub, priv";

/* The pair on the row @s (id, pub, priv) into @kp; resets @s. */
static int read_kp(struct store *st, sqlite3_stmt *s, struct store_keypair *kp)
{
	int rc = 0;

	kp->id = sqlite3_column_int64(s, 0);
	if (sq_col_blob(s, 1, &kp->pub, &kp->pub_len) ||
	    sq_col_blob(s, 2, &kp->priv, &kp->priv_len)) {
		store_keypair_clear(kp);
		rc = store_oom(st);
	}
	sqlite3_reset(s);
	return rc;
}

static const char sql_kp_any_free[] =
	"SELECT EXISTS (SELECT 1 FROM keypair_pool WHERE chip_id IS NULL)";

struct kp_arg {
	const uint8_t *chip;
	struct store_keypair *kp;
};

/* Inside a group transaction (sq_group_write). */
static int kp_claim_body(struct store *st, void *p)
{
	struct kp_arg *a = p;
	sqlite3_stmt *s;
	int r;

	r = sq_chip_row(st, sql_kp_by_chip, a->chip, "look up key pair", &s);
	if (r > 0)
		return read_kp(st, s, a->kp);
	if (r < 0)
		return r;
	r = sq_chip_take(st, sql_kp_take, a->chip, -ENOENT,
			 "no pre-generated key pair left", "reserve key pair", &s);
	return r ? r : read_kp(st, s, a->kp);
}

struct claim2_arg {
	struct claim_arg id;
	struct kp_arg kp;
};

/* Identity, then (only if it is reserved, not issued) a key pair: one
 * transaction, so a pair is never reserved for a chip whose provisioning
 * another connection committed in between. */
static int claim2_body(struct store *st, void *p)
{
	struct claim2_arg *a = p;
	int rc = claim_body(st, &a->id);

	if (rc || *a->id.state != STORE_ID_RESERVED)
		return rc;
	rc = kp_claim_body(st, &a->kp);
	return rc == -ENOENT ? 0 : rc;
}

int sq_claim_both(struct store *st, const uint8_t *chip, char *identity, int *state,
		  struct store_keypair *kp)
{
	struct claim2_arg a = { claim_of(st, chip, identity, state), { chip, kp } };
	int rc = sq_group_write(st, claim2_body, &a, false);

	if (rc < 0) {
		store_keypair_clear(kp);
		identity[0] = '\0';
		return rc == -ENOSPC || rc == -EBUSY ? rc : -EIO;
	}
	return 0;
}

int sq_claim_keypair(struct store *st, const uint8_t *chip, struct store_keypair *kp)
{
	struct kp_arg a = { chip, kp };
	sqlite3_stmt *s;
	uint64_t any;
	int r, rc;

	/* Without the write lock first: the pair already reserved for this
	 * chip (only this chip's own claim ever sets it), or none free at all
	 * (then -ENOENT and the SPP generates a key; a pair added meanwhile
	 * is simply used by a later chip). */
	r = sq_chip_row(st, sql_kp_by_chip, chip, "look up key pair", &s);
	if (r > 0)
		return read_kp(st, s, kp);
	if (r < 0)
		return r;
	r = sq_count(st, sql_kp_any_free, &any, 1);
	if (r)
		return r;
	if (!any)
		return store_fail(st, -ENOENT, "no pre-generated key pair left");

	rc = sq_group_write(st, kp_claim_body, &a, false);
	if (rc < 0) {
		/* a batch whose COMMIT failed after the body read the pair */
		store_keypair_clear(kp);
		return rc == -ENOENT || rc == -ENOMEM || rc == -EBUSY ? rc : -EIO;
	}
	return 0;
}

static const char sql_kp_counts[] =
	"SELECT coalesce(sum(chip_id IS NULL), 0), coalesce(sum(chip_id IS NOT NULL), 0)"
	" FROM keypair_pool";

int sq_keypair_counts(struct store *st, uint64_t *f, uint64_t *r)
{
	uint64_t v[2] = { 0 };
	int rc = sq_count(st, sql_kp_counts, v, 2);

	if (!rc) {
		*f = v[0];
		*r = v[1];
	}
	return rc;
}


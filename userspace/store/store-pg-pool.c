// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, PostgreSQL backend: database 140, the identity pool
 * (identity_pool) and the pre-generated key pairs (keypair_pool): loading,
 * claims and counts.
 *
 * A claim takes a free row with "FOR UPDATE SKIP LOCKED" in a single
 * UPDATE statement, so concurrent stations never wait for each other and
 * never get the same row; the UNIQUE constraint on chip_id settles two
 * claimers of the same chip (the loser retries and reads the winner's row).
 * The SPP's claim (identity + key pair, pg_claim_both) is one transaction
 * under the chip's advisory lock, so it never interleaves with a commit of
 * that chip.  Both identity claims first release the expired reservations
 * in their transaction (expire()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-pg.h"
#include "common/crashpoint.h"

int pg_load_identities(struct store *st, const char *const *ids, size_t n, size_t *added)
{
	size_t i, cnt = 0;
	int rc;

	rc = pg_begin(st);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		struct pg_params p = { 0 };
		PGresult *r;

		pg_p_text(&p, ids[i]);
		r = pg_run(st, "INSERT INTO identity_pool (identity) VALUES ($1)"
			   " ON CONFLICT DO NOTHING", &p);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			rc = pg_res_fail(st, r, "insert identity");
			pg_rollback(st);
			return rc;
		}
		cnt += (size_t)strtoul(PQcmdTuples(r), NULL, 10);
		PQclear(r);
	}
	rc = pg_commit_tx(st);
	if (rc) {
		pg_rollback(st);
		return rc;
	}
	if (added)
		*added = cnt;
	return 0;
}

/* A pool's statements for take_row(). */
struct pool_sql {
	const char *by_chip;	/* $1 chip: the row already reserved for it */
	const char *take;	/* $1 chip, $2 now: reserve a free row, RETURNING it */
	const char *any_free;	/* whether any row is free */
	int none_rc;		/* ... and if none is: this error, */
	const char *none;	/* with this message */
	const char *what;
};

/*
 * One attempt at a claim in the pool @q: 0 with @*out the row reserved for
 * @chip (reserved before, or now), -EAGAIN (retry: all free rows locked by
 * other claimers, or another connection claimed for the same chip first:
 * then the statement failed, and inside a transaction the caller must roll
 * back), q->none_rc if no row is free, or another error.
 */
static int take_row(struct store *st, const uint8_t *chip, const struct pool_sql *q,
		    PGresult **out)
{
	struct pg_params p = { 0 };
	PGresult *r;
	bool any;

	pg_p_bin(&p, chip, STORE_CHIP_ID_LEN);
	r = pg_run(st, q->by_chip, &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, q->what);
	if (PQntuples(r) == 0) {
		PQclear(r);
		pg_p_i64(&p, store_now());
		r = pg_run(st, q->take, &p);
	}
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		*out = r;
		return 0;
	}
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		if (!pg_is_unique_violation(r))
			return pg_res_fail(st, r, q->what);
		PQclear(r);	/* the same chip claimed concurrently: re-read */
		return -EAGAIN;
	}
	/* nothing free and unlocked: exhausted, or all locked */
	PQclear(r);
	r = pg_run(st, q->any_free, NULL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, q->what);
	any = PQgetvalue(r, 0, 0)[0] != 0;
	PQclear(r);
	return any ? -EAGAIN : store_fail(st, q->none_rc, "%s", q->none);
}

static const struct pool_sql identity_sql = {
	.by_chip = "SELECT identity, state FROM identity_pool WHERE chip_id = $1",
	.take = "UPDATE identity_pool SET state = 1, chip_id = $1, reserved_at = $2"
		" WHERE identity = (SELECT identity FROM identity_pool"
		"  WHERE state = 0 ORDER BY identity LIMIT 1 FOR UPDATE SKIP LOCKED)"
		" RETURNING identity, state",
	.any_free = "SELECT EXISTS (SELECT 1 FROM identity_pool WHERE state = 0)",
	.none_rc = -ENOSPC,
	.none = "identity pool exhausted",
	.what = "reserve identity",
};

static const struct pool_sql keypair_sql = {
	.by_chip = "SELECT id, pub, priv FROM keypair_pool WHERE chip_id = $1",
	.take = "UPDATE keypair_pool SET chip_id = $1, reserved_at = $2"
		" WHERE id = (SELECT id FROM keypair_pool WHERE chip_id IS NULL"
		"  ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
		" RETURNING id, pub, priv",
	.any_free = "SELECT EXISTS (SELECT 1 FROM keypair_pool WHERE chip_id IS NULL)",
	.none_rc = -ENOENT,
	.none = "no pre-generated key pair left",
	.what = "reserve key pair",
};

struct claim_arg {
	const uint8_t *chip;
	char *identity;
	int *state;
	int64_t now, cutoff;	/* reservations made at or before @cutoff expired */
};

/*
 * Releases every expired reservation, in one statement (so the pairs
 * deleted are exactly those of the identities freed): identities freed,
 * the key pairs reserved for their chips deleted.  SKIP LOCKED: a row a
 * concurrent commit or claim holds is left to a later claim, and claims
 * never wait for each other here.
 */
static int expire(struct store *st, int64_t cutoff)
{
	struct pg_params p = { 0 };

	pg_p_i64(&p, cutoff);
	return pg_cmd(st, "WITH gone AS (UPDATE identity_pool i"
		      "  SET state = 0, chip_id = NULL, reserved_at = NULL"
		      "  FROM (SELECT identity, chip_id FROM identity_pool"
		      "   WHERE state = 1 AND reserved_at <= $1 FOR UPDATE SKIP LOCKED) e"
		      "  WHERE i.identity = e.identity RETURNING e.chip_id)"
		      " DELETE FROM keypair_pool WHERE chip_id IN (SELECT chip_id FROM gone)",
		      &p, "expire reservations");
}

/* One attempt at the identity claim (take_row), inside the caller's
 * transaction: *state is STORE_ID_RESERVED or STORE_ID_ISSUED; a re-claim
 * never extends a reservation (docs/databases.md). */
static int claim_identity_once(struct store *st, void *arg)
{
	struct claim_arg *a = arg;
	PGresult *r;
	int rc = expire(st, a->cutoff);

	if (!rc)
		rc = take_row(st, a->chip, &identity_sql, &r);
	if (rc)
		return rc;
	pg_get_identity(r, 0, 0, a->identity);
	*a->state = (int)pg_get_i64(r, 0, 1);
	PQclear(r);
	return 0;
}

/* The claim of @chip on the handle @st (its timeout). */
static struct claim_arg claim_of(struct store *st, const uint8_t *chip, char *identity,
				 int *state)
{
	int64_t now = store_now();

	return (struct claim_arg){ chip, identity, state, now, now - st->reservation_timeout };
}

static int claim_identity_tx(struct store *st, void *arg)
{
	int rc = pg_begin(st);

	if (!rc)
		rc = claim_identity_once(st, arg);
	if (!rc)
		rc = pg_commit_tx(st);
	pg_rollback(st);
	return rc;
}

int pg_claim_identity(struct store *st, const uint8_t *chip, char *identity, int *state)
{
	struct claim_arg a = claim_of(st, chip, identity, state);

	return pg_retry(st, claim_identity_tx, &a, "identity claim");
}

int pg_identity_counts(struct store *st, uint64_t *f, uint64_t *rs, uint64_t *i)
{
	PGresult *r = pg_run(st, "SELECT count(*) FILTER (WHERE state = 0),"
			     " count(*) FILTER (WHERE state = 1),"
			     " count(*) FILTER (WHERE state = 2) FROM identity_pool", NULL);

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "count identities");
	*f = (uint64_t)pg_get_i64(r, 0, 0);
	*rs = (uint64_t)pg_get_i64(r, 0, 1);
	*i = (uint64_t)pg_get_i64(r, 0, 2);
	PQclear(r);
	return 0;
}

int pg_add_keypair(struct store *st, const uint8_t *pub, size_t pub_len,
		   const uint8_t *priv, size_t priv_len, int64_t *id)
{
	struct pg_params p = { 0 };
	PGresult *r;

	pg_p_bin(&p, pub, pub_len);
	pg_p_bin(&p, priv, priv_len);
	r = pg_run(st, "INSERT INTO keypair_pool (pub, priv) VALUES ($1, $2) RETURNING id", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "insert key pair");
	*id = pg_get_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* The pair on the first row of @r (id, pub, priv) into @kp; clears @r. */
static int read_kp(struct store *st, PGresult *r, struct store_keypair *kp)
{
	int rc = 0;

	kp->id = pg_get_i64(r, 0, 0);
	if (pg_get_blob(r, 0, 1, &kp->pub, &kp->pub_len) ||
	    pg_get_blob(r, 0, 2, &kp->priv, &kp->priv_len)) {
		store_keypair_clear(kp);
		rc = store_oom(st);
	}
	PQclear(r);
	return rc;
}

struct kp_arg {
	const uint8_t *chip;
	struct store_keypair *kp;
};

/* One attempt at the key pair claim (take_row). */
static int claim_keypair_once(struct store *st, void *arg)
{
	struct kp_arg *a = arg;
	PGresult *r;
	int rc = take_row(st, a->chip, &keypair_sql, &r);

	return rc ? rc : read_kp(st, r, a->kp);
}

int pg_claim_keypair(struct store *st, const uint8_t *chip, struct store_keypair *kp)
{
	struct kp_arg a = { chip, kp };

	return pg_retry(st, claim_keypair_once, &a, "key pair claim");
}

/*
 * One attempt at the SPP's claim: identity and (if reserved, not issued)
 * key pair in ONE transaction that holds the chip's advisory lock, the lock
 * pg_commit takes too.  So a commit of the same chip by another connection
 * is either entirely before this claim (which then sees the identity
 * issued and reserves no pair) or entirely after it: a key pair is never
 * reserved for a chip whose provisioning is already committed (the pair
 * would be lost: nothing ever deletes or frees it).
 */
struct claim2_arg {
	struct claim_arg id;
	struct kp_arg kp;
};

static int claim_both_once(struct store *st, void *arg)
{
	struct claim2_arg *a = arg;
	int rc = pg_begin(st);

	if (!rc)
		rc = pg_lock_chip(st, a->id.chip);
	if (!rc)
		rc = claim_identity_once(st, &a->id);
	if (!rc && *a->id.state == STORE_ID_RESERVED) {
		CK_CRASH_POINT("store:claim-mid");
		rc = claim_keypair_once(st, &a->kp);
		if (rc == -ENOENT) {
			st->err[0] = '\0';
			rc = 0;		/* none left: the SPP makes a key */
		}
	}
	if (!rc)
		rc = pg_commit_tx(st);
	pg_rollback(st);
	if (rc == -EAGAIN)
		store_keypair_clear(a->kp.kp);
	return rc;
}

int pg_claim_both(struct store *st, const uint8_t *chip, char *identity, int *state,
		  struct store_keypair *kp)
{
	struct claim2_arg a = { claim_of(st, chip, identity, state), { chip, kp } };
	int rc = pg_retry(st, claim_both_once, &a, "identity claim");

	if (rc) {
		store_keypair_clear(kp);
		identity[0] = '\0';
	}
	return rc;
}

int pg_keypair_counts(struct store *st, uint64_t *f, uint64_t *rs)
{
	PGresult *r = pg_run(st, "SELECT count(*) FILTER (WHERE chip_id IS NULL),"
			     " count(*) FILTER (WHERE chip_id IS NOT NULL) FROM keypair_pool",
			     NULL);

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_res_fail(st, r, "count key pairs");
	*f = (uint64_t)pg_get_i64(r, 0, 0);
	*rs = (uint64_t)pg_get_i64(r, 0, 1);
	PQclear(r);
	return 0;
}

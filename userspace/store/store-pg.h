/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the PostgreSQL backend (store-pg*.c): the connection and the
 * helpers its parts share.
 *
 *   store-pg.c         connect, close, schema setup and migration, ops table
 *   store-pg-query.c   errors, parameters, running statements, reading results
 *   store-pg-pool.c    database 140: identity_pool, keypair_pool
 *   store-pg-chips.c   database 140: chip_batch
 *   store-pg-pub.c     database 170: public_records
 *   store-pg-commit.c  the provisioning commit; database 160: device_secrets
 *
 * All results are fetched in binary format.
 */
#ifndef CHIPKEY_STORE_PG_H
#define CHIPKEY_STORE_PG_H

#include <stdbool.h>
#include <libpq-fe.h>

#include "store-int.h"

/* the schema of a public store (docs/databases.md, "Databases apart") */
#define PG_PUBLIC_SCHEMA "chipkey_public"

struct pg {
	PGconn *conn;
};

static inline PGconn *pg_conn(struct store *st)
{
	return ((struct pg *)st->impl)->conn;
}

/* Statement parameters: up to 8, each text or binary. */
struct pg_params {
	int n;
	const char *v[8];
	int len[8];
	int fmt[8];
	char buf[8][24];
};

void pg_p_text(struct pg_params *p, const char *s);
void pg_p_i64(struct pg_params *p, int64_t x);
void pg_p_bin(struct pg_params *p, const void *b, size_t n);
void pg_p_null(struct pg_params *p);

/* Fails with the server's message and SQLSTATE (-EBUSY on a serialization
 * failure or deadlock, else -EIO); clears @r. */
int pg_res_fail(struct store *st, PGresult *r, const char *what);
bool pg_is_unique_violation(PGresult *r);
/* Runs @sql with @p (may be NULL); binary results. */
PGresult *pg_run(struct store *st, const char *sql, const struct pg_params *p);
/* Runs a statement whose result is not needed: 0 or an error. */
int pg_cmd(struct store *st, const char *sql, const struct pg_params *p, const char *what);
int pg_begin(struct store *st);
int pg_commit_tx(struct store *st);
void pg_rollback(struct store *st);	/* if a transaction is open */
/* Takes the chip's transaction-scoped advisory lock. */
int pg_lock_chip(struct store *st, const uint8_t *chip);
/* Runs @once until it returns something else than -EAGAIN (at most
 * STORE_MAX_RETRIES times, then -EBUSY "@what: too many retries"). */
int pg_retry(struct store *st, int (*once)(struct store *, void *), void *arg,
	     const char *what);

int64_t pg_get_i64(PGresult *r, int row, int col);
/* A copy of a bytea column (NULL, 0 if NULL or empty): 0 or -ENOMEM. */
int pg_get_blob(PGresult *r, int row, int col, uint8_t **out, size_t *len);
void pg_get_identity(PGresult *r, int row, int col, char *out);

/* ---- the operations (store-pg-pool.c, -chips.c, -pub.c, -commit.c) ---- */

int pg_load_identities(struct store *st, const char *const *ids, size_t n, size_t *added);
int pg_claim_identity(struct store *st, const uint8_t *chip, char *identity, int *state);
int pg_identity_counts(struct store *st, uint64_t *f, uint64_t *r, uint64_t *i);
int pg_add_keypair(struct store *st, const uint8_t *pub, size_t pub_len,
		   const uint8_t *priv, size_t priv_len, int64_t *id);
int pg_claim_keypair(struct store *st, const uint8_t *chip, struct store_keypair *kp);
int pg_claim_both(struct store *st, const uint8_t *chip, char *identity, int *state,
		  struct store_keypair *kp);
int pg_keypair_counts(struct store *st, uint64_t *f, uint64_t *r);

int pg_pub_insert(struct store *st, struct store_pub_record *rec);
int pg_pub_get(struct store *st, const uint8_t *chip, uint64_t gen,
	       struct store_pub_record *rec);
int pg_pub_generations(struct store *st, const uint8_t *chip,
		       struct store_generation **list, size_t *n);
int pg_pub_count_chips(struct store *st, uint64_t *n);
/* store-pg-void.c */
int pg_pub_void_insert(struct store *st, struct store_pub_void *v);
int pg_pub_void_get(struct store *st, const uint8_t *chip, uint64_t gen,
		   struct store_pub_void *v);
/* Inserts one public_records row (inside the caller's transaction). */
int pg_pub_row_insert(struct store *st, const struct store_pub_row *row);
/* The same into @table (public_records or issued_records). */
int pg_row_insert(struct store *st, const char *table, const struct store_pub_row *row);
/* A record from columns generation, identity, backup, cert, signed_record,
 * created (0..5) of @row; the caller sets the chip ID.  0 or -ENOMEM. */
int pg_get_pub_record(PGresult *r, int row, struct store_pub_record *rec);

/* store-pg-outbox.c: a factory store's issued records */
int pg_issued_get(struct store *st, const uint8_t *chip, struct store_pub_record *rec);
int pg_outbox_list(struct store *st, size_t max, const uint8_t *after,
		   struct store_pub_record **recs, size_t *n);
int pg_outbox_done(struct store *st, const struct store_pub_record *recs, size_t n);
int pg_outbox_count(struct store *st, uint64_t *n);

int pg_load_chips(struct store *st, const struct store_chip *chips, size_t n, size_t *added);
int pg_chip_get(struct store *st, const uint8_t *chip, uint8_t *attest_pub);
int pg_chip_count(struct store *st, uint64_t *n);

int pg_secret_get(struct store *st, const uint8_t *chip, struct store_secret_record *rec);
int pg_commit(struct store *st, const struct store_commit *c);

#endif
